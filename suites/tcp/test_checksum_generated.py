"""RFC 9293 3.1 (MUST-2): the DUT computes the checksum of every segment it sends, over the
pseudo-header, header and data (RFC 8200 8.1: the IPv6 pseudo-header over IPv6): each
segment it sends verifies."""

import pytest

from reference_stack.wire.addr import ip4, ip6

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.1-MUST-generate-checksum")
@pytest.mark.parametrize("size", [1, 999, 1000], ids=lambda n: f"{n}B")
def test_segments_sent_carry_a_valid_checksum(ex, dut, endpoints, size):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    data = bytes(i * 13 & 0xFF for i in range(size))
    dut.send(peer.fd, data)
    segments = [peer.conn.expect_data(data)]
    peer.send(b"ack this", flags="PA", advance=True)
    segments.append(peer.expect_ack())
    family = ex.family
    addr = ip6 if family.wire == "ipv6" else ip4
    src, dst = addr(family.dut_ip(endpoints)), addr(family.tester_ip(endpoints))
    for seg in segments:
        assert seg.checksum_ok(src, dst), f"bad checksum {seg.checksum:#06x}: {seg.summary()}"
