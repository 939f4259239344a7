"""RFC 826 (packet reception): a request for the DUT's address is answered with its MAC."""

import pytest

from conformance.author.templates import ARP, Ether
from reference_stack.wire.arp import ARP_REPLY, ARP_REQUEST


@pytest.mark.requirement("RFC826-MUST-reply")
def test_arp_request_for_own_address_is_answered(ex, endpoints):
    asker = endpoints.spare_ipv4[0]
    ex.send(Ether(dst="ff:ff:ff:ff:ff:ff"),
            ARP(op=ARP_REQUEST, spa=asker, tpa=endpoints.dut_ipv4, tha="00:00:00:00:00:00"))
    ex.expect(
        Ether(dst=endpoints.tester_mac, src=endpoints.dut_mac),
        ARP(op=ARP_REPLY, sha=endpoints.dut_mac, spa=endpoints.dut_ipv4,
            tha=endpoints.tester_mac, tpa=asker),
    )
