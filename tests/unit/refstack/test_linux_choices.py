"""The `linux` profile's modelled choices where the RFCs say otherwise or leave latitude, each
against the `rfc` profile (tcp_sequence's left edge, tcp_data_queue's D-SACK, TS.Recent and old
ACKs, Minshall's Nagle, tail loss probes, soft ICMP errors in SYN-SENT, the out-of-band byte)."""

from __future__ import annotations

import dataclasses
import errno

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.socket_api import SO_OOBINLINE, SOL_SOCKET
from reference_stack.tcp.state import State
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.tcp import (
    ACK,
    CWR,
    ECE,
    FIN,
    PSH,
    RST,
    SYN,
    URG,
    TcpOptNop,
    TcpOptSack,
    TcpOptTimestamps,
    TcpRepr,
)
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import connected_pair, syn_options

DUP = "LINUX-tcp_data_queue-duplicate"
FIRST_CHECK = "RFC9293-3.10.7.4-MUST-first-check"


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_retransmitted_fin_ending_at_rcv_nxt(profile) -> None:
    c = bring_to(State.CLOSE_WAIT, profile)
    r = c.seg(FIN | ACK, seq=c.snd_nxt - 1)
    (ack,) = c.note(r)
    assert ack.flags == ACK and ack.ack == c.snd_nxt
    if profile is LINUX:  # acceptable to tcp_sequence, a duplicate to tcp_data_queue
        assert DUP in r.rules() and FIRST_CHECK not in r.rules()
    else:  # RFC 9293: SEG.SEQ+SEG.LEN-1 < RCV.NXT is not acceptable
        assert FIRST_CHECK in r.rules() and DUP not in r.rules()


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_old_text_in_close_wait(profile) -> None:
    c = bring_to(State.CLOSE_WAIT, profile)
    r = c.seg(ACK | PSH, seq=c.snd_nxt - 1, payload=b"x")  # ends at RCV.NXT
    replies = c.note(r)
    assert [s.flags for s in replies] == [ACK]  # either way acknowledged
    assert (DUP in r.rules()) is (profile is LINUX)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_ts_recent_and_an_old_ack(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    tcb = c.tcb()
    tcb.ts_ok, tcb.ts_recent = True, 100
    ts = (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(200, 0))
    wnd = tcb.snd_wnd
    c.seg(ACK | PSH, ack=(tcb.snd_una - 1) & 0xFFFFFFFF, payload=b"data", options=ts,
          window=wnd // 2 >> tcb.snd_wscale)
    # RFC 7323 4.3 takes TSval from any acceptable in-order segment; Linux's tcp_ack returns
    # at old_ack (SEG.ACK < SND.UNA) before tcp_replace_ts_recent.
    assert tcb.ts_recent == (100 if profile is LINUX else 200)
    # RFC 9293 3.10.7.4: the send window is updated only if SND.UNA =< SEG.ACK (both).
    assert tcb.snd_wnd == wnd


@pytest.mark.parametrize("profile,segments", [(RFC, 2), (LINUX, 3)], ids=["rfc", "linux"])
def test_last_partial_segment_with_data_in_flight(profile, segments) -> None:
    link, a, _, b = connected_pair(profile)
    link.drop = lambda who, d: who == "b"  # no ACKs come back
    ta = next(iter(link.a.tcp.conns.values()))
    link.call(link.a, "send", a, b"z" * (2 * ta.mss + 10))
    sent = [d.tcp for w, d, _ in link.log if w == "a" and d.tcp and d.tcp.payload]
    # RFC 1122 Nagle holds the 10 octets while data is unacknowledged; Minshall does not.
    assert len(sent) == segments


def test_tail_loss_probe_precedes_the_rto_linux() -> None:
    link, a, _, b = connected_pair(LINUX)
    link.drop = lambda who, d: who == "a" and bool(d.tcp and d.tcp.payload)
    ta = next(iter(link.a.tcp.conns.values()))
    t0 = link.now
    link.call(link.a, "send", a, b"p" * 100)
    link.advance(t0 + 1.0)
    times = [round(t - t0, 6) for w, d, t in link.log if w == "a" and d.tcp and d.tcp.payload]
    rto = ta.rto._base
    # the probe at PTO = 2 SRTT + rto_min (one segment; SRTT 0 here, capped by the RTO), the
    # RTO restarted from it without backoff, then the RTO doubling (RFC 6298 5.5).
    assert times[:4] == pytest.approx([0.0, rto, 2 * rto, 4 * rto])


@pytest.mark.parametrize("fin_apart", [False, True], ids=["one-segment", "data-then-fin"])
def test_tail_loss_probe_counts_segments_not_octets_linux(fin_apart) -> None:
    link, a, _, b = connected_pair(LINUX)
    link.drop = lambda who, d: who == "a" and bool(d.tcp and (d.tcp.payload or d.tcp.flags & FIN))
    t0 = link.now
    link.call(link.a, "send", a, b"p")
    if fin_apart:
        link.call(link.a, "close", a)  # the FIN goes on its own: two segments in flight
    link.advance(t0 + 0.15)
    probes = [d for w, d, _ in link.log if w == "a" and d.tcp and (
        d.tcp.payload or d.tcp.flags & FIN)][1 + fin_apart:]
    # RFC 8985 7.2 (Linux tcp_schedule_loss_probe: packets_out == 1, in segments): two
    # segments in flight probe after 2 SRTT + TCP_TIMEOUT_MIN, one after 2 SRTT + TCP_RTO_MIN
    assert len(probes) == (1 if fin_apart else 0)
    if fin_apart:
        assert probes[0].tcp.flags & FIN and not probes[0].tcp.payload


@pytest.mark.parametrize("profile,aborted", [(RFC, False), (LINUX, True)], ids=["rfc", "linux"])
def test_soft_icmp_error_in_syn_sent(profile, aborted) -> None:
    c = bring_to(State.SYN_SENT, profile)
    tcb = c.tcb()
    quoted = Ipv4Repr(c.stack.ip, c.tester.src_ip, 6, TcpRepr(
        tcb.local_port, tcb.remote_port, seq=tcb.iss, flags=SYN).emit(
        c.stack.ip, c.tester.src_ip)).emit()[:28]
    # host unreachable: a soft error (RFC 1122 4.2.3.9)
    r = c.stack.receive(c.tester.ip_frame(1, Icmpv4Repr.dest_unreachable(1, quoted).emit()), 0.1)
    assert ("LINUX-tcp_v4_err-syn-sent-abort" in r.rules()) is aborted
    assert (c.state() is State.CLOSED) is aborted


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("flags", [SYN | ACK, RST | ACK], ids=["syn-ack", "rst"])
def test_unacceptable_ack_in_syn_sent_rearms_the_syn_timer(profile, flags) -> None:
    c = bring_to(State.SYN_SENT, profile)
    tcb = c.tcb()
    first_rto = c.stack.poll_at()
    r = c.stack.receive(c.tester.tcp(c.sport, c.dport, flags, 5000, tcb.iss), 0.1)  # ACK = ISS
    rule = "LINUX-tcp_rcv_synsent_state_process-bad-ack-rearm"
    assert (rule in r.rules()) is (profile is LINUX)
    due = c.stack.poll_at()
    if profile is LINUX:  # TCP_TIMEOUT_MIN after the segment: the SYN again
        assert due == pytest.approx(0.1 + LINUX.tlp_min_timeout)
        (syn,) = c.note(c.stack.poll(due))
        assert syn.flags == SYN and syn.seq == tcb.iss
        assert c.stack.poll_at() == pytest.approx(due + 1.0)  # then the RTO (linear)
        r = c.stack.receive(c.tester.tcp(c.sport, c.dport, flags, 5000, tcb.iss), due + 0.1)
        assert rule not in r.rules() and c.stack.poll_at() == pytest.approx(due + 1.0)
    else:  # RFC 9293 3.10.7.3: the RST (or nothing), the SYN's RTO unchanged
        assert due == first_rto


@pytest.mark.parametrize("inline", [False, True], ids=["oob-byte", "oobinline"])
def test_out_of_band_byte_linux(inline) -> None:
    c = bring_to(State.ESTABLISHED, LINUX)
    if inline:
        c.stack.setsockopt(c.fd, SOL_SOCKET, SO_OOBINLINE, 1, 0.0)
    frame = c.tester.tcp(c.sport, c.dport, ACK | PSH | URG, c.snd_nxt, c.rcv_nxt, b"normal!",
                         urgent=7)
    c.stack.receive(frame, 0.0)
    first = c.stack.recv(c.fd, 100, 0.0).value
    assert first == b"normal"  # the read stops at the mark, in line or not (measured, 6.18)
    if not inline:  # '!' was the out-of-band byte: not in the stream
        assert c.stack.recv(c.fd, 100, 0.0).errno == errno.EAGAIN
    else:  # SO_OOBINLINE: the next read has it
        assert c.stack.recv(c.fd, 100, 0.0).value == b"!"


@pytest.mark.parametrize("fin", [0, FIN], ids=["text", "text-and-fin"])
def test_out_of_band_byte_at_urgent_pointer_zero_linux(fin) -> None:
    """Linux tcp_check_urg: SEG.UP = 0 makes the segment's first octet the out-of-band byte,
    also when the segment carries the FIN (stateful finding 00f9f9ecb326)."""
    c = bring_to(State.ESTABLISHED, LINUX)
    frame = c.tester.tcp(c.sport, c.dport, ACK | PSH | URG | fin, c.snd_nxt, c.rcv_nxt, b"!abc",
                         urgent=0)
    c.stack.receive(frame, 0.0)
    assert c.stack.recv(c.fd, 100, 0.0).value == b"abc"


@pytest.mark.parametrize("keep,window", [(True, 64240), (False, 65160)],
                         ids=["linux", "recomputed"])
def test_simultaneous_open_syn_ack_window(keep, window) -> None:
    profile = dataclasses.replace(LINUX, simultaneous_open_keeps_syn_window=keep)
    c = bring_to(State.SYN_SENT, profile)
    (synack,) = c.note(c.advance(SYN, options=syn_options()))  # the SYNs cross
    assert synack.flags == SYN | ACK
    # Linux tcp_send_synack repeats its SYN's window, 44 * 1460; recomputed once timestamps are
    # known it would be 45 * 1448 (RFC 9293 leaves it free either way).
    assert synack.window == window


def _scaled_conn(profile):
    """ESTABLISHED with window scaling (shift 7) and an ACK of one octet just sent."""
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(ts=None)))
    c.note(c.seg(ACK))
    (ack,) = c.note(c.advance(ACK | PSH, payload=b"x"))
    return c, ack


def _rounded_up_edge(c, ack) -> int:
    """RCV.NXT plus RCV.WND rounded up to the scale unit: the edge Linux advertises."""
    return ack.ack + (-(-c.tcb().rcv_wnd() >> 7) << 7)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_window_field_rounding(profile) -> None:
    c, ack = _scaled_conn(profile)
    wnd = c.tcb().rcv_wnd()
    assert wnd % 128  # not a whole number of scale units
    # RFC 7323 2.3 allows either rounding; Linux __tcp_select_window rounds up (ALIGN).
    assert ack.window == (-(-wnd >> 7) if profile is LINUX else wnd >> 7)


@pytest.mark.parametrize("profile,reply", [(RFC, []), (LINUX, [ACK])], ids=["rfc", "linux"])
def test_rst_at_the_advertised_right_edge(profile, reply) -> None:
    c, ack = _scaled_conn(profile)
    edge = _rounded_up_edge(c, ack)
    # Linux tcp_sequence: !after(seq, RCV.WUP + window), a zero-length segment at the edge
    # included; RFC 9293 3.10.7.4: RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND.
    r = c.seg(RST, seq=edge)
    assert [s.flags for s in c.note(r)] == reply
    assert ("LINUX-tcp_sequence-advertised-right-edge" in r.rules()) is (profile is LINUX)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_text_in_the_last_scale_unit(profile) -> None:
    c, ack = _scaled_conn(profile)
    edge = _rounded_up_edge(c, ack)
    (reply,) = c.note(c.seg(ACK | PSH, seq=edge - 10, payload=b"y" * 10))
    blocks = [b for o in reply.options if isinstance(o, TcpOptSack) for b in o.blocks]
    # the RFC profile trims the text to its RCV.WND (RFC 9293 3.10.7.4); Linux's edge takes all
    right = edge if profile is LINUX else ack.ack + c.tcb().rcv_wnd()
    assert blocks == [(edge - 10, right)]


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_text_beyond_the_advertised_right_edge(profile) -> None:
    c, ack = _scaled_conn(profile)
    c.tcb().recv.ready.clear()  # the application has read the octet: the receive queue is empty
    edge = _rounded_up_edge(c, ack)
    r = c.seg(ACK | PSH, seq=edge - 2, payload=b"z" * 3)  # one octet beyond the edge
    (reply,) = c.note(r)
    blocks = [b for o in reply.options if isinstance(o, TcpOptSack) for b in o.blocks]
    # RFC 9293 3.10.7.4 trims the text to the window; Linux tcp_sequence lets the segment
    # through whole (empty receive queue) and tcp_data_queue_ofo queues it untrimmed.
    right = edge + 1 if profile is LINUX else ack.ack + c.tcb().rcv_wnd()
    assert blocks == [(edge - 2, right)]
    kept = "LINUX-tcp_sequence-text-beyond-edge-kept"
    assert (kept in r.rules()) is (profile is LINUX)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_bare_fin_at_the_advertised_right_edge(profile) -> None:
    """Linux tcp_sequence accepts a zero-length segment at the edge, then tcp_data_queue
    finds it out of window: an ACK, the FIN neither taken nor SACKed (stateful fuzz finding
    90162d597df9); RFC 9293 3.10.7.4 refuses it in the first check (an ACK as well)."""
    c, ack = _scaled_conn(profile)
    c.tcb().sack_ok = True
    edge = _rounded_up_edge(c, ack)
    r = c.seg(FIN | ACK, seq=edge)
    (reply,) = c.note(r)
    assert reply.flags == ACK and reply.ack == ack.ack
    assert not [o for o in reply.options if isinstance(o, TcpOptSack)]
    assert not c.tcb().recv.ooo and c.state() is State.ESTABLISHED
    assert ("LINUX-tcp_data_queue-out-of-window" in r.rules()) is (profile is LINUX)


RFC_DSACK = dataclasses.replace(RFC, dsack=True)


def _sack_conn(profile, ts: tuple[int, int] | None = None):
    """ESTABLISHED, passive, SACK (and timestamps if `ts`) negotiated."""
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(wscale=None, ts=ts)))
    c.note(c.seg(ACK, options=_stamp(ts[0] + 1) if ts else ()))
    return c


def _stamp(tsval: int) -> tuple:
    return (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(tsval, 0))


def _blocks(seg: TcpRepr) -> list[tuple[int, int]]:
    return [tuple(b) for o in seg.options if isinstance(o, TcpOptSack) for b in o.blocks]


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_sack_edge_of_text_and_fin(profile) -> None:
    c = _sack_conn(profile)
    left = c.snd_nxt + 1000
    (ack,) = c.note(c.seg(ACK | FIN, seq=left, payload=b"o" * 100))
    # RFC 2018 3: the data's edges; Linux tcp_sack_new_ofo_skb: the segment's end_seq
    assert _blocks(ack) == [(left, left + 100 + (profile is LINUX))]


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_out_of_order_bare_fin(profile) -> None:
    c = _sack_conn(profile)
    nxt = c.snd_nxt
    r = c.seg(FIN | ACK, seq=nxt + 1)  # one octet missing before it
    (ack,) = c.note(r)
    assert ack.ack == nxt
    # RFC 2018 4 reports data; Linux tcp_data_queue_ofo queues the FIN and SACKs its octet
    assert _blocks(ack) == ([(nxt + 1, nxt + 2)] if profile is LINUX else [])
    assert ("LINUX-tcp_data_queue_ofo-bare-fin-sacked" in r.rules()) is (profile is LINUX)
    (ack,) = c.note(c.seg(ACK, seq=nxt, payload=b"h"))  # the hole filled: the FIN in order
    assert ack.ack == nxt + 2 and _blocks(ack) == []
    assert c.tcb().state is State.CLOSE_WAIT


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_sack_blocks_most_recently_reported_first(profile) -> None:
    c = _sack_conn(profile)
    base = c.snd_nxt
    for off in (1000, 3000, 5000):
        (ack,) = c.note(c.seg(ACK, seq=base + off, payload=b"o" * 100))
    # RFC 2018 4: the triggering block first, then the most recently reported ones
    assert _blocks(ack) == [(base + o, base + o + 100) for o in (5000, 3000, 1000)]
    (ack,) = c.note(c.seg(ACK, seq=base + 1100, payload=b"o" * 100))
    assert _blocks(ack) == [(base + 1000, base + 1200), (base + 5000, base + 5100),
                            (base + 3000, base + 3100)]


@pytest.mark.parametrize("profile", [RFC_DSACK, LINUX], ids=["rfc-dsack", "linux"])
def test_paws_rejected_duplicate_is_dsacked(profile) -> None:
    c = _sack_conn(profile, ts=(1000, 0))
    c.note(c.advance(ACK | PSH, payload=b"abc", options=_stamp(1002)))
    r = c.seg(ACK | PSH, seq=c.snd_nxt - 3, payload=b"abc", options=_stamp(999))
    (ack,) = c.note(r)
    # RFC 7323 5.3 drops it with an ACK; RFC 2883 4 (Linux tcp_send_dupack) reports it
    assert "RFC7323-5.3-MUST-paws" in r.rules() and _blocks(ack) == [(c.snd_nxt - 3, c.snd_nxt)]


LINUX_6_1_PAWS = dataclasses.replace(LINUX, paws_syn_dupack=True)


@pytest.mark.parametrize("profile", [LINUX, LINUX_6_1_PAWS], ids=["linux", "linux-6.1"])
def test_paws_rejected_syn_dsack_on_6_1_only(profile) -> None:
    c = _sack_conn(profile, ts=(1000, 0))
    c.note(c.advance(ACK | PSH, payload=b"abc", options=_stamp(1002)))
    r = c.seg(SYN, seq=c.snd_nxt - 4, options=_stamp(999))  # the old SYN's octet
    (ack,) = c.note(r)
    # RFC 7323 5.3: an ACK, no D-SACK; Linux 6.1 tcp_send_dupack reports the SYN's octet
    six_one = profile is LINUX_6_1_PAWS
    assert "RFC7323-5.3-MUST-paws" in r.rules()
    assert ("LINUX-tcp_send_dupack-paws-syn-dsack" in r.rules()) is six_one
    assert _blocks(ack) == ([(c.snd_nxt - 4, c.snd_nxt - 3)] if six_one else [])


LINUX_6_1_ACK = dataclasses.replace(LINUX, ack_unsent_silent_established=True)


@pytest.mark.parametrize("profile", [RFC, LINUX, LINUX_6_1_ACK],
                         ids=["rfc", "linux", "linux-6.1"])
def test_ack_of_unsent_data_in_established(profile) -> None:
    c = _sack_conn(profile)
    r = c.seg(ACK, ack=c.rcv_nxt + 5000)
    answers = c.note(r)
    # RFC 9293 3.10.7.4: send an ACK and drop it; Linux 6.1 tcp_rcv_established drops it
    silent = profile is LINUX_6_1_ACK
    assert ("LINUX-tcp_rcv_established-ack-unsent-silent" in r.rules()) is silent
    assert len(answers) == (0 if silent else 1)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("ecn", [ECE | CWR, ECE], ids=["ecn-setup", "ece-only"])
def test_ecn_setup_syn(profile, ecn) -> None:
    c = bring_to(State.LISTEN, profile)
    r = c.advance(SYN | ecn)
    (synack,) = c.note(r)
    # RFC 3168 6.1.1: MAY answer an ECN-setup SYN with ECE; Linux tcp_ecn = 2 does
    setup = profile is LINUX and ecn == ECE | CWR
    assert synack.flags == SYN | ACK | (ECE if setup else 0)
    assert ("LINUX-tcp_ecn_create_request-ecn-setup" in r.rules()) is setup


@pytest.mark.parametrize("answer", [SYN | ACK | ECE, SYN | ACK, SYN | ACK | ECE | CWR],
                         ids=["ecn-setup-syn-ack", "plain-syn-ack", "ece-and-cwr"])
def test_ecn_setup_syn_sets_the_ecn_mode_until_the_syn_ack(answer) -> None:
    """Linux with net.ipv4.tcp_ecn = 1 (profile ecn_request): the ECN-setup SYN sets the
    connection's ECN mode, which TCP_INFO reports (TCPI_OPT_ECN, 8) in SYN-SENT; only an
    ECN-setup SYN-ACK (ECE without CWR, RFC 3168 6.1.1) keeps it (tcp_ecn_rcv_synack)."""
    c = bring_to(State.SYN_SENT, dataclasses.replace(LINUX, ecn_request=True))

    def ecn() -> bool:
        return bool(c.stack.getsockopt(c.fd, 6, 11).value.options & 8)  # TCP_INFO

    assert ecn()
    c.note(c.advance(answer))
    assert c.state() is State.ESTABLISHED
    assert ecn() is (answer == SYN | ACK | ECE)
    assert not bring_to(State.SYN_SENT, LINUX).stack.getsockopt(
        c.fd, 6, 11).value.options & 8  # (tcp_ecn = 2: a plain SYN)


@pytest.mark.parametrize("profile", [dataclasses.replace(RFC, initial_cwnd_segments=10), LINUX],
                         ids=["rfc-iw10", "linux"])
def test_fin_after_data_filling_cwnd(profile) -> None:
    link, a, _, b = connected_pair(profile)
    link.drop = lambda who, d: who == "b"  # no ACKs come back
    ta = next(iter(link.a.tcp.conns.values()))
    link.call(link.a, "send", a, b"z" * (10 * ta.mss))
    r = link.call(link.a, "shutdown", a, 1)
    assert ("LINUX-tcp_cwnd_test-fin-held" in r.reaction.rules()) is (profile is LINUX)
    fins = [d.tcp for w, d, _ in link.log if w == "a" and d.tcp and d.tcp.flags & FIN]
    # RFC 9293 3.10.4: the FIN follows the data; Linux tcp_cwnd_test holds it while the
    # segments in flight fill the congestion window
    assert len(fins) == (0 if profile is LINUX else 1)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_fin_carrying_segment_not_held_by_nagle(profile) -> None:
    link, a, _, b = connected_pair(profile)
    link.drop = lambda who, d: who == "b"  # no ACKs come back
    link.call(link.a, "send", a, b"1")
    link.call(link.a, "send", a, b"2")  # held by Nagle: "1" is unacknowledged
    r = link.call(link.a, "close", a)
    sent = [d.tcp for w, d, _ in link.log if w == "a" and d.tcp and d.tcp.payload]
    # RFC 1122 4.2.3.4: "2" (and the FIN behind it) waits for the ACK of "1"; Linux
    # tcp_nagle_test lets the segment carrying the FIN go at once
    linux = profile is LINUX
    assert [s.payload for s in sent] == ([b"1", b"2"] if linux else [b"1"])
    assert not linux or sent[1].flags & FIN
    assert ("LINUX-tcp_nagle_test-fin-not-held" in r.reaction.rules()) is linux


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("state", [State.FIN_WAIT_1, State.FIN_WAIT_2], ids=["fw1", "fw2"])
def test_fin_beyond_rcv_nxt_after_close(profile, state) -> None:
    c = bring_to(state, profile)  # the socket was closed (not shut down)
    r = c.seg(ACK | FIN, seq=c.snd_nxt + 100)
    replies = c.note(r)
    # RFC 1122 4.2.2.13: new data after CLOSE draws a RST; Linux tcp_rcv_state_process
    # counts a FIN beyond RCV.NXT as new data (end_seq - fin after RCV.NXT): a RST, and gone;
    # so does the orphaned FIN-WAIT-2's minisocket (tcp_timewait_state_process: TCP_TW_RST)
    linux = profile is LINUX
    assert [x.flags & RST for x in replies] == [RST if linux else 0]
    rule = ("LINUX-tcp_rcv_state_process-fin-beyond-rcv-nxt" if state is State.FIN_WAIT_1
            else "LINUX-tcp_timewait_state_process-fin-wait-2-fin-gap")
    assert (rule in r.rules()) is linux
    assert (c.state() is State.CLOSED) is linux


@pytest.mark.parametrize("profile", [dataclasses.replace(RFC, dsack=True), LINUX],
                         ids=["rfc", "linux"])
@pytest.mark.parametrize("data", [False, True], ids=["fin-alone", "data-before-fin"])
def test_out_of_order_fin_in_sack_blocks(profile, data) -> None:
    c = _sack_conn(profile)
    base = c.snd_nxt
    if data:
        c.note(c.seg(ACK, seq=base + 10, payload=b"d" * 10))
    (ack,) = c.note(c.seg(ACK | FIN, seq=base + 100))
    # RFC 2018: blocks for out-of-order data; Linux tcp_data_queue_ofo queues the FIN's
    # segment too, [FIN, FIN + 1): a block of its own, first (the most recent)
    fin_block = [(base + 100, base + 101)] if profile is LINUX else []
    assert _blocks(ack) == fin_block + ([(base + 10, base + 20)] if data else [])


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("flags,offset", [(SYN, 0), (RST, 1), (SYN, 1 << 20)],
                         ids=["syn", "rst", "syn-beyond-window"])
def test_orphaned_fin_wait_2_is_a_minisocket(profile, flags, offset) -> None:
    c = bring_to(State.FIN_WAIT_2, profile)  # the socket was closed (not shut down)
    r = c.seg(flags, seq=c.snd_nxt + offset)
    replies = c.note(r)
    # RFC 5961 3.2 / 4.2: a challenge ACK; Linux tcp_timewait_state_process (substate
    # TCP_FIN_WAIT2): a SYN in the window draws a RST, a RST ends it silently; a SYN beyond
    # the window, the out-of-window ACK
    if profile is LINUX and offset < 1 << 20:
        assert [x.flags & RST for x in replies] == ([RST] if flags & SYN else [])
        assert c.state() is State.CLOSED
    else:
        assert [x.flags for x in replies] == [ACK] and c.state() is State.FIN_WAIT_2


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_urgent_pointer_zero(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.stack.receive(c.tester.tcp(c.sport, c.dport, ACK | URG, c.snd_nxt, c.rcv_nxt, b"x",
                                 urgent=0), 0.0)
    got = c.stack.recv(c.fd, 100, 0.0)
    # RFC 6093: urgent data stays in line; Linux tcp_check_urg does not step a zero pointer
    # back ("if (ptr && ...) ptr--"): the segment's first octet is the out-of-band byte
    if profile is LINUX:
        assert got.errno == errno.EAGAIN
    else:
        assert got.value == b"x"


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_out_of_order_fin_is_not_the_end_of_the_stream(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.seg(ACK | FIN, seq=c.snd_nxt + 100))
    # RFC 9293 3.10.7.4: the FIN counts once RCV.NXT reaches it; before, a read would block
    assert c.stack.recv(c.fd, 100, 0.0).errno == errno.EAGAIN


@pytest.mark.parametrize("profile", [dataclasses.replace(RFC, oow_ack_interval=0.5), LINUX],
                         ids=["rfc-throttled", "linux"])
def test_orphaned_fin_wait_2_starts_with_the_ack_limit_unarmed(profile) -> None:
    c = bring_to(State.FIN_WAIT_1, profile)  # closed; the FIN not yet acknowledged
    assert len(c.note(c.seg(RST, seq=c.snd_nxt + 1))) == 1  # a challenge ACK arms the limit
    c.note(c.seg(ACK))  # the FIN acknowledged: FIN-WAIT-2
    assert c.state() is State.FIN_WAIT_2
    # RFC 5961 7: the next out-of-window ACK within the interval is limited; Linux's
    # FIN-WAIT-2 minisocket has a timestamp of its own, unarmed: it answers
    replies = c.note(c.seg(ACK, seq=c.snd_nxt + (1 << 20)))
    assert len(replies) == (1 if profile is LINUX else 0)


@pytest.mark.parametrize("profile", [dataclasses.replace(RFC, oow_ack_interval=0.5), LINUX],
                         ids=["rfc-throttled", "linux"])
def test_time_wait_new_syn_without_listener_acked_unlimited(profile) -> None:
    """Stateful finding 7ba9159982c0: a SYN above the old sequence space in TIME-WAIT, with no
    listener on the port, just after an out-of-window ACK."""
    c = bring_to(State.TIME_WAIT, profile)  # an active open: nothing listens on its port
    assert len(c.note(c.seg(SYN, seq=c.snd_nxt - 1))) == 1  # an old SYN: an ACK, limit armed
    r = c.seg(SYN, seq=c.snd_nxt + 1000)
    replies = c.note(r)
    # RFC 5961 7: this ACK is limited as well; Linux's TCP_TW_SYN without a listener goes to
    # tcp_v4_timewait_ack past the limit
    if profile is LINUX:
        (ack,) = replies
        assert ack.flags == ACK and ack.ack == c.snd_nxt
        assert "LINUX-tcp_v4_rcv-time-wait-syn-ack-unlimited" in r.rules()
    else:
        assert replies == []
    assert c.state() is State.TIME_WAIT


FULL_SOCKET_FW2 = dataclasses.replace(LINUX, fin_wait_2_minisock=False)
FREED = "LINUX-tcp_time_wait-fin-wait-2-ofo-freed"


@pytest.mark.parametrize("profile", [RFC, FULL_SOCKET_FW2, LINUX],
                         ids=["rfc", "linux-full-socket", "linux"])
@pytest.mark.parametrize("ack_flag", [0, ACK], ids=["no-ack", "ack"])
def test_orphaned_fin_wait_2_answers_old_segments_without_sack(profile, ack_flag) -> None:
    c = _sack_conn(profile)
    fd = c.stack.accept(c.fd, 0.0).value[0]
    c.note(c.stack.close(fd, 0.0).reaction)  # its FIN
    c.note(c.seg(ACK))  # the FIN acknowledged: an orphaned FIN-WAIT-2
    assert c.state() is State.FIN_WAIT_2
    old = c.seg(FIN | ack_flag, seq=c.snd_nxt - 20, payload=b"o" * 9)  # old text and FIN
    replies = c.note(old)
    # RFC 9293 3.10.7.4: the first check answers it; Linux's full socket drops an ACK-less
    # segment first (tcp_rcv_established); its FIN-WAIT-2 minisocket checks the window first
    # (tcp_timewait_state_process) and answers with tcp_v4_timewait_ack: no SACK option
    if profile is FULL_SOCKET_FW2 and not ack_flag:
        assert replies == []
    else:
        (ack,) = replies
        dsack = profile is FULL_SOCKET_FW2  # tcp_send_dupack's D-SACK
        assert ack.flags == ACK and bool(_blocks(ack)) is dsack


@pytest.mark.parametrize("profile", [RFC, FULL_SOCKET_FW2, LINUX],
                         ids=["rfc", "linux-full-socket", "linux"])
def test_orphaned_fin_wait_2_forgets_out_of_order_data(profile) -> None:
    """Stateful findings 01f4be5f1c0c, 5de5fa58229f: data held out of order when the socket
    is closed in FIN-WAIT-2."""
    c = _sack_conn(profile)
    fd = c.stack.accept(c.fd, 0.0).value[0]
    c.note(c.stack.shutdown(fd, 1, 0.0).reaction)  # its FIN
    c.note(c.seg(ACK))  # the FIN acknowledged: FIN-WAIT-2
    left = c.snd_nxt + 1000
    (ack,) = c.note(c.seg(ACK, seq=left, payload=b"o" * 4))  # held out of order
    assert _blocks(ack) == [(left, left + 4)]
    r = c.stack.close(fd, 0.0)  # orphaned: Linux's minisocket replaces the full socket
    c.note(r.reaction)
    assert (FREED in r.reaction.rules()) is (profile is LINUX)
    (ack,) = c.note(c.seg(ACK, seq=c.snd_nxt + (1 << 20)))  # out of the window: an ACK
    # RFC 2018 4: the out-of-order data is still reported; Linux's minisocket holds none
    assert _blocks(ack) == ([] if profile is LINUX else [(left, left + 4)])


def test_tail_loss_probe_sends_new_data_beyond_cwnd_linux() -> None:
    link, a, _, b = connected_pair(LINUX)
    link.drop = lambda who, d: who == "b"  # no ACKs come back
    ta = next(iter(link.a.tcp.conns.values()))
    link.call(link.a, "setsockopt", a, 6, 1, 1)  # TCP_NODELAY
    link.call(link.a, "send", a, b"p" * (12 * ta.mss))
    t0 = link.now
    link.advance(t0 + 0.5)  # the probe, before the RTO
    sent = [d.tcp.seq for w, d, _ in link.log if w == "a" and d.tcp and d.tcp.payload]
    # RFC 8985 7.3: the probe is the next new segment (Linux tcp_write_xmit, push_one = 2,
    # ignores the full congestion window), not a retransmission of the last one
    assert len(sent) >= 11 and sent[10] == (sent[9] + ta.mss) & 0xFFFFFFFF


@pytest.mark.parametrize("profile", [RFC_DSACK, LINUX], ids=["rfc-dsack", "linux"])
def test_old_text_with_the_fin_taken(profile) -> None:
    c = _sack_conn(profile)
    c.note(c.advance(ACK | PSH, payload=b"ab"))
    nxt = c.snd_nxt
    (ack,) = c.note(c.seg(ACK | FIN, seq=nxt - 1, payload=b"b"))  # "b" again, then the FIN
    assert ack.ack == nxt + 1
    # RFC 2883: the octet received again in a D-SACK block. Linux tcp_data_queue sets that
    # D-SACK, then tcp_fin's tcp_sack_reset clears it (measured: stateful fuzz finding
    # 0723d4659c03, the second FIN's ACK without a SACK option).
    assert _blocks(ack) == ([] if profile is LINUX else [(nxt - 1, nxt)])


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_ack_of_out_of_order_text_rides_on_data(profile) -> None:
    """Out-of-order text that also opens the peer's window: RFC 9293 lets the ACK ride on the
    data it lets go (rfc: a duplicate ACK, then the data); Linux sends the data first
    (tcp_data_snd_check before tcp_ack_snd_check) and no ACK of its own (stateful fuzz
    findings 41de8e413d54, e8a5bc085f55)."""
    c = _sack_conn(profile)
    fd = c.stack.accept(c.listen_fd).value[0]
    c.note(c.seg(ACK, window=0))  # the peer's window closes
    c.note(c.stack.send(fd, b"held", 0.0).reaction)
    base = c.snd_nxt
    segs = c.note(c.seg(ACK | PSH, seq=base + 100, payload=b"o" * 7, window=1000))
    assert [len(s.payload) for s in segs] == ([4] if profile is LINUX else [0, 4])
    assert all(_blocks(s) == [(base + 100, base + 107)] for s in segs)


def test_old_text_with_the_fin_taken_after_close_linux() -> None:
    """In FIN-WAIT-1 tcp_fin sends its ACK before tcp_sack_reset: the D-SACK stays
    (stateful fuzz finding 28de98371207)."""
    c = _sack_conn(LINUX)
    c.note(c.advance(ACK | PSH, payload=b"ab"))
    tcb = c.tcb()
    fd = c.stack.accept(c.listen_fd).value[0]
    assert c.stack.recv(fd, 10, 0.0).value == b"ab"  # (unread data: close() would reset)
    c.note(c.stack.close(fd, 0.0).reaction)  # our FIN
    assert tcb.state is State.FIN_WAIT_1
    nxt = c.snd_nxt
    acks = [s for s in c.note(c.seg(ACK | FIN, seq=nxt - 1, payload=b"b")) if s.ack == nxt + 1]
    assert acks and _blocks(acks[0]) == [(nxt - 1, nxt)]


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_fourth_out_of_order_ack_may_wait(profile) -> None:
    c = _sack_conn(profile)
    base = c.snd_nxt
    delays = []
    for off in (1000, 3000, 5000, 7000):
        r = c.seg(ACK, seq=base + off, payload=b"o" * 100)
        (pred,) = r.predictions
        delays.append("timing.delay_ms" in pred.variance)
    # RFC 5681 4.2: at once; Linux __tcp_ack_snd_check compresses after the third
    assert delays == [False, False, False, profile is LINUX]


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_fin_held_by_a_zero_window(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.seg(ACK, window=0))  # the peer's window closes
    r = c.stack.close(c.fd, 0.0).reaction
    fins = [x for x in c.note(r) if x.flags & FIN]
    # RFC 9293 3.10.4: the FIN follows the data at once; Linux tcp_snd_wnd_test holds it
    # until the window covers it, and the persist timer probes the zero window meanwhile
    linux = profile is LINUX
    assert len(fins) == (0 if linux else 1)
    assert ("LINUX-tcp_snd_wnd_test-fin-held" in r.rules()) is linux
    if linux:
        tcb = c.tcb()
        due = c.stack.poll_at()
        probe = c.note(c.stack.poll(due))
        assert [(x.flags, x.seq) for x in probe] == [(ACK, (tcb.snd_una - 1) & 0xFFFFFFFF)]
        (fin,) = c.note(c.seg(ACK, window=1000))  # the window opens: the FIN goes
        assert fin.flags & FIN and fin.seq == tcb.snd_una


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_retransmission_before_the_fin_was_sent_does_not_carry_it(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.stack.send(c.fd, b"d", 0.0).reaction)
    due = c.stack.poll_at()
    while c.stack.tcp.conns and c.tcb().retries == 0:  # (a loss probe may come first)
        c.note(c.stack.poll(due))
        due = c.stack.poll_at()
    r = c.stack.close(c.fd, due - 0.01).reaction  # after an RTO: cwnd is one segment
    at_close = [x.flags & FIN for x in c.note(r)]
    (again,) = c.note(c.stack.poll(c.stack.poll_at()))  # the next RTO
    # RFC 9293 3.10.4: the FIN follows the data at once, and a retransmission carries it;
    # Linux queues the FIN as a segment of its own, held by tcp_cwnd_test, and retransmits
    # only the data segment (tcp_retransmit_skb)
    linux = profile is LINUX
    assert at_close == ([] if linux else [FIN])
    assert again.payload == b"d" and bool(again.flags & FIN) is not linux


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_rto_retransmits_the_head_segment_alone(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.stack.send(c.fd, b"1", 0.0).reaction)
    c.note(c.stack.send(c.fd, b"23", 0.0).reaction)  # held by Nagle: "1" is unacknowledged
    tcb = c.tcb()
    while tcb.retries == 0:  # (a loss probe may come first)
        r = c.stack.poll(c.stack.poll_at())
        sent = c.note(r)
    # RFC 6298 5.4 / RFC 9293 3.8.1: the earliest segment, repacketized with the data after
    # it; Linux tcp_retransmit_timer sends its retransmission queue's head alone, never data
    # it had not sent before
    linux = profile is LINUX
    assert [x.payload for x in sent] == [b"1" if linux else b"123"]
    assert ("LINUX-tcp_retransmit_timer-head-only" in r.rules()) is linux


def test_tail_loss_probe_sends_data_held_by_nagle_linux() -> None:
    c = _sack_conn(LINUX)  # (a loss probe needs SACK)
    fd = c.stack.accept(c.fd, 0.0).value[0]
    c.note(c.stack.send(fd, b"1", 0.0).reaction)
    c.note(c.stack.send(fd, b"234", 0.0).reaction)  # held by Nagle: "1" is unacknowledged
    r = c.stack.poll(c.stack.poll_at())
    # RFC 8985 7.3: the probe is "a previously unsent segment" if the window allows, Nagle
    # aside (Linux tcp_send_loss_probe -> tcp_write_xmit with TCP_NAGLE_OFF)
    assert "RFC8985-7.3-MAY-tail-loss-probe" in r.rules()
    assert [x.payload for x in c.note(r)] == [b"234"]


def test_second_probe_timeout_of_an_episode_fires_the_overdue_rto_linux() -> None:
    # Measured on Linux 6.18 (fuzz finding c513 replayed with 0.5 s between steps): after a
    # loss probe sent new data, close()'s FIN re-arms the probe timer in place of the RTO
    # (one timer, tcp_schedule_loss_probe; the RTO measured from the head segment's sending
    # is already past, so it does not cap the PTO); when it fires, a probe is already out
    # (tlp_high_seq), so tcp_rearm_rto fires the overdue RTO at once: the head segment, the
    # later ones collapsed into it, with the FIN.
    c = bring_to(State.SYN_SENT, LINUX)
    c.tester.now = 0.5
    c.note(c.advance(SYN | ACK, options=syn_options(ts=None)))  # SRTT 0.5 s, RTO 1.5 s
    c.note(c.stack.send(c.fd, b"z", 1.0).reaction)
    c.note(c.stack.send(c.fd, b"4444", 1.5).reaction)  # held by Nagle
    (probe,) = c.note(c.stack.poll(c.stack.poll_at()))
    assert probe.payload == b"4444"  # the probe: new data
    c.note(c.stack.close(c.fd, 3.0).reaction)  # its FIN
    due = c.stack.poll_at()
    assert due == pytest.approx(3.0 + 2 * 0.5 + LINUX.tlp_min_timeout)  # the PTO, uncapped
    assert c.note(c.stack.poll(due)) == []  # no second probe: the RTO re-armed, now
    assert c.stack.poll_at() == pytest.approx(due)
    r = c.stack.poll(due)
    (again,) = c.note(r)
    assert again.payload == b"z4444" and again.flags & FIN
    assert "RFC6298-5.4-MUST-retransmit-earliest" in r.rules()


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("state", [State.CLOSE_WAIT, State.CLOSING, State.LAST_ACK])
def test_text_after_the_peers_fin_starting_before_rcv_nxt(profile, state) -> None:
    """Stateful finding 3826bb2af871: CLOSING, text from RCV.NXT - 1 (the FIN's octet)."""
    c = bring_to(state, profile, half_close=True)
    ours = state is not State.CLOSE_WAIT  # our FIN sent: not acknowledged by the segment
    r = c.seg(ACK | PSH, seq=c.snd_nxt - 1, ack=c.rcv_nxt - ours, payload=b"abcdef")
    replies = c.note(r)
    if profile is LINUX:  # tcp_rcv_state_process: TCPABORTONDATA, then tcp_v4_send_reset
        assert [s.flags for s in replies] == [RST] and replies[0].seq == c.rcv_nxt - ours
        assert c.state() is State.CLOSED
        assert "LINUX-tcp_rcv_state_process-text-after-fin-abort" in r.rules()
    else:  # RFC 9293 3.10.7.4 seventh check: the text is ignored
        assert all(s.flags & RST == 0 for s in replies) and c.state() is state


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_in_order_text_reaching_data_held_out_of_order_is_d_sacked(profile) -> None:
    """Stateful finding 90162d597df9: 6 octets one past RCV.NXT, then 6 at RCV.NXT."""
    c = _sack_conn(profile)
    start = c.snd_nxt
    (ack,) = c.note(c.seg(ACK, seq=start + 1, payload=b"b" * 6))  # held out of order
    assert _blocks(ack) == [(start + 1, start + 7)]
    replies = c.note(c.seg(ACK, seq=start, payload=b"a" * 6))  # fills the hole, 5 again
    assert replies[-1].ack == start + 7
    # RFC 2883 (D-SACK, the linux profile): the octets received twice, as Linux's
    # tcp_ofo_queue reports them; the rfc profile sends no D-SACK
    assert _blocks(replies[-1]) == ([(start + 1, start + 6)] if profile is LINUX else [])


@pytest.mark.parametrize("tunnel", [False, True], ids=["linux", "linux-xfrm4-tunnel"])
@pytest.mark.parametrize("protocol", [4, 41, 47])
def test_tunnel_protocols_of_xfrm4_tunnel_get_no_protocol_unreachable(tunnel, protocol) -> None:
    from tests.unit.refstack.harness import RawPeer, make_stack

    profile = dataclasses.replace(LINUX, ipv4_tunnel_protocols=(4, 41) if tunnel else ())
    s = make_stack(profile)
    r = s.receive(RawPeer(s).ip_frame(protocol, bytes(48)), 0.0)
    # RFC 1122 3.2.2.1: Protocol Unreachable; Linux's tunnel4 takes 4 and 41 (tunnel4_rcv)
    taken = tunnel and protocol in (4, 41)
    assert len(r.frames) == (0 if taken else 1)
    assert ("LINUX-tunnel4_rcv-xfrm-tunnel" in [d.rule for d in r.trace]) is taken


@pytest.mark.parametrize("known", [False, True], ids=["linux", "linux-esp4-ah4"])
@pytest.mark.parametrize("protocol", [50, 51])
def test_esp_and_ah_without_an_sa(known, protocol) -> None:
    from tests.unit.refstack.harness import RawPeer, make_stack

    s = make_stack(dataclasses.replace(LINUX, ipv4_ipsec=known))
    r = s.receive(RawPeer(s).ip_frame(protocol, bytes(24)), 0.0)
    # RFC 4303 3.4.2 / RFC 4302 3.4.2 discard without an SA; a host without them answers
    # a Protocol Unreachable (RFC 1122 3.2.2.1), as the host kernel does
    assert len(r.frames) == (0 if known else 1)
    assert ("RFC4303-3.4.2-MUST-discard-no-sa" in [d.rule for d in r.trace]) is known


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("beyond", [b"", b"xyz"], ids=["fin", "text"])
def test_fin_ack_in_fin_wait_1_sacks_what_the_fin_purges(profile, beyond) -> None:
    """Held beyond RCV.NXT in FIN-WAIT-1: a FIN (RCV.NXT + 1) or text, then the peer's FIN at
    RCV.NXT. RFC 9293 3.10.7.4: what lies beyond the FIN is discarded, its ACK reports none
    of it; Linux tcp_fin sends that ACK before skb_rbtree_purge and tcp_sack_reset, with the
    SACK block still (stateful fuzz finding e9b6fbd63f37, IPv6, and its IPv4 replay)."""
    c = _sack_conn(profile)
    tcb = c.tcb()
    fd = c.stack.accept(c.listen_fd).value[0]
    c.note(c.stack.shutdown(fd, 1, 0.0).reaction)  # SHUT_WR: our FIN
    assert tcb.state is State.FIN_WAIT_1
    nxt = c.snd_nxt
    flags = ACK | (FIN if not beyond else PSH)
    c.note(c.seg(flags, seq=nxt + 1, payload=beyond, ack=tcb.snd_una))
    r = c.seg(ACK | FIN, seq=nxt, ack=tcb.snd_una)
    (ack,) = c.note(r)
    assert ack.ack == nxt + 1 and tcb.state is State.CLOSING
    held = (nxt + 1, nxt + 1 + (len(beyond) or 1))
    if profile is LINUX:
        assert _blocks(ack) == [held]
    else:
        assert _blocks(ack) == []
    assert ("LINUX-tcp_fin-ack-before-ofo-purge" in r.rules()) is (profile is LINUX)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_reset_in_closing_reported_to_send(profile) -> None:
    """CLOSING (shutdown(SHUT_WR), then the peer's FIN), then a RST at RCV.NXT - 1 (Linux
    tcp_reset_check) or RCV.NXT: RFC 9293 3.10.7.4 closes without a "connection reset", so
    send() finds the sending side shut (EPIPE); Linux tcp_reset sets sk_err = ECONNRESET,
    which send() reports first (stateful fuzz finding 9cddc6abd461)."""
    c = _sack_conn(profile)
    tcb = c.tcb()
    fd = c.stack.accept(c.listen_fd).value[0]
    c.note(c.stack.shutdown(fd, 1, 0.0).reaction)  # SHUT_WR: our FIN
    nxt = c.snd_nxt
    c.note(c.seg(ACK | FIN, seq=nxt, ack=tcb.snd_una))
    assert tcb.state is State.CLOSING
    r = c.seg(RST, seq=nxt + 1)
    c.note(r)
    assert tcb.state is State.CLOSED
    assert c.stack.send(fd, b"x", 0.0).errno == (
        errno.ECONNRESET if profile is LINUX else errno.EPIPE)
    assert ("LINUX-tcp_reset-closing-econnreset" in r.rules()) is (profile is LINUX)
