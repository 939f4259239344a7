"""RFC 4443 3.1: a UDP datagram to a port with no listener gets Destination Unreachable code 4;
RFC 4443 2.4(c): the error quotes as much of the packet as fits in the minimum MTU of 1280
octets (the whole of a small packet)."""

import pytest

from conformance.author.templates import UDP, ICMPv6, IPv6, Payload
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, UNREACH_PORT


@pytest.mark.requirement("RFC4443-3.1-SHOULD-port-unreachable",
                         "RFC4443-2.4-MUST-error-fit-minimum-mtu")
@pytest.mark.parametrize("size", [0, 100, 1184, 1185, 1400], ids=lambda n: f"{n}B")
def test_closed_udp_port_gets_port_unreachable(ex, endpoints, size):
    sent = ex.send(IPv6(), UDP(dst_port=9), Payload(bytes(i & 0xFF for i in range(size))))
    error = ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6),
                      ICMPv6(type=ICMP6_DST_UNREACH, code=UNREACH_PORT, rest=0))
    packet = sent[14:]
    assert error.icmpv6.payload == packet[:1280 - 48]
    assert len(error.ipv6.emit()) <= 1280
