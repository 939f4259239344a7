"""RFC 1122 3.2.2 and 3.2.2.9: an ICMP message of unknown type is silently discarded; an
Address Mask Request is not answered by a host that is not an authoritative agent."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload

ADDRESS_MASK_REQUEST = 17


@pytest.mark.requirement("RFC1122-3.2.2-MUST-silently-discard-unknown")
@pytest.mark.parametrize("icmp_type", [1, 7, 42, 200, 255])
def test_unknown_icmp_type_is_discarded(ex, endpoints, icmp_type):
    ex.send(ICMPv4(type=icmp_type, code=0, rest=0x12345678), Payload(b"what is this"))
    ex.expect_nothing(IPv4(src=endpoints.dut_ipv4))


@pytest.mark.requirement("RFC1122-3.2.2.9-MUST-NOT-address-mask-reply-unless-authoritative")
def test_address_mask_request_is_not_answered(ex, endpoints):
    ex.send(ICMPv4(type=ADDRESS_MASK_REQUEST, rest=0x00010001), Payload(bytes(4)))
    ex.expect_nothing(IPv4(src=endpoints.dut_ipv4))
