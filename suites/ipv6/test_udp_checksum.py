"""RFC 8200 8.1: UDP over IPv6 must carry a checksum (over the IPv6 pseudo-header): a datagram
with a zero checksum field, or one that does not verify, is discarded: no Port Unreachable."""

import pytest

from conformance.author.templates import UDP, IPv6, Payload


@pytest.mark.requirement("RFC8200-8.1-MUST-discard-zero-udp-checksum")
def test_zero_udp_checksum_gets_nothing(ex):
    ex.send(IPv6(), UDP(dst_port=9, checksum=0), Payload(b"no checksum"))
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-8.1-MUST-pseudo-header",
                         "RFC1122-4.1.3.4-MUST-discard-bad-checksum")
@pytest.mark.parametrize("checksum", [0x0001, 0xFFFF])
def test_bad_udp_checksum_gets_nothing(ex, checksum):
    ex.send(IPv6(), UDP(dst_port=9, checksum=checksum), Payload(b"bad checksum"))
    ex.expect_nothing()
