"""The `linux` profile's choices in the ACK-processing family (RFC 5961, RFC 9293 3.10.7.4's
later checks), each against the `rfc` profile: tcp_reset_check's RST at RCV.NXT - 1 after a FIN,
what CLOSE-WAIT, CLOSING and LAST-ACK do with a segment at or beyond RCV.NXT, the SACK block of
an out-of-order FIN, tcp_sequence's refusal of text beyond the window with a full receive
queue."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TcpOptSack
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import syn_options

RST_AFTER_FIN = "LINUX-tcp_reset_check-rst-after-fin"
AFTER_FIN_IGNORED = "LINUX-tcp_rcv_state_process-after-fin-ignored"
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


@PROFILES
@pytest.mark.parametrize("state", AFTER_FIN, ids=lambda s: s.name)
@pytest.mark.parametrize("beyond", [0, 18], ids=["at-rcv-nxt", "beyond"])
def test_fin_after_the_fin(profile, state, beyond) -> None:
    c = bring_to(state, profile)
    tcb = c.tcb()
    rcv_nxt = tcb.rcv_nxt
    r = c.seg(FIN | ACK, seq=c.snd_nxt + beyond, ack=tcb.snd_una)  # our FIN unacknowledged
    replies = c.note(r)
    assert c.state() is state and tcb.rcv_nxt == rcv_nxt
    if profile is LINUX:  # tcp_rcv_state_process: not passed to tcp_data_queue
        assert replies == [] and AFTER_FIN_IGNORED in r.rules()
    else:  # RFC 9293 3.10.7.4 eighth check: remain in the state, acknowledge the FIN
        assert [s.flags for s in replies] == [ACK] and replies[0].ack == rcv_nxt
        assert "RFC9293-3.10.7.4-MUST-ack-text-fin" in r.rules()


@PROFILES
def test_old_fin_after_the_fin_is_acknowledged(profile) -> None:
    c = bring_to(State.CLOSE_WAIT, profile)
    r = c.seg(FIN | ACK, seq=c.snd_nxt - 1)  # the peer's FIN again
    assert [s.flags for s in c.note(r)] == [ACK]  # both: Linux's D-SACK path, RFC's first check
    assert AFTER_FIN_IGNORED not in r.rules()


@PROFILES
@pytest.mark.parametrize("state", AFTER_FIN, ids=lambda s: s.name)
def test_second_fin_behind_old_text(profile, state) -> None:
    """Old text up to RCV.NXT and a FIN after the peer's FIN: Linux's tcp_data_queue takes it
    as a partial packet and advances RCV.NXT over the second FIN (stateful fuzz findings
    6a5eb87526a9, 0723d4659c03); RFC 9293 3.10.7.4 ignores the text, RCV.NXT unchanged."""
    c = bring_to(state, profile)
    tcb = c.tcb()
    rcv_nxt = tcb.rcv_nxt
    r = c.seg(FIN | ACK, seq=c.snd_nxt - 1, payload=b"x", ack=tcb.snd_una)
    (ack,) = c.note(r)
    taken = profile is LINUX
    assert ack.ack == (rcv_nxt + taken) & 0xFFFFFFFF and c.state() is state
    assert ("LINUX-tcp_data_queue-second-fin-behind-old-text" in r.rules()) is taken


@PROFILES
def test_out_of_order_fin_ranks_by_arrival_in_sack_blocks(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.tcb().sack_ok = True  # (as if negotiated, RFC 2018 2)
    fin = c.snd_nxt + 18
    c.note(c.seg(FIN | ACK, seq=fin))
    (ack,) = c.note(c.seg(ACK | PSH, seq=c.snd_nxt + 1000, payload=b"t"))
    blocks = [b for o in ack.options if isinstance(o, TcpOptSack) for b in o.blocks]
    text = ((c.snd_nxt + 1000) & 0xFFFFFFFF, (c.snd_nxt + 1001) & 0xFFFFFFFF)
    if profile is LINUX:  # tcp_sack_new_ofo_skb: the latest segment's block first
        assert blocks == [text, (fin, fin + 1)]
    else:  # RFC 2018 reports data: the FIN is no block of its own
        assert blocks == [text]


@PROFILES
@pytest.mark.parametrize("ahead", [1, 18], ids=["next", "further"])
def test_fin_in_sequence_after_an_out_of_order_fin_is_taken(profile, ahead) -> None:
    """Two FINs: the one at a later sequence number is held out of order; the one that
    arrives in sequence closes the receive side (Linux tcp_fin purges the held one; stateful
    fuzz findings 90162d597df9 and e8a5bc085f55: the oracle kept waiting for the first)."""
    c = bring_to(State.ESTABLISHED, profile)
    c.tcb().sack_ok = True
    c.note(c.seg(FIN | ACK, seq=c.snd_nxt + ahead))
    assert c.state() is State.ESTABLISHED
    c.seg(FIN | ACK)
    assert c.state() is State.CLOSE_WAIT
    assert c.tcb().rcv_nxt == (c.snd_nxt + 1) & 0xFFFFFFFF and not c.tcb().recv.ooo


@PROFILES
def test_out_of_order_text_and_fin_received_again(profile) -> None:
    """RFC 2883 4: a segment held out of order received again is reported in a D-SACK
    block; Linux's block is the segment's sequence space, its FIN included
    (tcp_data_queue_ofo: tcp_dsack_set(seq, end_seq); fuzz finding 85b553f615f1)."""
    c = bring_to(State.ESTABLISHED, profile)
    c.tcb().sack_ok = True
    seq = c.snd_nxt + 324
    c.note(c.seg(FIN | ACK, seq=seq, payload=b"ab"))
    (ack,) = c.note(c.seg(FIN | ACK, seq=seq, payload=b"ab"))
    blocks = [b for o in ack.options if isinstance(o, TcpOptSack) for b in o.blocks]
    fin_end = 3 if profile is LINUX else 2  # the FIN's octet of sequence space
    assert blocks[0] == (seq & 0xFFFFFFFF, (seq + fin_end) & 0xFFFFFFFF)


@PROFILES
def test_fin_in_sequence_with_text_held_beyond_it(profile) -> None:
    """Text and FIN in sequence while other text is held out of order beyond the FIN: Linux
    tcp_fin purges the held text and enters ping-pong mode before tcp_data_queue looks for a
    filled gap, so the FIN's ACK is delayed like any in-order FIN's (stateful fuzz finding
    e8a5bc085f55); the rfc profile acknowledges at once."""
    c = bring_to(State.ESTABLISHED, profile)
    c.tcb().sack_ok = True
    c.note(c.seg(ACK | PSH, seq=c.snd_nxt + 324, payload=b"later"))
    r = c.seg(FIN | ACK, payload=b"ab")
    assert c.state() is State.CLOSE_WAIT and not c.tcb().recv.ooo
    assert [s.ack for s in c.note(r)] == [(c.snd_nxt + 3) & 0xFFFFFFFF]
    (prediction,) = r.predictions  # the oracle ACKs at once and says whether it may wait
    assert ("timing.delay_ms" in prediction.variance) is (profile is LINUX)


INVALID_END = "LINUX-tcp_sequence-invalid-end-sequence"


def _scaled(profile):
    """ESTABLISHED with window scaling, one octet received and unread; the edge Linux
    advertised (RCV.NXT plus RCV.WND rounded up to the scale unit)."""
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(ts=None)))
    c.note(c.seg(ACK))
    (ack,) = c.note(c.advance(ACK | PSH, payload=b"x"))
    return c, ack.ack + (-(-c.tcb().rcv_wnd() >> 7) << 7)


def _read(c, n: int = 10) -> bytes:
    """The application reads from the accepted connection."""
    fd = c.stack.accept(c.listen_fd).value[0] if c.fd == c.listen_fd else c.fd
    c.fd = fd
    return c.stack.recv(fd, n, 0.0).value


@PROFILES
def test_text_beyond_the_edge_with_unread_text(profile) -> None:
    c, edge = _scaled(profile)
    tcb = c.tcb()
    rcv_nxt = tcb.rcv_nxt
    r = c.seg(ACK | PSH, seq=edge - 2, payload=b"z" * 3)  # one octet beyond the edge
    (reply,) = c.note(r)
    assert reply.ack == rcv_nxt
    if profile is LINUX:  # tcp_sequence: TCP_INVALID_END_SEQUENCE, the first check's ACK
        assert INVALID_END in r.rules() and not tcb.recv.ooo
    else:  # RFC 9293 3.10.7.4: the part in the window is taken (out of order)
        assert INVALID_END not in r.rules() and tcb.recv.ooo


def test_text_beyond_the_edge_once_read() -> None:
    c, edge = _scaled(LINUX)
    assert _read(c) == b"x"  # the receive queue is empty
    r = c.seg(ACK | PSH, seq=edge - 2, payload=b"z" * 3)
    assert INVALID_END not in r.rules()
    assert "LINUX-tcp_sequence-text-beyond-edge-kept" in r.rules()


def test_only_the_fin_beyond_the_edge_with_unread_text() -> None:
    c, edge = _scaled(LINUX)
    r = c.seg(FIN | ACK | PSH, seq=edge - 3, payload=b"z" * 3)  # text up to the edge, FIN beyond
    assert INVALID_END not in r.rules() and c.tcb().recv.ooo  # "some stacks ... FIN": taken


@pytest.mark.parametrize("read", [False, True], ids=["fin-unread", "fin-read"])
def test_text_beyond_the_edge_with_the_fin_unread(read) -> None:
    c, edge = _scaled(LINUX)
    assert _read(c) == b"x"
    c.note(c.advance(FIN | ACK))  # CLOSE-WAIT: the FIN waits in the receive queue
    if read:
        assert _read(c) == b""  # the end of file: the FIN is read
    edge = c.tcb().rcv_edge  # (advertised again with the ACK of the FIN)
    r = c.seg(ACK | PSH, seq=edge - 2, payload=b"z" * 3)
    assert (INVALID_END in r.rules()) is not read


ACK_OF_FIN_CONSUMED = "LINUX-tcp_rcv_state_process-ack-of-fin-consumed"


@PROFILES
def test_closing_acked_by_a_retransmitted_fin(profile) -> None:
    c = bring_to(State.CLOSING, profile)
    r = c.seg(FIN | ACK, seq=c.snd_nxt - 1)  # the peer's FIN again, now acknowledging ours
    replies = c.note(r)
    if profile is LINUX:  # tcp_sequence takes it; tcp_time_wait, then "goto consume"
        assert replies == [] and ACK_OF_FIN_CONSUMED in r.rules()
        assert c.state() is State.TIME_WAIT
    else:  # RFC 9293 3.10.7.4: old, refused by the first check, which answers it
        assert [s.flags for s in replies] == [ACK] and c.state() is State.CLOSING


@PROFILES
@pytest.mark.parametrize("orphan", [True, False], ids=["orphan", "shutdown"])
def test_fin_wait_1_acked_by_old_text(profile, orphan) -> None:
    c = bring_to(State.FIN_WAIT_1, profile, half_close=not orphan)
    r = c.seg(ACK | PSH, seq=c.snd_nxt - 1, payload=b"x")  # old text, acknowledging our FIN
    replies = c.note(r)
    # (Linux's tcp_sequence takes the old segment and its ACK; RFC 9293's first check not)
    assert c.state() is (State.FIN_WAIT_2 if profile is LINUX else State.FIN_WAIT_1)
    if profile is LINUX and orphan:  # tcp_time_wait(TCP_FIN_WAIT2), "goto consume"
        assert replies == [] and ACK_OF_FIN_CONSUMED in r.rules()
    else:  # the duplicate is answered (Linux: tcp_data_queue's D-SACK; RFC: the first check)
        assert [s.flags for s in replies] == [ACK] and ACK_OF_FIN_CONSUMED not in r.rules()
