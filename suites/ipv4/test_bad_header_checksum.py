"""RFC 1122 3.2.1.2: a datagram with a bad IP header checksum is silently discarded."""

import pytest

from conformance.author.templates import ICMPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REQUEST

IPV4_CHECKSUM_OFFSET = 14 + 10


@pytest.mark.requirement("RFC1122-3.2.1.2-MUST-verify-checksum")
def test_bad_ipv4_header_checksum_is_dropped(ex, bed):
    frame = bytearray(ex.build(ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00010001), Payload(b"x")))
    frame[IPV4_CHECKSUM_OFFSET] ^= 0xFF
    ex.send_bytes(bytes(frame))
    ex.expect_nothing()
    if bed.drop_reasons is not None:
        assert "IP_CSUM" in {d["reason"] for d in bed.drop_reasons()}
