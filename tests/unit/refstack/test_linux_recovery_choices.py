"""The `linux` profile's congestion control and loss recovery choices (tcp/recovery.py), each
against the RFC's rule: slow start counting segments (tcp_slow_start), CUBIC's ssthresh
(bictcp_recalc_ssthresh), RACK's reordering window (tcp_rack_detect_loss) and PRR
(tcp_cwnd_reduction); and rules both share: NewReno's partial ACK (RFC 6582), RFC 6675's holes
lowest first, SACKed segments never sent again, the window after recovery."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import GVISOR as GVISOR_PROFILE
from reference_stack.profiles import LINUX as LINUX_PROFILE
from reference_stack.profiles import RFC
from reference_stack.tcp import recovery
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, SYN, TcpOptNop, TcpOptSack
from tests.unit.refstack.conn import Conn, bring_to
from tests.unit.refstack.harness import syn_options, tcp_of

SEG = 1000  # the tester's MSS; no timestamps: every segment carries 1000 octets
RFC_IW10 = dataclasses.replace(RFC, initial_cwnd_segments=10)  # only the rule under test differs
# (tail loss probes off, as the suites have them: suites/tcp/flight.py)
LINUX = dataclasses.replace(LINUX_PROFILE, tail_loss_probe=False)


def _flight(profile, written: int, sack: bool = True) -> tuple[Conn, int, int, list]:
    """A passive connection (MSS 1000, SACK if `sack`) whose stack wrote `written` segments:
    (conn, fd, the stack's first data sequence number, the segments it sent)."""
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(mss=SEG, wscale=None, ts=None, sack=sack)))
    c.note(c.seg(ACK))
    fd = c.stack.accept(c.fd, 0.0).value[0]
    start = c.rcv_nxt
    segs = c.note(c.stack.send(fd, bytes(written * SEG), 0.001).reaction)
    return c, fd, start, segs


def _ack(c: Conn, start: int, upto: int, sack: tuple = (), now: float = 0.002):
    """The tester's ACK of segments [0, upto), SACK blocks as segment ranges, at `now`."""
    opts = ()
    if sack:
        opts = (TcpOptNop(), TcpOptNop(),
                TcpOptSack(tuple((start + a * SEG, start + b * SEG) for a, b in sack)))
    c.tester.now = now
    return c.seg(ACK, ack=start + upto * SEG, options=opts)


def _index(start: int, segs) -> list[int]:
    return [(s.seq - start) // SEG for s in segs if s.payload]


@pytest.mark.parametrize("profile,released", [(RFC_IW10, 3), (LINUX, 4)], ids=["rfc", "linux"])
def test_slow_start_ack_of_two_segments(profile, released) -> None:
    c, _, start, segs = _flight(profile, 16)
    assert len(segs) == 10
    r = _ack(c, start, 2)
    # RFC 5681 3.1: cwnd += min(N, SMSS); Linux tcp_slow_start: every segment acknowledged
    assert _index(start, tcp_of(r)) == list(range(10, 10 + released))
    assert ("LINUX-tcp_slow_start-segments-acked" in r.rules()) is (profile is LINUX)


def test_gvisor_slow_start_counts_the_segments_an_ack_covers() -> None:
    """gVisor's updateSlowStart (reno.go, cubic.go): cwnd += packetsAcked, as Linux's
    tcp_slow_start; an ACK of two of its segments releases four where the rfc profile's
    min(N, SMSS) releases three (suites/tcp/test_initial_window.py against gVisor)."""
    released = {}
    for profile in (RFC_IW10, dataclasses.replace(GVISOR_PROFILE, tail_loss_probe=False)):
        c, _, start, segs = _flight(profile, 16)
        size = len(segs[-1].payload)  # netstack's segment (its MSS less the options it adds)
        c.tester.now = 0.002
        r = c.seg(ACK, ack=start + 2 * size)
        released[profile.name] = len([seg for seg in tcp_of(r) if seg.payload])
        rules = r.rules()
    assert released == {"rfc": 3, "gvisor": 4}
    assert "GVISOR-update_slow_start-packets-acked" in rules


@pytest.mark.parametrize("profile,ssthresh", [(RFC_IW10, 5), (LINUX, 7)], ids=["rfc", "linux"])
def test_ssthresh_on_entering_recovery(profile, ssthresh) -> None:
    c, _, start, _ = _flight(profile, 10)
    r = _ack(c, start, 0, sack=((1, 10),))
    # RFC 5681 3.2 eq. 4: FlightSize / 2; Linux CUBIC: cwnd * 717 / 1024
    assert c.tcb().ssthresh // SEG == ssthresh
    assert ("LINUX-bictcp_recalc_ssthresh-beta" in r.rules()) is (profile is LINUX)
    assert _index(start, tcp_of(r))[:1] == [0]  # the hole first (both)


@pytest.mark.parametrize("profile", [RFC_IW10, LINUX], ids=["rfc", "linux"])
def test_one_sacked_segment_beyond_a_hole(profile) -> None:
    c, _, start, _ = _flight(profile, 6)
    r = _ack(c, start, 0, sack=((1, 2),))
    assert _index(start, tcp_of(r)) == []  # nothing at once (both)
    due = c.stack.poll_at()
    assert due is not None
    fired = c.stack.poll(due)
    if profile is LINUX:
        # RACK (RFC 8985 6.2): the reordering window, then segment 0 is lost
        assert due == pytest.approx(0.002 + recovery.REO_TIMEOUT)
        assert _index(start, tcp_of(fired)) == [0]
        assert recovery.RULE_RACK in fired.rules()
    else:
        # RFC 6675: one SACKed segment is not DupThresh: the retransmission timer recovers it
        assert due >= 0.2 and recovery.RULE_RACK not in fired.rules()


RFC6675_LINUX = dataclasses.replace(LINUX, prr=False)  # Linux's choices but PRR's


@pytest.mark.parametrize("profile,new", [(RFC6675_LINUX, []), (LINUX, [10])],
                         ids=["rfc6675", "linux"])
def test_prr_sends_in_proportion_while_pipe_exceeds_ssthresh(profile, new) -> None:
    c, fd, start, _ = _flight(profile, 10)
    _ack(c, start, 0, sack=((1, 2),))
    fired = c.stack.poll(c.stack.poll_at())  # RACK: segment 0 lost, recovery
    assert _index(start, tcp_of(fired)) == [0]
    w = c.stack.send(fd, bytes(6 * SEG), 0.02)
    assert _index(start, tcp_of(w.reaction)) == []  # pipe 9 > cwnd either way
    r = _ack(c, start, 0, sack=((1, 3),), now=0.03)
    # RFC 6675: pipe (8) above cwnd = ssthresh (7): nothing; PRR: CEIL(2 * 7 / 10) - 1 = 1
    assert _index(start, tcp_of(r)) == new
    assert ("LINUX-tcp_cwnd_reduction-prr" in r.rules()) is (profile is LINUX)


@pytest.mark.parametrize("profile", [RFC_IW10, LINUX], ids=["rfc", "linux"])
def test_partial_ack_retransmits_the_next_hole_without_sack(profile) -> None:
    c, _, start, _ = _flight(profile, 8, sack=False)
    replies = [tcp_of(_ack(c, start, 0)) for _ in range(3)]
    assert [_index(start, s) for s in replies] == [[], [], [0]]  # RFC 5681 3.2
    r = _ack(c, start, 4)  # RFC 6582: a partial ACK
    assert _index(start, tcp_of(r)) == [4]
    assert "RFC6582-3.2-SHOULD-partial-ack-retransmit" in r.rules()


@pytest.mark.parametrize("profile", [RFC_IW10, LINUX], ids=["rfc", "linux"])
def test_holes_lowest_first_and_sacked_never_again(profile) -> None:
    c, _, start, _ = _flight(profile, 8)
    r = _ack(c, start, 0, sack=((1, 3), (4, 8)))
    assert _index(start, tcp_of(r)) == [0, 3]  # RFC 6675 NextSeg
    r = _ack(c, start, 1, sack=((1, 3), (4, 8)))
    assert _index(start, tcp_of(r)) == []
    r = _ack(c, start, 8)
    assert c.tcb().board is None  # recovery over, the scoreboard gone
    assert c.tcb().cwnd == c.tcb().ssthresh  # RFC 5681 3.2 step 6
