"""RFC 1122 4.1.3.1 and 3.2.2: UDP to a closed port elicits ICMP port unreachable quoting the
offending datagram (its IP header and at least 8 octets of data)."""

import pytest

from conformance.author.templates import UDP, ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_PORT_UNREACH

ETH_HEADER = 14


@pytest.mark.requirement(
    "RFC1122-4.1.3.1-SHOULD-port-unreachable", "RFC1122-3.2.2-MUST-quote-header-and-8-octets"
)
def test_udp_to_closed_port_gets_port_unreachable(ex, endpoints):
    sent = ex.send(UDP(src_port=40000, dst_port=9), Payload(b"nobody listens here"))
    reply = ex.expect(
        IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
        ICMPv4(type=ICMP_DEST_UNREACH, code=ICMP_PORT_UNREACH),
    )
    offending = sent[ETH_HEADER : ETH_HEADER + 20 + 8]
    assert reply.icmpv4.payload[: len(offending)] == offending
