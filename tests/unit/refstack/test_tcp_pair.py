"""Two reference stacks on a virtual link: handshakes, closes, timers, windows."""

from __future__ import annotations

import dataclasses
import errno

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.socket_api import AF_INET, SOCK_STREAM
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, SYN
from tests.unit.refstack.harness import Link, connected_pair, lose_first_data_segment


def states(link: Link) -> tuple[list[State], list[State]]:
    return ([t.state for t in link.a.tcp.conns.values()],
            [t.state for t in link.b.tcp.conns.values()])


def test_three_way_handshake_and_data_both_ways() -> None:
    link, a, _, b = connected_pair()
    assert link.a.tcp_state(a) is State.ESTABLISHED
    assert link.b.tcp_state(b) is State.ESTABLISHED
    assert link.call(link.a, "send", a, b"ping").value == 4
    assert link.call(link.b, "send", b, b"pong!").value == 5
    link.deliver()
    assert link.call(link.b, "recv", b, 100).value == b"ping"
    assert link.call(link.a, "recv", a, 100).value == b"pong!"


@pytest.mark.parametrize("profile", [LINUX, RFC], ids=lambda p: p.name)
def test_simultaneous_open(profile) -> None:
    link = Link(profile)
    fa = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
    fb = link.call(link.b, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.a, "bind", fa, ("0.0.0.0", 5000))
    link.call(link.b, "bind", fb, ("0.0.0.0", 6000))
    # Both SYNs are on the wire before either arrives.
    assert link.call(link.a, "connect", fa, ("198.18.0.11", 6000)).errno == errno.EINPROGRESS
    assert link.call(link.b, "connect", fb, ("198.18.0.10", 5000)).errno == errno.EINPROGRESS
    link.deliver()
    assert link.a.tcp_state(fa) is State.ESTABLISHED
    assert link.b.tcp_state(fb) is State.ESTABLISHED
    flags = [s.flags for s in link.tcp_log()]
    assert flags[:2] == [SYN, SYN]
    assert flags.count(SYN | ACK) == 2  # each side answered the other's SYN with SYN,ACK
    assert link.call(link.a, "connect", fa, ("198.18.0.11", 6000)).value == 0
    assert link.call(link.a, "connect", fa, ("198.18.0.11", 6000)).errno == errno.EISCONN
    # Data flows after the simultaneous open.
    link.call(link.a, "send", fa, b"hi")
    link.deliver()
    assert link.call(link.b, "recv", fb, 10).value == b"hi"


def test_simultaneous_close_goes_through_closing() -> None:
    link, a, _, b = connected_pair()
    link.call(link.a, "close", a)
    link.call(link.b, "close", b)  # both FINs cross on the wire
    seen = []
    orig_push = link.push

    def spy(who, reaction):
        for d in reaction.trace:
            seen.append(d.rule)
        orig_push(who, reaction)

    link.push = spy
    link.deliver()
    assert "RFC9293-3.10.7.4-MUST-fin-closing" in seen
    assert "RFC9293-3.10.7.4-MUST-closing-ack" in seen
    sa, sb = states(link)
    assert sa == [State.TIME_WAIT] and sb == [State.TIME_WAIT]
    link.advance(LINUX.time_wait + 1)
    assert states(link) == ([], [])


def test_normal_close_sequence() -> None:
    link, a, _, b = connected_pair()
    link.call(link.a, "close", a)
    link.deliver()
    assert states(link) == ([State.FIN_WAIT_2], [State.CLOSE_WAIT])
    assert link.call(link.b, "recv", b, 10).value == b""  # end of file
    link.call(link.b, "close", b)
    link.deliver()
    assert states(link) == ([State.TIME_WAIT], [])


def _syn_gaps(profile):
    link = Link(profile)
    link.drop = lambda who, d: who == "a"  # every frame a sends is lost
    fa = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.a, "connect", fa, ("198.18.0.11", 80))
    link.advance(200.0)
    syn_times = [t for w, d, t in link.log if w == "a" and d.tcp and d.tcp.flags == SYN]
    return [round(b - a, 6) for a, b in zip(syn_times, syn_times[1:], strict=False)]


def test_syn_timeouts_linear_then_doubling_linux() -> None:
    # Linux tcp_retransmit_timer: no backoff for the first tcp_syn_linear_timeouts (4) SYN
    # retransmissions, then RFC 6298 5.5 doubling; tcp_write_timeout allows tcp_syn_retries (6)
    # + tcp_syn_linear_timeouts (4) retransmissions (measured on 6.18: suites/tcp/
    # test_syn_retries.py).
    assert _syn_gaps(LINUX) == [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert _syn_gaps(dataclasses.replace(LINUX, syn_linear_timeouts=0)) == [
        1.0, 2.0, 4.0, 8.0, 16.0, 32.0]


def test_rto_backoff_doubles_on_the_virtual_clock() -> None:
    link = Link(RFC)
    link.drop = lambda who, d: who == "a"  # every frame a sends is lost
    fa = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.a, "connect", fa, ("198.18.0.11", 80))
    link.advance(200.0)
    syn_times = [t for w, d, t in link.log if w == "a" and d.tcp and d.tcp.flags == SYN]
    gaps = [round(b - a, 6) for a, b in zip(syn_times, syn_times[1:], strict=False)]
    # RFC 6298 2.1 initial RTO 1 s, 5.5 doubling; syn_retries = 6 retransmissions.
    assert gaps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert link.call(link.a, "connect", fa, ("198.18.0.11", 80)).errno == errno.ETIMEDOUT


def test_rto_is_capped_by_the_profile_maximum() -> None:
    link, a, _, b = connected_pair(RFC)
    link.drop = lambda who, d: who == "a" and bool(d.tcp and d.tcp.payload)
    link.call(link.a, "send", a, b"x" * 100)
    link.advance(2000.0)
    times = [t for w, d, t in link.log if w == "a" and d.tcp and d.tcp.payload]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # RTT 0 on the virtual link: RTO = the RFC 6298 2.4 minimum of 1 s, then doubling up to
    # the maximum, 15 retransmissions (R2), then the connection is dropped.
    assert gaps == pytest.approx([1, 2, 4, 8, 16, 32] + [RFC.rto_max] * 9)
    assert link.call(link.a, "recv", a, 10).errno == errno.ETIMEDOUT


def test_karn_no_rtt_sample_from_retransmission() -> None:
    # Without tail loss probes, so that the lost segment comes back through the RTO.
    link, a, _, b = connected_pair(dataclasses.replace(LINUX, tail_loss_probe=False))
    tcb = next(iter(link.a.tcp.conns.values()))
    srtt_before = tcb.rto.srtt
    lost = []

    def drop_first_data(who, d):
        if who == "a" and d.tcp and d.tcp.payload and not lost:
            lost.append(d)
            return True
        return False

    link.drop = drop_first_data
    link.call(link.a, "send", a, b"data")
    link.advance(link.now + 1.5)  # retransmitted at RTO = 1 s, acknowledged at once
    assert lost
    assert tcb.snd_una == tcb.snd_nxt
    # Karn: the ACK of the retransmission gave no sample: SRTT unchanged, RTO still backed off.
    assert tcb.rto.srtt == srtt_before
    assert tcb.rto.rto == pytest.approx(2 * tcb.rto._base)
    # A fresh segment, acknowledged without loss, is sampled and clears the backoff.
    link.call(link.a, "send", a, b"more")
    link.deliver()
    assert tcb.rto.rto == pytest.approx(tcb.rto._base)


def test_zero_window_probe_linux_style() -> None:
    link, a, _, b = connected_pair(LINUX)
    tb = next(iter(link.b.tcp.conns.values()))
    tb.recv.capacity = 2 * 1448  # b's application never reads; two full segments fill it
    # b's next segment advertises the smaller window (a does not send beyond it: Linux
    # tcp_sequence would refuse a segment ending beyond the edge while b's queue holds data)
    link.call(link.b, "send", b, b"w")
    link.deliver()
    ta = next(iter(link.a.tcp.conns.values()))
    link.call(link.a, "setsockopt", a, 6, 1, 1)  # TCP_NODELAY
    link.call(link.a, "send", a, b"y" * 12000)
    link.deliver()
    assert ta.snd_wnd == 0
    assert link.a.poll_at() is not None
    t0 = link.now
    link.advance(t0 + 10.0)
    probes = [(t, d.tcp) for w, d, t in link.log if w == "a" and d.tcp and t > t0]
    assert probes, "no zero-window probe sent"
    for _, seg in probes:
        assert seg.payload == b"" and seg.seq == (ta.snd_una - 1) & 0xFFFFFFFF
    gaps = [b[0] - a[0] for a, b in zip(probes, probes[1:], strict=False)]
    assert all(g2 >= g1 for g1, g2 in zip(gaps, gaps[1:], strict=False))  # backoff
    # The application reads: the window reopens and the data flows.
    got = link.call(link.b, "recv", b, 100000).value
    link.advance(link.now + 60)
    while (more := link.call(link.b, "recv", b, 100000)).ok:
        got += more.value
        link.advance(link.now + 1)
    assert got == b"y" * 12000


def test_zero_window_probe_one_byte_rfc_style() -> None:
    link, a, _, b = connected_pair(RFC)
    tb = next(iter(link.b.tcp.conns.values()))
    tb.recv.capacity = 1000
    link.call(link.a, "setsockopt", a, 6, 1, 1)
    link.call(link.a, "send", a, b"z" * 3000)
    link.deliver()
    t0 = link.now
    link.advance(t0 + 5.0)
    probes = [d.tcp for w, d, t in link.log if w == "a" and d.tcp and t > t0]
    assert probes and all(len(p.payload) == 1 for p in probes)


def test_window_scaling_both_sides() -> None:
    link, a, _, b = connected_pair(LINUX)
    ta = next(iter(link.a.tcp.conns.values()))
    tb = next(iter(link.b.tcp.conns.values()))
    assert (ta.snd_wscale, ta.rcv_wscale, tb.snd_wscale, tb.rcv_wscale) == (7, 7, 7, 7)
    # The SYNs' windows are unscaled (RFC 7323 2.2); later windows are shifted.
    syn, synack = link.tcp_log()[:2]
    assert syn.window == 64240 and synack.window == 65160
    ack = link.tcp_log("a")[1]
    # Linux (__tcp_select_window) rounds RCV.WND up to the scale unit (RFC 7323 2.3).
    assert ack.window == -(-ta.rcv_wnd() >> 7) and (ack.window - 1) << 7 < ta.rcv_wnd()
    assert tb.snd_wnd == ack.window << 7
    # Bulk data beyond 65535 bytes in flight is possible only with scaling.
    link.call(link.a, "setsockopt", a, 6, 1, 1)
    link.call(link.a, "setsockopt", a, 1, 7, 200000)  # SO_SNDBUF: room for the 100000 octets
    link.call(link.a, "send", a, b"w" * 100000)
    link.deliver()
    total = b""
    while (r := link.call(link.b, "recv", b, 1 << 20)).ok and r.value:
        total += r.value
        link.deliver()
    assert total == b"w" * 100000


def test_no_window_scaling_when_the_peer_does_not_offer_it() -> None:
    from dataclasses import replace
    link, a, _, b = connected_pair(LINUX, profile_b=replace(LINUX, window_scaling=False))
    ta = next(iter(link.a.tcp.conns.values()))
    assert (ta.snd_wscale, ta.rcv_wscale) == (0, 0)
    assert all(s.window <= 0xFFFF for s in link.tcp_log())
    assert link.tcp_log("b")[0].window_scale is None


def test_loss_recovery_with_sack_blocks() -> None:
    link, a, _, b = connected_pair(LINUX)
    link.call(link.a, "setsockopt", a, 6, 1, 1)
    dropped = []

    def drop_second(who, d):
        if who == "a" and d.tcp and len(d.tcp.payload) and len(dropped) < 1 \
                and sum(1 for w, x, _ in link.log if w == "a" and x.tcp and x.tcp.payload) == 2:
            dropped.append(d.tcp.seq)
            return True
        return False

    link.drop = drop_second
    link.call(link.a, "send", a, bytes(range(256)) * 20)
    link.advance(link.now + 5)
    sacks = [s.sack_blocks for s in link.tcp_log("b") if s.sack_blocks]
    assert dropped and sacks, "expected SACK blocks after a hole"
    assert sacks[0][0][0] != dropped[0]  # the block starts after the hole
    got = link.call(link.b, "recv", b, 1 << 16).value
    assert got == bytes(range(256)) * 20


def test_fin_data_piggyback_and_half_close() -> None:
    link, a, _, b = connected_pair()
    link.call(link.a, "send", a, b"last words")
    link.call(link.a, "shutdown", a, 1)  # SHUT_WR
    link.deliver()
    assert link.call(link.b, "recv", b, 100).value == b"last words"
    assert link.call(link.b, "recv", b, 100).value == b""
    link.call(link.b, "send", b, b"reply")
    link.deliver()
    assert link.call(link.a, "recv", a, 100).value == b"reply"
    assert any(s.flags & FIN for s in link.tcp_log("a"))


def test_fast_retransmit_on_third_duplicate_ack() -> None:
    link, a, _, b = connected_pair(LINUX)
    link.call(link.a, "setsockopt", a, 6, 1, 1)
    lost, rules = lose_first_data_segment(link)
    payload = bytes(range(256)) * 40  # > 3 segments behind the hole
    link.call(link.a, "send", a, payload)
    link.deliver()  # no timer runs: recovery must come from the duplicate ACKs
    # (the pair negotiated SACK: RFC 6675's recovery on the DupThresh-th SACKed segment)
    assert {"RFC5681-3.2-MUST-fast-retransmit",
            "RFC6675-5-MUST-enter-recovery-on-dupthresh"} & set(rules)
    got = b""
    while (r := link.call(link.b, "recv", b, 1 << 16)).ok and r.value:
        got += r.value
        link.deliver()
    assert got == payload
