"""Linux's SYN-RECEIVED and TIME-WAIT minisockets (linux profile) against RFC 9293 (rfc)."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, RST, SYN
from tests.unit.refstack.conn import bring_to


@pytest.mark.parametrize("profile,reply,rule", [
    (LINUX, None, "LINUX-tcp_timewait_state_process-rst-ignored"),
    (RFC, ACK, "RFC5961-3.2-MUST-rst-challenge-ack")], ids=["linux", "rfc"])
def test_time_wait_rst_off_rcv_nxt(profile, reply, rule) -> None:
    c = bring_to(State.TIME_WAIT, profile)
    r = c.seg(RST, seq=c.snd_nxt + 10)
    assert [s.flags for s in c.note(r)] == ([] if reply is None else [reply])
    assert rule in r.rules()
    assert c.state() is State.TIME_WAIT  # neither ends TIME-WAIT


def test_time_wait_bare_ack_restarts_the_timer_linux() -> None:
    c = bring_to(State.TIME_WAIT, LINUX)
    c.tester.now = 40.0
    r = c.seg(ACK)
    assert r.frames == () and "LINUX-tcp_timewait_state_process-bare-ack" in r.rules()
    assert c.stack.poll_at() == pytest.approx(40.0 + LINUX.time_wait)


def test_time_wait_bare_ack_leaves_the_timer_rfc() -> None:
    c = bring_to(State.TIME_WAIT, RFC)
    first = c.stack.poll_at()
    c.tester.now = 40.0
    assert c.seg(ACK).frames == ()
    assert c.stack.poll_at() == first


def test_time_wait_data_is_answered_linux() -> None:
    c = bring_to(State.TIME_WAIT, LINUX)
    (reply,) = c.note(c.seg(ACK, payload=b"late"))
    assert reply.flags == ACK and reply.ack == c.snd_nxt


@pytest.mark.parametrize("profile,flags,alive", [(LINUX, (), False), (RFC, (ACK,), True)],
                         ids=["linux", "rfc"])
def test_syn_received_rst_in_window_off_rcv_nxt(profile, flags, alive) -> None:
    c = bring_to(State.SYN_RECEIVED, profile)
    replies = c.note(c.seg(RST, seq=c.snd_nxt + 5))
    assert tuple(s.flags for s in replies) == flags
    assert (c.state() is State.SYN_RECEIVED) is alive


@pytest.mark.parametrize("profile,rst", [(LINUX, True), (RFC, False)], ids=["linux", "rfc"])
def test_syn_received_in_window_syn(profile, rst) -> None:
    c = bring_to(State.SYN_RECEIVED, profile)
    replies = c.note(c.seg(SYN, seq=c.snd_nxt + 5))
    assert [bool(s.flags & RST) for s in replies] == ([True] if rst else [])
    assert c.state() is State.CLOSED  # back to LISTEN: the embryo is gone


def test_synack_retransmissions_linux() -> None:
    c = bring_to(State.SYN_RECEIVED, LINUX)
    times = []
    while (t := c.stack.poll_at()) is not None:
        r = c.stack.poll(t)
        times += [t] * len(r.frames)
    assert times == [1.0, 3.0, 7.0, 15.0, 31.0]  # tcp_synack_retries = 5
    assert c.state() is State.CLOSED


@pytest.mark.parametrize("profile", [LINUX, RFC], ids=["linux", "rfc"])
def test_simultaneous_open_synack_establishes(profile) -> None:
    c = bring_to(State.SYN_SENT, profile)
    (synack,) = c.note(c.advance(SYN))  # our SYN crosses theirs: SYN-RECEIVED
    assert synack.flags == SYN | ACK and c.state() is State.SYN_RECEIVED
    r = c.seg(SYN | ACK, seq=c.snd_nxt - 1)  # RFC 9293 figure 8 line 6
    assert "RFC9293-3.5-MUST-simultaneous-open" in r.rules()
    if profile.ack_duplicate_sequence_space:
        # Linux: the repeated SYN is old sequence space for tcp_data_queue: an ACK at once.
        (ack,) = c.note(r)
        assert ack.flags == ACK and "LINUX-tcp_data_queue-duplicate" in r.rules()
    else:
        assert r.frames == ()  # RFC 9293 figure 8: nothing more to send
    assert c.state() is State.ESTABLISHED
    assert c.stack.connect(c.fd, ("198.18.0.11", 40000), 0.0).errno == 0
