"""Linux's timewait socket (tcp_timewait_state_process) for an orphaned FIN-WAIT-2 and for
TIME-WAIT, each choice against the `rfc` profile: PAWS on a RST, the order of its checks, and
the segments it drops without a reply (tcp/time_wait.py)."""

from __future__ import annotations

import errno

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TcpOptNop, TcpOptTimestamps
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import syn_options

TSVAL = 5000


def _stamp(tsval: int) -> tuple:
    return (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(tsval, 0))


def _orphan(profile, state: State):
    """A passive connection with timestamps, closed by its application and brought to the
    orphaned FIN-WAIT-2 (its FIN acknowledged) or TIME-WAIT (then the tester's FIN)."""
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(wscale=None, ts=(TSVAL, 0))))
    c.note(c.seg(ACK, options=_stamp(TSVAL + 1)))
    fd = c.stack.accept(c.fd, 0.0).value[0]
    c.note(c.stack.close(fd, 0.0).reaction)  # its FIN: FIN-WAIT-1
    c.note(c.seg(ACK, options=_stamp(TSVAL + 2)))
    if state is State.TIME_WAIT:
        c.note(c.advance(FIN | ACK, options=_stamp(TSVAL + 3)))
    assert c.state() is state
    return c


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("state", [State.FIN_WAIT_2, State.TIME_WAIT], ids=["fw2", "time-wait"])
def test_paws_applies_to_a_rst(profile, state) -> None:
    c = _orphan(profile, state)
    r = c.seg(RST, options=_stamp(TSVAL - 100))  # at RCV.NXT, its TSval older than TS.Recent
    replies = c.note(r)
    # RFC 7323 5.3 R1: PAWS exempts a RST, which ends the connection; Linux's timewait socket
    # refuses it (tcp_paws_reject(&tmp_opt, th->rst)): an ACK in FIN-WAIT-2, nothing in
    # TIME-WAIT, and the connection stays
    linux = profile is LINUX
    assert (c.state() is state) is linux
    assert [x.flags for x in replies] == ([ACK] if linux and state is State.FIN_WAIT_2 else [])
    assert ("LINUX-tcp_timewait_state_process-paws-rst" in r.rules()) is linux


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_fin_wait_2_rst_before_syn(profile) -> None:
    c = _orphan(profile, State.FIN_WAIT_2)
    replies = c.note(c.seg(SYN | RST, seq=c.snd_nxt + 1, options=_stamp(TSVAL + 10)))
    # RFC 5961 3.2: a RST not at RCV.NXT draws a challenge ACK; Linux's minisocket takes the
    # RST before the SYN and ends without a reply (and without the SYN's RST)
    if profile is LINUX:
        assert replies == [] and c.state() is State.CLOSED
    else:
        assert [x.flags for x in replies] == [ACK] and c.state() is State.FIN_WAIT_2


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_fin_wait_2_drops_a_syn_before_rcv_nxt(profile) -> None:
    c = _orphan(profile, State.FIN_WAIT_2)
    r = c.seg(SYN, seq=c.snd_nxt - 1, payload=b"xy", options=_stamp(TSVAL + 10))
    replies = c.note(r)
    # RFC 5961 4.2: any SYN draws a challenge ACK; Linux's minisocket drops a segment
    # without ACK in its window (a SYN before RCV.NXT)
    linux = profile is LINUX
    assert [x.flags for x in replies] == ([] if linux else [ACK])
    assert ("LINUX-tcp_timewait_state_process-fin-wait-2-drop" in r.rules()) is linux
    assert c.state() is State.FIN_WAIT_2


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_fin_wait_2_fin_enters_time_wait(profile) -> None:
    c = _orphan(profile, State.FIN_WAIT_2)
    (ack,) = c.note(c.advance(FIN | ACK, options=_stamp(TSVAL + 10)))
    # RFC 9293 3.10.7.4 eighth check, the same in the minisocket: TIME-WAIT, the FIN acked
    assert ack.flags == ACK and ack.ack == c.snd_nxt
    assert c.state() is State.TIME_WAIT
    assert c.tcb().ts_recent == TSVAL + 10


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("newer", [True, False], ids=["newer-tsval", "older-tsval"])
def test_time_wait_reopened_by_a_newer_timestamp(profile, newer) -> None:
    c = _orphan(profile, State.TIME_WAIT)
    tsval = TSVAL + 100 if newer else TSVAL - 100
    r = c.seg(SYN, seq=c.snd_nxt - 1000, options=_stamp(tsval))  # below the old RCV.NXT
    replies = c.note(r)
    # RFC 9293: a SYN in TIME-WAIT draws a challenge ACK (RFC 5961 4.2); RFC 1122 4.2.2.13 MAY
    # reopen, and RFC 6191 2 lets a newer TSval do so whatever the sequence number (Linux
    # tcp_timewait_state_process: TCP_TW_SYN); an older one is PAWS-rejected: an ACK
    reopened = profile is LINUX and newer
    assert [x.flags for x in replies] == [SYN | ACK if reopened else ACK]
    assert ("RFC1122-4.2.2.13-MAY-time-wait-reopen" in r.rules()) is reopened


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_shutdown_in_time_wait(profile) -> None:
    c = bring_to(State.TIME_WAIT, profile, half_close=True)  # the socket still open
    result = c.stack.shutdown(c.fd, 1, 0.0)
    # RFC 9293 3.10.4: the FIN already went, a second CLOSE changes nothing; Linux's socket is
    # TCP_CLOSE once its connection is a timewait socket (tcp_time_wait): ENOTCONN
    assert result.errno == (errno.ENOTCONN if profile is LINUX else 0)
    assert ("LINUX-tcp_time_wait-socket-closed" in result.reaction.rules()) is (profile is LINUX)


@pytest.mark.parametrize("profile,with_fin", [(RFC, False), (LINUX, False), (LINUX, True)],
                         ids=["rfc-ack", "linux-ack", "linux-ack-with-old-fin"])
def test_fin_acked_by_a_segment_with_fin_keeps_the_full_socket(profile, with_fin) -> None:
    c = bring_to(State.FIN_WAIT_1, profile)  # closed: an orphan, its FIN unacknowledged
    if with_fin:  # an old FIN (RFC 9293's first check refuses it: Linux's tcp_sequence not)
        c.note(c.seg(ACK | FIN, seq=c.snd_nxt - 1))
    else:
        c.note(c.seg(ACK))
    assert c.state() is State.FIN_WAIT_2
    replies = c.note(c.seg(SYN, seq=c.snd_nxt))
    # RFC 5961 4.2: a SYN draws a challenge ACK; Linux's minisocket answers it with a RST,
    # but when the segment acknowledging the FIN carries a FIN the full socket stays
    # (tcp_rcv_state_process), and challenges it
    minisock = profile is LINUX and not with_fin
    assert [x.flags & RST for x in replies] == [RST if minisock else 0]
    assert c.state() is (State.CLOSED if minisock else State.FIN_WAIT_2)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_close_with_unread_data_in_closing_resets(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.stack.shutdown(c.fd, 1, 0.0).reaction)  # FIN-WAIT-1
    c.note(c.advance(FIN | ACK | PSH, payload=b"unread", ack=c.rcv_nxt - 1))  # CLOSING
    assert c.state() is State.CLOSING
    r = c.stack.close(c.fd, 0.0).reaction
    replies = c.note(r)
    # RFC 1122 4.2.2.13 makes it an ABORT, which RFC 9293 3.10.5 answers in CLOSING without
    # a RST; Linux tcp_close resets on unread data in any state
    linux = profile is LINUX
    assert [x.flags & RST for x in replies] == ([RST] if linux else [])
    assert ("LINUX-tcp_close-unread-data-reset" in r.rules()) is linux
    assert c.state() is State.CLOSED
