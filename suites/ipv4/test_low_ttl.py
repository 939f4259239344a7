"""RFC 1122 3.2.1.7: a host MUST NOT discard a datagram just because it arrived with a TTL below
2 (TTL matters to routers, not to the final destination), and MUST NOT send a datagram with a
TTL of zero."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement(
    "RFC1122-3.2.1.7-MUST-not-discard-low-ttl",
    "RFC1122-3.2.1.7-MUST-NOT-send-ttl-zero",
)
@pytest.mark.parametrize("ttl", [0, 1])
def test_datagram_with_low_ttl_is_accepted(ex, endpoints, ttl):
    ex.send(IPv4(ttl=ttl), ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00520001), Payload(b"ttl"))
    reply = ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=ICMP_ECHO_REPLY, rest=0x00520001),
                      timeout=1.0)
    assert reply.ipv4.ttl > 0
