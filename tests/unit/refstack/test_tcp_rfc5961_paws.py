"""RFC 5961 challenge ACKs and ACK acceptability, RFC 7323 PAWS, with a tester peer."""

from __future__ import annotations

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpOptNop, TcpOptTimestamps
from tests.unit.refstack.conn import Conn, bring_to


def ts_conn(profile=LINUX) -> Conn:
    """ESTABLISHED, passive, with timestamps negotiated (tester TSval starts at 1000)."""
    from tests.unit.refstack.harness import syn_options
    c = bring_to(State.LISTEN, profile)
    (synack,) = c.note(c.advance(SYN, options=syn_options(ts=(1000, 0))))
    # (TSecr echoes the SYN,ACK's TSval: Linux's request socket checks it, tsecr_reject)
    c.note(c.seg(ACK, options=ts(1001, synack.timestamps[0])))
    assert c.state() is State.ESTABLISHED and c.tcb().ts_ok
    return c


def ts(val: int, ecr: int) -> tuple:
    return (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(val, ecr))


def test_paws_drops_an_old_timestamp_and_acks() -> None:
    c = ts_conn()
    c.note(c.advance(ACK, payload=b"new", options=ts(2000, 0)))
    r = c.seg(ACK, payload=b"old", options=ts(1500, 0))
    assert "RFC7323-5.3-MUST-paws" in r.rules()
    replies = c.note(r)
    assert len(replies) == 1 and replies[0].ack == c.snd_nxt  # the data was not taken
    assert c.tcb().recv.ready == b"new"


def test_paws_does_not_apply_to_rst() -> None:
    c = ts_conn()
    c.note(c.advance(ACK, payload=b"x", options=ts(5000, 0)))
    r = c.seg(RST, options=ts(10, 0))
    assert "RFC7323-5.3-MUST-paws" not in r.rules()
    assert c.state() is State.CLOSED


def test_ts_recent_follows_in_order_segments() -> None:
    c = ts_conn()
    c.note(c.advance(ACK, payload=b"a", options=ts(3000, 0)))
    assert c.tcb().ts_recent == 3000
    reply = c.note(c.advance(ACK, payload=b"b", options=ts(3001, 0)))[0]
    assert reply.timestamps[1] == 3001  # TSecr echoes TS.Recent (RFC 7323 4.3)


def test_paws_can_be_broken_on_purpose() -> None:
    c = ts_conn(LINUX.breaking("RFC7323-5.3-MUST-paws"))
    c.note(c.advance(ACK, payload=b"new", options=ts(2000, 0)))
    r = c.seg(ACK, payload=b"old", options=ts(1500, 0))
    assert "RFC7323-5.3-MUST-paws" not in r.rules()


def test_challenge_ack_rate_limit_linux() -> None:
    c = bring_to(State.ESTABLISHED, LINUX)
    first = c.note(c.seg(RST, seq=c.snd_nxt + 5))
    second = c.note(c.seg(RST, seq=c.snd_nxt + 6))
    assert len(first) == 1 and second == []  # 0.5 s per-socket limit
    c.tester.now = 0.6
    assert len(c.note(c.seg(RST, seq=c.snd_nxt + 7))) == 1


def test_challenge_ack_not_rate_limited_in_rfc_profile() -> None:
    c = bring_to(State.ESTABLISHED, RFC)
    replies = [c.note(c.seg(SYN, seq=c.snd_nxt + i)) for i in range(3)]
    assert all(len(r) == 1 and r[0].flags == ACK for r in replies)


def test_ack_too_old_is_dropped_with_an_ack() -> None:
    c = bring_to(State.ESTABLISHED, RFC)
    tcb = c.tcb()
    tcb.max_snd_wnd = 100
    r = c.seg(ACK, ack=(tcb.snd_una - 1000) & 0xFFFFFFFF, payload=b"data")
    assert "RFC5961-5.2-MUST-ack-too-old" in r.rules()
    assert tcb.recv.ready == b""


def test_in_window_rst_then_exact_rst() -> None:
    c = bring_to(State.ESTABLISHED, RFC)
    challenge = c.note(c.seg(RST, seq=c.snd_nxt + 100))[0]
    assert challenge.flags == ACK and challenge.ack == c.snd_nxt
    c.seg(RST, seq=challenge.ack)  # the attacker cannot know it, the peer can
    assert c.state() is State.CLOSED


def test_ack_of_in_order_data_may_be_delayed_but_not_out_of_order() -> None:
    from reference_stack.variance import Range
    c = bring_to(State.ESTABLISHED, LINUX)
    r = c.advance(ACK, payload=b"in order")
    assert r.predictions[0].variance["timing.delay_ms"] == Range(0, 500)
    r = c.seg(ACK, seq=c.snd_nxt + 100, payload=b"hole")
    assert "timing.delay_ms" not in r.predictions[0].variance  # RFC 5681 4.2: at once


def test_closing_a_listener_forgets_embryos_silently() -> None:
    c = bring_to(State.SYN_RECEIVED, LINUX)
    r = c.stack.close(c.listen_fd, 0.0)
    assert r.reaction.frames == () and c.state() is State.CLOSED


def test_segment_without_timestamps_after_negotiation() -> None:
    rfc = ts_conn(RFC)
    r = rfc.seg(ACK, payload=b"no ts")
    assert "RFC7323-3.2-SHOULD-drop-missing-tsopt" in r.rules() and rfc.tcb().recv.ready == b""
    linux = ts_conn(LINUX)
    linux.seg(ACK, payload=b"no ts")
    assert linux.tcb().recv.ready == b"no ts"


def passive_time_wait(profile) -> Conn:
    """The stack accepted a connection on a listener, then closed first: TIME-WAIT."""
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN))
    c.note(c.seg(ACK))
    fd = c.stack.accept(c.listen_fd).value[0]
    c.note(c.stack.close(fd, 0.0).reaction)
    c.note(c.advance(FIN | ACK))
    assert c.state() is State.TIME_WAIT
    return c


def test_time_wait_reopened_by_a_new_syn_linux() -> None:
    c = passive_time_wait(LINUX)
    old_snd_nxt = c.tcb().snd_nxt
    r = c.seg(SYN, seq=c.snd_nxt + 100000)
    assert "RFC1122-4.2.2.13-MAY-time-wait-reopen" in r.rules()
    (synack,) = c.note(r)
    assert synack.flags == SYN | ACK and synack.seq == (old_snd_nxt + 65537) & 0xFFFFFFFF
    assert c.state() is State.SYN_RECEIVED


def test_time_wait_syn_draws_a_challenge_ack_rfc() -> None:
    c = passive_time_wait(RFC)
    (reply,) = c.note(c.seg(SYN, seq=c.snd_nxt + 100000))
    assert reply.flags == ACK and c.state() is State.TIME_WAIT


def test_orphaned_fin_wait_2_times_out_in_linux_only() -> None:
    for profile, survives in ((LINUX, False), (RFC, True)):
        c = bring_to(State.FIN_WAIT_2, profile)
        c.stack.poll(1000.0)
        assert (c.state() is State.FIN_WAIT_2) is survives, profile.name


def test_data_after_close_draws_a_rst() -> None:
    c = bring_to(State.FIN_WAIT_2, LINUX)  # the socket was closed (not shut down)
    r = c.seg(ACK, payload=b"too late")
    (rst,) = c.note(r)
    assert rst.flags == RST and rst.seq == c.rcv_nxt
    assert "RFC1122-4.2.2.13-SHOULD-rst-data-after-close" in r.rules()
    assert c.state() is State.CLOSED
