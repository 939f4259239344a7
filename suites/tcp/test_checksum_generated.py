"""RFC 9293 3.1 (MUST-2): the DUT computes the checksum of every segment it sends, over the
pseudo-header, header and data: each segment it sends verifies."""

import pytest

from reference_stack.wire.addr import ip4

from .states import reach


@pytest.mark.requirement("RFC9293-3.1-MUST-generate-checksum")
@pytest.mark.parametrize("size", [1, 999, 1000], ids=lambda n: f"{n}B")
def test_segments_sent_carry_a_valid_checksum(ex, dut, endpoints, size):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    data = bytes(i * 13 & 0xFF for i in range(size))
    dut.send(peer.fd, data)
    segments = [peer.conn.expect_data(data)]
    peer.send(b"ack this", flags="PA", advance=True)
    segments.append(peer.expect_ack())
    src, dst = ip4(endpoints.dut_ipv4), ip4(endpoints.tester_ipv4)
    for seg in segments:
        assert seg.checksum_ok(src, dst), f"bad checksum {seg.checksum:#06x}: {seg.summary()}"
