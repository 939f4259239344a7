"""Canonical -> stack sequence space: the fields that name DUT numbers move, checksums stay as
right or as wrong as drawn (RFC 1624 incremental update)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from fuzz.seqspace import CANONICAL_DUT_ISN, CANONICAL_TSVAL, PortMap, SeqShift, shift_frame
from fuzz.strategies import ConnectionView, LinkAddresses, tcp_frames
from reference_stack.wire.frame import build_frame, dissect
from reference_stack.wire.ipv4 import IPPROTO_TCP, Ipv4Repr
from reference_stack.wire.tcp import ACK, TcpOptSack, TcpOptTimestamps, TcpRepr

ADDRS = LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                "198.18.0.2", "198.18.0.1")
CONN = ConnectionView(40000, 80, 1000, CANONICAL_DUT_ISN + 1, 65535, CANONICAL_TSVAL)
PORTS = PortMap(40000, 1234, 80, 81)


def shift(isn: int, tsval: int) -> SeqShift:
    s = SeqShift()
    s.learn_isn(isn)
    s.learn_tsval(tsval)
    return s


def checksum_ok(frame: bytes) -> bool:
    d = dissect(frame)
    return d.tcp.checksum_ok(d.ipv4.src, d.ipv4.dst)


def test_ack_sack_and_tsecr_move_with_the_target_numbers():
    seg = TcpRepr(40000, 80, 5, CANONICAL_DUT_ISN + 1, ACK, 100, b"x",
                  (TcpOptTimestamps(7, CANONICAL_TSVAL),
                   TcpOptSack(((CANONICAL_DUT_ISN + 1, CANONICAL_DUT_ISN + 9),))))
    ip = Ipv4Repr(src=ADDRS.tester_ip, dst=ADDRS.dut_ip, protocol=IPPROTO_TCP)
    frame = build_frame(ADDRS.tester_mac, ADDRS.dut_mac, ip, seg)
    got = dissect(shift_frame(frame, shift(5000, 99), PORTS)).tcp
    assert (got.src_port, got.dst_port, got.seq, got.ack) == (1234, 81, 5, 5001)
    assert got.timestamps == (7, 99)
    assert got.sack_blocks == ((5001, 5009),)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(tcp_frames(ADDRS, CONN))
def test_checksum_validity_is_preserved(frame):
    d = dissect(frame)
    if d.tcp is None:
        return
    moved = shift_frame(frame, shift(0x12345678, 0xDEADBEEF), PORTS)
    assert checksum_ok(moved) == checksum_ok(frame)
    assert len(moved) == len(frame)


def test_other_frames_pass_unchanged():
    frame = bytes(60)
    assert shift_frame(frame, shift(1, 2), PORTS) is frame
