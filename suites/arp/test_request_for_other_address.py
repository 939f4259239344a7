"""RFC 826 (packet reception): a request for an address that is not the DUT's is not answered."""

import pytest

from conformance.author.templates import ARP, Ether
from reference_stack.wire.arp import ARP_REQUEST


@pytest.mark.requirement("RFC826-MUST-not-target")
def test_arp_request_for_other_address_is_not_answered(ex, endpoints):
    ex.send(Ether(dst="ff:ff:ff:ff:ff:ff"),
            ARP(op=ARP_REQUEST, spa=endpoints.spare_ipv4[0], tpa=endpoints.spare_ipv4[1]))
    ex.expect_nothing(ARP())
