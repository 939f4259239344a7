"""RFC 791 3.1 and RFC 792: the DUT computes the IP header checksum and the ICMP checksum of
what it sends: the echo replies and ICMP errors it sends verify."""

import pytest

from conformance.author.templates import UDP, ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement(
    "RFC791-3.1-MUST-generate-header-checksum",
    "RFC792-MUST-generate-checksum",
)
# (echo-reply needs an echo request answered, RFC 1122 3.2.2.6)
@pytest.mark.parametrize("message", [
    pytest.param("echo-reply", marks=pytest.mark.needs(echo_ignore_all=False)),
    "port-unreachable"])
def test_icmp_messages_sent_carry_valid_checksums(ex, endpoints, message):
    if message == "echo-reply":
        ex.send(ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00510001), Payload(b"odd length"))
        reply_type = ICMP_ECHO_REPLY
    else:
        ex.send(UDP(src_port=40000, dst_port=9), Payload(b"closed"))
        reply_type = ICMP_DEST_UNREACH
    got = ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=reply_type))
    assert got.ipv4.header_checksum_ok(), got.ipv4.summary()
    assert got.icmpv4.checksum_ok(), got.icmpv4.summary()
