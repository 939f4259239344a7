"""Linux's request socket checks TSecr against the TSvals of the SYN,ACKs it sent (tcp_check_req's
tsecr_reject, profile reqsk_tsecr_check); RFC 9293 3.10.7.4 (rfc) judges SEQ and ACK only."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp import synack_tsval
from reference_stack.tcp.request_sock import RULE_TSECR
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpOptNop, TcpOptTimestamps
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import syn_options


def _half_open(profile):
    """SYN-RECEIVED after a passive open with timestamps; returns the conn and the SYN,ACK."""
    c = bring_to(State.LISTEN, profile)
    (synack,) = c.note(c.advance(SYN, options=syn_options(wscale=None, ts=(100, 0))))
    assert synack.flags == SYN | ACK and synack.timestamps is not None
    return c, synack


def _ts(tsecr: int, tsval: int = 200) -> tuple:
    return (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(tsval, tsecr))


@pytest.mark.parametrize("profile", [LINUX, RFC], ids=["linux", "rfc"])
def test_ack_with_a_tsecr_no_syn_ack_carried(profile) -> None:
    c, synack = _half_open(profile)
    r = c.seg(ACK, options=_ts(synack.timestamps[0] + 1000))
    if profile is LINUX:  # unacceptable: the request socket's ACK, no connection
        (answer,) = c.note(r)
        assert answer.flags == ACK and RULE_TSECR in r.rules()
        assert c.state() is State.SYN_RECEIVED
        r = c.seg(ACK, options=_ts(synack.timestamps[0], 201))  # the SYN,ACK's own TSval
    assert r.frames == () and c.state() is State.ESTABLISHED and RULE_TSECR not in r.rules()


def test_zero_tsecr_is_not_checked_linux() -> None:
    c, _ = _half_open(LINUX)
    r = c.seg(ACK, options=_ts(0))
    assert r.frames == () and c.state() is State.ESTABLISHED


@pytest.mark.parametrize("profile,reply", [(LINUX, []), (RFC, [ACK])], ids=["linux", "rfc"])
def test_rst_in_window_with_a_bad_tsecr(profile, reply) -> None:
    c, synack = _half_open(profile)
    r = c.seg(RST, seq=c.snd_nxt + 5, options=_ts(synack.timestamps[0] - 1))
    assert [s.flags for s in c.note(r)] == reply  # (rfc: RFC 5961 3.2's challenge ACK)
    assert c.state() is State.SYN_RECEIVED


@pytest.mark.parametrize("profile,reply", [(LINUX, [ACK]), (RFC, [])], ids=["linux", "rfc"])
def test_fin_without_ack_with_a_bad_tsecr(profile, reply) -> None:
    """Stateful finding 26a7190a4156: a FIN with text and no ACK at RCV.NXT: RFC 9293's fifth
    check drops it; Linux's TSecr check answers first (text or FIN: not rate limited)."""
    c, synack = _half_open(profile)
    r = c.seg(FIN, payload=b"abcdef", options=_ts(synack.timestamps[0] + 77))
    assert [s.flags for s in c.note(r)] == reply


def test_range_spans_the_retransmitted_syn_acks_linux() -> None:
    c, synack = _half_open(LINUX)
    first = synack.timestamps[0]
    c.tester.now = 1.5  # the SYN,ACK's retransmission (RFC 6298 initial RTO 1 s)
    (again,) = c.note(c.stack.poll(c.tester.now))
    last = again.timestamps[0]
    assert again.flags == SYN | ACK and last > first
    assert c.tcb().synack_tsvals == (first, last)
    r = c.seg(ACK, options=_ts(last + 1))
    assert RULE_TSECR in r.rules()
    c.tester.now = 3.0  # past the rate limit of the request socket's ACK
    r = c.seg(ACK, options=_ts(first + 1))  # between the two: acceptable
    assert r.frames == () and c.state() is State.ESTABLISHED


def test_target_tsvals_adopted_linux() -> None:
    """The judge binds the target's SYN,ACK TSval and the oracle adopts it (the target's clock
    is another): its own TSval is then no longer acceptable, the target's is."""
    c, synack = _half_open(LINUX)
    tcb = c.tcb()
    theirs = synack.timestamps[0] + 5000
    c.stack.adopt({synack_tsval.binding(tcb): theirs})
    c.stack.adopt({synack_tsval.binding(tcb): theirs})  # (the judge repeats its bindings)
    assert tcb.synack_tsvals == (theirs, theirs)
    assert RULE_TSECR in c.seg(ACK, options=_ts(synack.timestamps[0])).rules()
    c.tester.now = 1.0
    r = c.seg(ACK, options=_ts(theirs))
    assert r.frames == () and c.state() is State.ESTABLISHED
