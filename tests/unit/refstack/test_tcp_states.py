"""Table-driven segment arrival per TCP state (RFC 9293 3.10.7): the reply's flags, seq and ack,
the next state, and the rule the oracle cites."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, flags_str
from tests.unit.refstack.conn import Conn, bring_to

V = Callable[[Conn], int]


def nxt(n: int = 0) -> V:
    return lambda c: (c.snd_nxt + n) & 0xFFFFFFFF


def rcv(n: int = 0) -> V:
    return lambda c: (c.rcv_nxt + n) & 0xFFFFFFFF


def iss(n: int = 0) -> V:
    return lambda c: (c.tcb().iss + n) & 0xFFFFFFFF


def const(v: int) -> V:
    return lambda c: v


@dataclass(frozen=True)
class Case:
    name: str
    state: State
    flags: int
    expect_flags: int | None  # None: no reply
    next_state: State
    rule: str
    seq: V | None = None  # default: the tester's SND.NXT
    ack: V | None = None  # default: the stack's next sequence number
    payload: bytes = b""
    expect_seq: V | None = None
    expect_ack: V | None = None
    profile: object = LINUX
    half_close: bool = False  # the stack's FIN came from shutdown(SHUT_WR), not close()

    def __str__(self) -> str:
        return self.name


CASES = [
    # CLOSED (RFC 9293 3.10.7.1)
    Case("closed-syn", State.CLOSED, SYN, RST | ACK, State.CLOSED,
         "RFC9293-3.10.7.1-MUST-closed-rst-ack", expect_seq=const(0), expect_ack=nxt(1)),
    Case("closed-syn-data", State.CLOSED, SYN, RST | ACK, State.CLOSED,
         "RFC9293-3.10.7.1-MUST-closed-rst-ack", payload=b"x" * 10, expect_ack=nxt(11)),
    Case("closed-ack", State.CLOSED, ACK, RST, State.CLOSED,
         "RFC9293-3.10.7.1-MUST-closed-ack-rst", ack=const(5000), expect_seq=const(5000)),
    Case("closed-rst", State.CLOSED, RST, None, State.CLOSED,
         "RFC9293-3.10.7.1-MUST-closed-rst-drop"),
    # LISTEN (3.10.7.2)
    Case("listen-syn", State.LISTEN, SYN, SYN | ACK, State.SYN_RECEIVED,
         "RFC9293-3.10.7.2-MUST-listen-syn", expect_ack=nxt(1)),
    Case("listen-ack", State.LISTEN, ACK, RST, State.CLOSED,
         "RFC9293-3.10.7.2-MUST-listen-ack-rst", ack=const(777), expect_seq=const(777)),
    Case("listen-rst", State.LISTEN, RST, None, State.CLOSED,
         "RFC9293-3.10.7.2-MUST-listen-rst-ignore"),
    Case("listen-fin", State.LISTEN, FIN, None, State.CLOSED,
         "RFC9293-3.10.7.2-MUST-listen-other-drop"),
    Case("listen-syn-fin-linux", State.LISTEN, SYN | FIN, None, State.CLOSED,
         "LINUX-tcp_rcv_state_process-syn-fin"),
    Case("listen-syn-fin-rfc", State.LISTEN, SYN | FIN, SYN | ACK, State.SYN_RECEIVED,
         "RFC9293-3.10.7.2-MUST-listen-syn", profile=RFC),
    # SYN-SENT (3.10.7.3)
    Case("syn-sent-synack", State.SYN_SENT, SYN | ACK, ACK, State.ESTABLISHED,
         "RFC9293-3.10.7.3-MUST-synack-established", expect_seq=rcv(), expect_ack=nxt(1)),
    Case("syn-sent-bad-ack", State.SYN_SENT, ACK, RST, State.SYN_SENT,
         "RFC9293-3.10.7.3-MUST-bad-ack-rst", ack=iss(0), expect_seq=iss(0)),
    Case("syn-sent-rst-ack", State.SYN_SENT, RST | ACK, None, State.CLOSED,
         "RFC9293-3.10.7.3-MUST-rst-refused"),
    Case("syn-sent-rst-no-ack", State.SYN_SENT, RST, None, State.SYN_SENT,
         "RFC9293-3.10.7.3-MUST-rst-no-ack-drop"),
    Case("syn-sent-simultaneous", State.SYN_SENT, SYN, SYN | ACK, State.SYN_RECEIVED,
         "RFC9293-3.10.7.3-MUST-simultaneous-open", expect_seq=iss(0), expect_ack=nxt(1)),
    Case("syn-sent-no-syn", State.SYN_SENT, 0, None, State.SYN_SENT,
         "RFC9293-3.10.7.3-MUST-no-syn-drop"),
    # SYN-RECEIVED (3.10.7.4)
    Case("syn-received-ack", State.SYN_RECEIVED, ACK, None, State.ESTABLISHED,
         "RFC9293-3.10.7.4-MUST-syn-received-ack"),
    Case("syn-received-bad-ack", State.SYN_RECEIVED, ACK, RST, State.SYN_RECEIVED,
         "RFC9293-3.10.7.4-MUST-syn-received-bad-ack-rst", ack=rcv(100),
         expect_seq=rcv(100)),
    Case("syn-received-rst", State.SYN_RECEIVED, RST, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-syn-received-rst-listen"),
    Case("syn-received-dup-syn-linux", State.SYN_RECEIVED, SYN, SYN | ACK, State.SYN_RECEIVED,
         "LINUX-tcp_check_req-syn-retransmit", seq=nxt(-1), expect_seq=iss(0),
         expect_ack=nxt(0)),
    # ESTABLISHED (3.10.7.4)
    Case("established-data", State.ESTABLISHED, ACK, ACK, State.ESTABLISHED,
         "RFC9293-3.10.7.4-MUST-text-deliver", payload=b"abc", expect_seq=rcv(),
         expect_ack=nxt(3)),
    Case("established-old-seq", State.ESTABLISHED, ACK, ACK, State.ESTABLISHED,
         "RFC9293-3.10.7.4-MUST-first-check", seq=nxt(-100), payload=b"abc",
         expect_seq=rcv(), expect_ack=nxt()),
    Case("established-beyond-window", State.ESTABLISHED, ACK, ACK, State.ESTABLISHED,
         "RFC9293-3.10.7.4-MUST-first-check", seq=nxt(1 << 20), payload=b"abc",
         expect_ack=nxt()),
    Case("established-rst-exact", State.ESTABLISHED, RST, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-rst-reset"),
    Case("established-rst-in-window", State.ESTABLISHED, RST, ACK, State.ESTABLISHED,
         "RFC5961-3.2-MUST-rst-challenge-ack", seq=nxt(10), expect_seq=rcv(),
         expect_ack=nxt()),
    Case("established-rst-out-of-window", State.ESTABLISHED, RST, None, State.ESTABLISHED,
         "RFC5961-3.2-MUST-rst-out-of-window", seq=nxt(1 << 20)),
    Case("established-syn", State.ESTABLISHED, SYN, ACK, State.ESTABLISHED,
         "RFC5961-4.2-MUST-syn-challenge-ack", seq=nxt(5), expect_seq=rcv(),
         expect_ack=nxt()),
    Case("established-ack-unsent", State.ESTABLISHED, ACK, ACK, State.ESTABLISHED,
         "RFC9293-3.10.7.4-MUST-ack-unsent", ack=rcv(1000), expect_ack=nxt()),
    Case("established-no-ack-flag", State.ESTABLISHED, 0, None, State.ESTABLISHED,
         "RFC9293-3.10.7.4-MUST-fifth-check-no-ack", payload=b"abc", profile=RFC),
    Case("established-no-ack-flag-linux", State.ESTABLISHED, 0, None, State.ESTABLISHED,
         "LINUX-tcp_rcv_established-no-ack-flag", payload=b"abc"),
    Case("established-fin", State.ESTABLISHED, FIN | ACK, ACK, State.CLOSE_WAIT,
         "RFC9293-3.10.7.4-MUST-fin-close-wait", expect_ack=nxt(1)),
    # FIN-WAIT-1
    Case("fin-wait-1-ack-of-fin", State.FIN_WAIT_1, ACK, None, State.FIN_WAIT_2,
         "RFC9293-3.10.7.4-MUST-fin-wait-1-ack"),
    Case("fin-wait-1-fin", State.FIN_WAIT_1, FIN | ACK, ACK, State.CLOSING,
         "RFC9293-3.10.7.4-MUST-fin-closing", ack=rcv(-1), expect_ack=nxt(1)),
    Case("fin-wait-1-fin-ack", State.FIN_WAIT_1, FIN | ACK, ACK, State.TIME_WAIT,
         "RFC9293-3.10.7.4-MUST-fin-time-wait", expect_ack=nxt(1)),
    Case("fin-wait-1-data", State.FIN_WAIT_1, ACK, ACK, State.FIN_WAIT_1,
         "RFC9293-3.10.7.4-MUST-text-deliver", ack=rcv(-1), payload=b"zz",
         expect_ack=nxt(2), half_close=True),
    Case("fin-wait-1-data-after-close", State.FIN_WAIT_1, ACK, RST, State.CLOSED,
         "RFC1122-4.2.2.13-SHOULD-rst-data-after-close", ack=rcv(-1), payload=b"zz",
         expect_seq=rcv(-1)),
    # FIN-WAIT-2
    Case("fin-wait-2-fin", State.FIN_WAIT_2, FIN | ACK, ACK, State.TIME_WAIT,
         "RFC9293-3.10.7.4-MUST-fin-time-wait", expect_seq=rcv(), expect_ack=nxt(1)),
    Case("fin-wait-2-data", State.FIN_WAIT_2, ACK, ACK, State.FIN_WAIT_2,
         "RFC9293-3.10.7.4-MUST-text-deliver", payload=b"q", expect_ack=nxt(1),
         half_close=True),
    Case("fin-wait-2-rst", State.FIN_WAIT_2, RST, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-rst-reset"),
    # CLOSE-WAIT
    Case("close-wait-fin-again", State.CLOSE_WAIT, FIN | ACK, ACK, State.CLOSE_WAIT,
         "RFC9293-3.10.7.4-MUST-first-check", seq=nxt(-1), expect_ack=nxt(), profile=RFC),
    # Linux tcp_sequence accepts it (it ends at RCV.NXT); tcp_data_queue ACKs the duplicate.
    Case("close-wait-fin-again-linux", State.CLOSE_WAIT, FIN | ACK, ACK, State.CLOSE_WAIT,
         "LINUX-tcp_data_queue-duplicate", seq=nxt(-1), expect_ack=nxt()),
    Case("close-wait-text", State.CLOSE_WAIT, ACK, None, State.CLOSE_WAIT,
         "RFC9293-3.10.7.4-MUST-text-ignore", payload=b"late"),
    Case("close-wait-rst", State.CLOSE_WAIT, RST, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-rst-reset"),
    # CLOSING
    Case("closing-ack-of-fin", State.CLOSING, ACK, None, State.TIME_WAIT,
         "RFC9293-3.10.7.4-MUST-closing-ack"),
    Case("closing-rst", State.CLOSING, RST, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-rst-close"),
    # LAST-ACK
    Case("last-ack-ack-of-fin", State.LAST_ACK, ACK, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-last-ack-ack"),
    Case("last-ack-rst", State.LAST_ACK, RST, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-rst-close"),
    Case("last-ack-syn", State.LAST_ACK, SYN, ACK, State.LAST_ACK,
         "RFC5961-4.2-MUST-syn-challenge-ack", seq=nxt(3)),
    # TIME-WAIT
    Case("time-wait-fin-again", State.TIME_WAIT, FIN | ACK, ACK, State.TIME_WAIT,
         "RFC9293-3.10.7.4-MUST-time-wait-fin", seq=nxt(-1), expect_ack=nxt()),
    Case("time-wait-rst", State.TIME_WAIT, RST, None, State.CLOSED,
         "RFC9293-3.10.7.4-MUST-rst-close"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_segment_arrival(case: Case) -> None:
    c = bring_to(case.state, case.profile, case.half_close)
    before_seq = case.seq(c) if case.seq else c.snd_nxt
    before_ack = case.ack(c) if case.ack else c.rcv_nxt
    exp_seq = case.expect_seq(c) if case.expect_seq else None
    exp_ack = case.expect_ack(c) if case.expect_ack else None
    r = c.seg(case.flags, seq=before_seq, ack=before_ack, payload=case.payload)
    replies = c.note(r)
    assert case.rule in r.rules(), [str(d) for d in r.trace]
    if case.expect_flags is None:
        assert replies == [], [s.summary() for s in replies]
    else:
        assert len(replies) == 1, [s.summary() for s in replies]
        got = replies[0]
        assert flags_str(got.flags) == flags_str(case.expect_flags), got.summary()
        if exp_seq is not None:
            assert got.seq == exp_seq, got.summary()
        if exp_ack is not None:
            assert got.ack == exp_ack, got.summary()
    assert c.state() is case.next_state


def test_every_state_has_a_case() -> None:
    assert {c.state for c in CASES} == set(State)


def test_rst_in_syn_sent_reports_connection_refused() -> None:
    import errno
    c = bring_to(State.SYN_SENT)
    c.seg(RST | ACK, ack=c.rcv_nxt)
    assert c.stack.connect(c.fd, ("198.18.0.11", 40000), 0.0).errno == errno.ECONNREFUSED


def test_rst_in_established_reports_connection_reset() -> None:
    import errno
    c = bring_to(State.ESTABLISHED)
    c.seg(RST)
    assert c.stack.recv(c.fd, 10, 0.0).errno == errno.ECONNRESET
    assert c.stack.recv(c.fd, 10, 0.0).value == b""


def test_time_wait_expires_on_the_virtual_clock() -> None:
    c = bring_to(State.TIME_WAIT)
    deadline = c.stack.poll_at()
    assert deadline == pytest.approx(LINUX.time_wait)
    assert c.stack.poll(deadline - 0.001).frames == ()
    assert c.state() is State.TIME_WAIT
    r = c.stack.poll(deadline)
    assert "RFC9293-3.10.8-MUST-time-wait-timeout" in r.rules()
    assert c.state() is State.CLOSED


def test_time_wait_fin_restarts_the_timer() -> None:
    c = bring_to(State.TIME_WAIT)
    c.tester.now = 30.0
    c.seg(FIN | ACK, seq=c.snd_nxt - 1)
    assert c.stack.poll_at() == pytest.approx(30.0 + LINUX.time_wait)
