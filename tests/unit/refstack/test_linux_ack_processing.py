"""The `linux` profile's choices in the ACK-processing family (RFC 5961, RFC 9293 3.10.7.4's
later checks), each against the `rfc` profile: tcp_reset_check's RST at RCV.NXT - 1 after a FIN,
what CLOSE-WAIT, CLOSING and LAST-ACK do with a segment at or beyond RCV.NXT, the SACK block of
an out-of-order FIN, tcp_sequence's refusal of text beyond the window with a full receive
queue."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, RST
from tests.unit.refstack.conn import bring_to

RST_AFTER_FIN = "LINUX-tcp_reset_check-rst-after-fin"
PROFILES = pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
AFTER_FIN = (State.CLOSE_WAIT, State.CLOSING, State.LAST_ACK)


@PROFILES
@pytest.mark.parametrize("state", AFTER_FIN, ids=lambda s: s.name)
def test_rst_at_rcv_nxt_minus_1_after_fin(profile, state) -> None:
    c = bring_to(state, profile)
    r = c.seg(RST | ACK, seq=c.snd_nxt - 1)  # out of the window (zero length, before RCV.NXT)
    assert c.note(r) == []
    if profile is LINUX:  # tcp_reset_check: the peer's RST crossed our ACK of its FIN
        assert RST_AFTER_FIN in r.rules() and c.state() is State.CLOSED
    else:  # RFC 5961 3.2: outside the window, dropped
        assert "RFC5961-3.2-MUST-rst-out-of-window" in r.rules() and c.state() is state


@PROFILES
@pytest.mark.parametrize("state", AFTER_FIN, ids=lambda s: s.name)
def test_rst_with_text_at_rcv_nxt_minus_1_after_fin(profile, state) -> None:
    c = bring_to(state, profile)
    r = c.seg(RST | ACK, seq=c.snd_nxt - 1, payload=b"xy")  # in the window, not at RCV.NXT
    replies = c.note(r)
    if profile is LINUX:
        assert replies == [] and c.state() is State.CLOSED
    else:  # RFC 5961 3.2: a challenge ACK
        assert [s.flags for s in replies] == [ACK] and c.state() is state
        assert "RFC5961-3.2-MUST-rst-challenge-ack" in r.rules()


@PROFILES
@pytest.mark.parametrize("state", (State.ESTABLISHED, State.FIN_WAIT_1),
                         ids=lambda s: s.name)
def test_rst_at_rcv_nxt_minus_1_before_any_fin(profile, state) -> None:
    c = bring_to(state, profile)
    r = c.seg(RST | ACK, seq=c.snd_nxt - 1)
    assert c.note(r) == [] and c.state() is state  # no FIN taken: dropped by both
    assert RST_AFTER_FIN not in r.rules()
