"""Canonical -> stack sequence space: the fields that name DUT numbers move, checksums stay as
right or as wrong as drawn (RFC 1624 incremental update)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz.frames import FrameFactory, belongs_to_case, tcp_ports, tcp_source
from fuzz.seqspace import (
    CANONICAL_DUT_ISN,
    CANONICAL_TSVAL,
    PortMap,
    SeqShift,
    shift_frame,
    shift_seq,
)
from fuzz.strategies import ConnectionView, LinkAddresses, tcp_frames, tcp_segments
from fuzz.strategies_ipv6 import Link6, chain_frame, options_spec
from reference_stack.wire.frame import build_frame, dissect
from reference_stack.wire.ipv4 import IPPROTO_TCP, Ipv4Repr
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS
from reference_stack.wire.ipv6_options import Ipv6OptPadN
from reference_stack.wire.tcp import ACK, RST, TcpOptSack, TcpOptTimestamps, TcpRepr

ADDRS = LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                "198.18.0.2", "198.18.0.1")
CONN = ConnectionView(40000, 80, 1000, CANONICAL_DUT_ISN + 1, 65535, CANONICAL_TSVAL)
PORTS = PortMap(40000, 1234, 80, 81)
LINK6 = Link6.from_text("02:00:00:00:00:02", "02:00:00:00:00:01", "2001:db8::2", "2001:db8::1")
FACTORIES = {"ipv4": FrameFactory(ADDRS), "ipv6": FrameFactory(LINK6)}


def shift(isn: int, tsval: int) -> SeqShift:
    s = SeqShift()
    s.learn_isn(isn)
    s.learn_tsval(tsval)
    return s


def checksum_ok(frame: bytes) -> bool:
    d = dissect(frame)
    return d.tcp.checksum_ok(d.ip.src, d.ip.dst)


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


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_the_factory_builds_each_family_and_the_shift_moves_it(family):
    """One factory for both families (the stateful engine's segments, the runner's handshakes
    and resets); the canonical -> stack shift and the port map apply to an IPv6 segment as to
    an IPv4 one, its checksum (RFC 8200 8.1 pseudo-header) kept right."""
    factory = FACTORIES[family]
    frame = factory.tcp(40000, 80, ACK, 5, CANONICAL_DUT_ISN + 1,
                        (TcpOptTimestamps(7, CANONICAL_TSVAL),))
    d = dissect(frame)
    assert getattr(d, family) is not None and checksum_ok(frame)
    assert tcp_ports(frame) == (40000, 80)
    moved = shift_frame(frame, shift(5000, 99), PORTS)
    got = dissect(moved).tcp
    assert (got.src_port, got.dst_port, got.ack, got.timestamps) == (1234, 81, 5001, (7, 99))
    assert checksum_ok(moved)
    answer = FrameFactory(type(factory.addrs)(factory.addrs.dut_mac, factory.addrs.tester_mac,
                                              factory.addrs.dut_ip, factory.addrs.tester_ip)
                          ).tcp(81, 1234, ACK, 10)
    assert dissect(shift_seq(answer, 7, PORTS)).tcp.seq == 17


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(tcp_segments(CONN).map(FACTORIES["ipv6"].segment))
def test_checksum_validity_is_preserved_over_ipv6(frame):
    moved = shift_frame(frame, shift(0x12345678, 0xDEADBEEF), PORTS)
    assert checksum_ok(moved) == checksum_ok(frame)
    assert len(moved) == len(frame)


def test_the_factory_over_ipv4_is_the_public_strategy():
    """The stateful engine's IPv4 segments are byte for byte those of ``tcp_frames``."""
    seg = TcpRepr(40000, 80, 1, 2, ACK, 100, b"data")
    assert FACTORIES["ipv4"].segment(seg) == build_frame(
        ADDRS.tester_mac, ADDRS.dut_mac,
        Ipv4Repr(src=ADDRS.tester_ip, dst=ADDRS.dut_ip, protocol=IPPROTO_TCP, df=True), seg)


def test_an_answer_to_a_port_the_case_drew_behind_extension_headers_is_the_cases():
    """A TCP answer belongs to a case when it goes to the case's port or to the source port
    of a segment the case sent, found behind IPv6 extension headers too (RFC 8200 4); one to
    another port (an earlier case's) does not."""
    syn = chain_frame(LINK6, (options_spec(IPPROTO_DSTOPTS, (Ipv6OptPadN(bytes(2)),)),), 2)
    assert tcp_ports(syn) is None and tcp_source(syn) == 40000
    dut = FrameFactory(Link6(LINK6.dut_mac, LINK6.tester_mac, LINK6.dut_ip, LINK6.tester_ip))
    assert belongs_to_case(dut.tcp(7, 40000, RST | ACK, 0, 8), 1234, [syn])
    assert belongs_to_case(dut.tcp(7, 1234, RST | ACK, 0, 8), 1234, [syn])
    assert not belongs_to_case(dut.tcp(7, 1233, RST | ACK, 0, 8), 1234, [syn])
