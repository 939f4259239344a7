"""The `linux` profile's choices in validating incoming segments, each against the `rfc` profile:
ACK throttling (tcp_oow_rate_limited, tcp_send_challenge_ack), tcp_ack's bound on old ACKs,
the ACK-less segment, the last Timestamps option, PAWS on old pure ACKs, the TCP-MD5 and
auth-option drops."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import (
    ACK,
    FIN,
    PSH,
    RST,
    SYN,
    TcpOptMalformed,
    TcpOptNop,
    TcpOptTimestamps,
    TcpOptUnknown,
)
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import syn_options
from tests.unit.refstack.test_tcp_rfc5961_paws import ts_conn

LIMIT = "RFC5961-7-SHOULD-ack-rate-limit"
EXEMPT = "LINUX-tcp_oow_rate_limited-data-exempt"
# The RFC's reading with Linux's interval: every answer limited alike (RFC 5961 7).
RFC_LIMITED = dataclasses.replace(RFC, oow_ack_interval=0.5)


def _challenged(profile):
    """ESTABLISHED, after a RST in the window drew a challenge ACK (RFC 5961 3.2) at t=0."""
    c = bring_to(State.ESTABLISHED, profile)
    (ack,) = c.note(c.seg(RST, seq=c.snd_nxt + 1))
    assert ack.flags == ACK
    return c


@pytest.mark.parametrize("profile", [RFC_LIMITED, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("flags,payload", [(ACK | PSH, b"old"), (FIN | ACK, b"")],
                         ids=["data", "fin"])
def test_out_of_window_data_or_fin_within_the_interval(profile, flags, payload) -> None:
    c = _challenged(profile)
    r = c.seg(flags, seq=(c.snd_nxt - 3000) & 0xFFFFFFFF, payload=payload)
    replies = c.note(r)
    if profile is LINUX:  # tcp_oow_rate_limited: seq != end_seq && !syn -> answered
        assert [s.flags for s in replies] == [ACK] and EXEMPT in r.rules()
        assert c.tcb().last_oow_ack == 0.0  # the limit not re-armed
    else:
        assert replies == [] and LIMIT in r.rules()


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_ack_of_unsent_data_is_a_limited_challenge(profile) -> None:
    c = _challenged(profile)
    r = c.seg(ACK | PSH, ack=(c.rcv_nxt + 1000) & 0xFFFFFFFF, payload=b"injected?")
    replies = c.note(r)
    assert "RFC9293-3.10.7.4-MUST-ack-unsent" in r.rules()
    if profile is LINUX:  # tcp_send_challenge_ack: limited whatever the segment carries
        assert replies == [] and LIMIT in r.rules()
    else:  # no limit: RFC 9293 3.10.7.4's ACK
        assert [s.flags for s in replies] == [ACK]
    assert c.tcb().recv.ready == b""


def test_out_of_window_data_leaves_the_limit_unarmed_linux() -> None:
    c = bring_to(State.ESTABLISHED, LINUX)
    assert len(c.note(c.seg(ACK | PSH, seq=c.snd_nxt + (1 << 30), payload=b"x"))) == 1
    assert c.tcb().last_oow_ack is None
    assert len(c.note(c.seg(ACK, seq=c.snd_nxt + (1 << 30)))) == 1  # a pure ACK: answered
    assert len(c.note(c.seg(RST, seq=c.snd_nxt + 1))) == 0  # and it armed the limit


def test_time_wait_starts_with_the_limit_unarmed_linux() -> None:
    c2 = bring_to(State.FIN_WAIT_2, LINUX, half_close=True)  # (orphaned: a minisocket)
    assert len(c2.note(c2.seg(RST, seq=c2.snd_nxt + 1))) == 1  # a challenge ACK arms it
    assert c2.tcb().last_oow_ack == 0.0
    c2.note(c2.advance(FIN | ACK))
    assert c2.state() is State.TIME_WAIT and c2.tcb().last_oow_ack is None
    # tcp_timewait_state_process answers an old pure ACK (its own timestamp, unarmed).
    assert [s.flags for s in c2.note(c2.seg(ACK, seq=c2.snd_nxt - 10))] == [ACK]


def test_syn_stays_limited_linux() -> None:
    c = _challenged(LINUX)
    r = c.seg(SYN, seq=c.snd_nxt)
    assert c.note(r) == [] and LIMIT in r.rules() and c.state() is State.ESTABLISHED


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_old_ack_before_any_data_acknowledged(profile) -> None:
    c = bring_to(State.LISTEN, profile)  # a passive open: the SYN is not counted
    c.note(c.advance(SYN))
    c.note(c.seg(ACK))
    assert c.state() is State.ESTABLISHED and c.tcb().bytes_acked == 0
    r = c.seg(ACK | PSH, ack=(c.rcv_nxt - 1) & 0xFFFFFFFF, payload=b"data")
    replies = c.note(r)
    if profile is LINUX:  # tcp_ack: max_window = min(max_window, bytes_acked = 0)
        assert "LINUX-tcp_ack-too-old-never-sent" in r.rules()
        assert [s.flags for s in replies] == [ACK] and replies[0].ack == c.snd_nxt
        assert c.tcb().recv.ready == b""
    else:  # RFC 9293 3.10.7.4: a duplicate ACK, the text is taken
        assert c.tcb().recv.ready == b"data"


def test_an_active_open_counts_its_syn_linux() -> None:
    c = bring_to(State.ESTABLISHED, LINUX)  # bring_to opens actively
    assert c.tcb().bytes_acked == 1
    r = c.seg(ACK | PSH, ack=(c.rcv_nxt - 1) & 0xFFFFFFFF, payload=b"a")
    assert c.tcb().recv.ready == b"a" and "LINUX-tcp_ack-too-old-never-sent" not in r.rules()
    r = c.seg(ACK | PSH, seq=c.snd_nxt + 1, ack=(c.rcv_nxt - 2) & 0xFFFFFFFF, payload=b"b")
    assert "LINUX-tcp_ack-too-old-never-sent" in r.rules()


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_unacceptable_segment_without_ack(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    r = c.seg(PSH, seq=(c.snd_nxt - 3000) & 0xFFFFFFFF, payload=b"x")
    replies = c.note(r)
    if profile is LINUX:  # tcp_rcv_established: TCP_FLAGS, before tcp_validate_incoming
        assert replies == [] and "LINUX-tcp_rcv_established-no-ack-flag" in r.rules()
    else:  # RFC 9293 3.10.7.4: the first check answers it
        assert [s.flags for s in replies] == [ACK]
        assert "RFC9293-3.10.7.4-MUST-first-check" in r.rules()


def _ts(val: int, ecr: int = 0) -> tuple:
    return (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(val, ecr))


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_two_timestamps_options_in_a_syn(profile) -> None:
    c = bring_to(State.LISTEN, profile)
    (synack,) = c.note(c.advance(SYN, options=syn_options(ts=(100, 0)) + _ts(200)))
    # RFC 7323 does not say which counts; Linux's tcp_parse_options keeps the last.
    assert synack.timestamps[1] == (200 if profile is LINUX else 100)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_paws_judges_one_of_two_timestamps(profile) -> None:
    c = ts_conn(profile)  # passive, timestamps from 1000
    r = c.seg(ACK | PSH, payload=b"x", options=_ts(2000) + _ts(10))  # the last one is old
    replies = c.note(r)
    assert len(replies) == 1
    rejected = "RFC7323-5.3-MUST-paws" in r.rules()
    assert rejected is (profile is LINUX)
    assert c.tcb().recv.ready == (b"" if profile is LINUX else b"x")


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_paws_on_an_old_pure_ack(profile) -> None:
    c = ts_conn(profile)  # passive, timestamps from 1000
    c.note(c.advance(ACK | PSH, payload=b"fresh", options=_ts(2000)))
    r = c.seg(ACK, seq=(c.snd_nxt - 2) & 0xFFFFFFFF, options=_ts(10))
    replies = c.note(r)
    if profile is LINUX:  # tcp_disordered_ack_check: TCP_RFC7323_PAWS_ACK, no dupack
        assert replies == [] and "LINUX-tcp_validate_incoming-paws-old-ack" in r.rules()
    else:  # RFC 7323 5.3 R1: an ACK
        assert [s.flags for s in replies] == [ACK] and "RFC7323-5.3-MUST-paws" in r.rules()
    # At RCV.NXT both answer (Linux: tcp_send_dupack).
    assert len(c.note(c.seg(ACK, options=_ts(10)))) == 1


MD5 = TcpOptUnknown(19, bytes(16))


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_signed_segment_on_a_connection(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    r = c.seg(ACK | PSH, payload=b"signed", options=(TcpOptNop(), TcpOptNop(), MD5))
    replies = c.note(r)
    if profile is LINUX:  # tcp_inbound_hash: TCP_MD5UNEXPECTED
        assert replies == [] and "LINUX-tcp_inbound_hash-md5-unexpected" in r.rules()
        assert c.tcb().recv.ready == b""
    else:  # RFC 1122 4.2.2.5: an unknown option is ignored
        assert c.tcb().recv.ready == b"signed"


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_signed_syn_to_a_closed_port(profile) -> None:
    c = bring_to(State.CLOSED, profile)
    r = c.seg(SYN, options=(TcpOptNop(), TcpOptNop(), MD5))
    replies = c.note(r)
    if profile is LINUX:  # tcp_v4_send_reset cannot sign a RST: none
        assert replies == [] and "LINUX-tcp_v4_send_reset-auth-option" in r.rules()
    else:
        assert [s.flags for s in replies] == [RST | ACK]


@pytest.mark.parametrize("at,dropped", [(0, True), (18, False)])
def test_broken_framing_where_the_auth_parse_looks_linux(at, dropped) -> None:
    c = bring_to(State.ESTABLISHED, LINUX)
    area = (TcpOptNop(),) * at + (TcpOptMalformed(b"\x05\x01" + b"\x01" * (18 - at)),)
    r = c.seg(ACK | PSH, payload=b"x", options=area)
    assert ("LINUX-tcp_inbound_hash-auth-hdr" in r.rules()) is dropped
    assert c.tcb().recv.ready == (b"" if dropped else b"x")


def test_auth_check_rules() -> None:
    from reference_stack.tcp.auth_options import RULE_AUTH_HDR, RULE_MD5, check
    from reference_stack.wire.tcp import TcpRepr
    nop = TcpOptNop()
    seg = lambda *o: TcpRepr(1, 2, options=o)  # noqa: E731
    assert check(seg(nop, nop, MD5)) == RULE_MD5
    assert check(seg(MD5, MD5)) == RULE_AUTH_HDR  # -EEXIST
    assert check(seg(TcpOptUnknown(19, bytes(14)), nop, nop, nop, nop)) == RULE_AUTH_HDR
    assert check(seg(nop, nop, TcpOptTimestamps(1, 2))) is None


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_data_half_the_sequence_space_away(profile) -> None:
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(ts=None)))
    c.note(c.seg(ACK))
    seq = (c.snd_nxt + (1 << 31)) & 0xFFFFFFFF
    r = c.seg(ACK | PSH, seq=seq, payload=b"x" * 10)
    (ack,) = c.note(r)
    if profile is LINUX:  # before(): (s32)(seq - rcv_nxt) = INT_MIN < 0, a D-SACK
        assert ack.sack_blocks == ((seq, (seq + 10) & 0xFFFFFFFF),)
        assert "LINUX-tcp_send_dupack-half-space" in r.rules()
    else:  # RFC 1982 3.2: undefined; not taken as old
        assert ack.sack_blocks == ()


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_paws_rejected_fin_half_the_sequence_space_away(profile) -> None:
    c = ts_conn(profile)  # passive, timestamps from 1000
    seq = (c.snd_nxt + (1 << 31)) & 0xFFFFFFFF
    r = c.seg(ACK | FIN, seq=seq, payload=b"xy", options=(
        TcpOptNop(), TcpOptNop(), TcpOptTimestamps(20, c.tcb().ts_recent)))
    assert "RFC7323-5.3-MUST-paws" in r.rules()
    (ack,) = c.note(r)
    # PAWS refuses it through the same tcp_send_dupack as the first check: before() takes
    # SEG.SEQ = RCV.NXT + 2**31 as old, a D-SACK of the data and the FIN
    linux = profile is LINUX
    assert ack.sack_blocks == (((seq, (seq + 3) & 0xFFFFFFFF),) if linux else ())
    assert ("LINUX-tcp_send_dupack-half-space" in r.rules()) is linux


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("payload", [b"", b"x"], ids=["pure-ack", "data"])
def test_paws_half_the_sequence_space_away(profile, payload) -> None:
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(wscale=None, ts=(1000, 0))))
    stamp = (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(1001, 0))
    c.note(c.seg(ACK, options=stamp))
    seq = (c.snd_nxt + (1 << 31)) & 0xFFFFFFFF
    old = (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(1, 0))  # fails PAWS
    r = c.seg(ACK, seq=seq, payload=payload, options=old)
    replies = c.note(r)
    half = "LINUX-tcp_send_dupack-half-space" in r.rules()
    assert half is (profile is LINUX)
    if profile is RFC:  # RFC 7323 5.3: an ACK, no D-SACK (RFC 1982 3.2: not taken as old)
        assert [s.sack_blocks for s in replies] == [()]
    elif payload:  # tcp_send_dupack: before() says old, a D-SACK block
        assert [s.sack_blocks for s in replies] == [((seq, (seq + 1) & 0xFFFFFFFF),)]
    else:  # tcp_disordered_ack_check: an old pure ACK, dropped silently
        assert replies == []


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("payload", [b"", b"last words"], ids=["fin", "data-fin"])
def test_ack_of_an_in_order_fin_may_be_delayed(profile, payload) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    r = c.advance(FIN | ACK, payload=payload)
    assert c.state() is State.CLOSE_WAIT
    (prediction,) = r.predictions
    # Linux tcp_fin: ping-pong mode, the delayed-ACK timer; the RFC oracle: at once.
    assert ("timing.delay_ms" in prediction.variance) is (profile is LINUX)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_ack_of_a_fin_after_an_old_octet_may_be_delayed(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.advance(ACK | PSH, payload=b"x"))
    r = c.seg(FIN | ACK, seq=c.snd_nxt - 1, payload=b"x")  # the octet again, then a FIN
    assert c.state() is State.CLOSE_WAIT
    (prediction,) = r.predictions
    # Linux tcp_data_queue: a partial duplicate goes to queue_and_out, then tcp_fin (ping-pong
    # mode, the delayed-ACK timer); the RFC oracle acknowledges at once.
    assert ("timing.delay_ms" in prediction.variance) is (profile is LINUX)


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("after", [0.01, 0.6], ids=["ack-maybe-held", "ack-surely-sent"])
def test_old_pure_ack_while_the_fin_ack_may_be_held(profile, after) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    start = c.snd_nxt
    c.note(c.advance(FIN | ACK, payload=b"x"))  # Linux: its ACK delayed (tcp_fin)
    c.tester.now += after
    r = c.seg(ACK, seq=start)  # ends at the RCV.WUP Linux had before that ACK
    (prediction,) = r.predictions  # the first check's ACK (RFC 9293 3.10.7.4)
    held = profile is LINUX and after < 0.5
    # Linux tcp_sequence: with the delayed ACK unsent, RCV.WUP is still `start`: the segment
    # is taken silently and the delayed ACK follows; the peer sees that ACK once or twice.
    assert ("timing.delay_ms" in prediction.variance) is held
    assert ("LINUX-tcp_sequence-wup-before-delayed-ack" in r.rules()) is held


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("after", [0.01, 0.6], ids=["ack-maybe-held", "ack-surely-sent"])
def test_rst_below_rcv_nxt_while_the_fin_ack_may_be_held(profile, after) -> None:
    """Stateful finding b4f2bcf6740c: text and FIN, then a RST at their start (RCV.NXT - 2),
    then a RST in the window."""
    c = bring_to(State.ESTABLISHED, profile)
    start = c.snd_nxt
    c.note(c.advance(FIN | ACK, payload=b"x"))  # Linux: its ACK delayed (tcp_fin)
    c.tester.now += after
    old = c.seg(RST | ACK, seq=start)
    held = profile is LINUX and after < 0.5
    # RFC 5961 3.2: below RCV.NXT, out of the window: dropped. Linux tcp_sequence, with the
    # delayed ACK unsent, still has RCV.WUP = `start`: in its window, not at RCV.NXT, so a
    # challenge ACK (the held ACK's twin) arming the rate limit.
    assert [p.rule for p in old.predictions] == (
        ["RFC5961-3.2-MUST-rst-challenge-ack"] if held else [])
    c.tester.now += 0.01
    r = c.seg(RST | ACK, seq=c.snd_nxt + 100)  # in the window, not at RCV.NXT
    # a challenge ACK (RFC 5961 3.2), unless the first one armed the limit (RFC 5961 7)
    assert len(r.predictions) == (0 if held else 1)
    assert ("RFC5961-7-SHOULD-ack-rate-limit" in r.rules()) is held


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_rst_beyond_the_edge_before_the_held_fin_ack(profile) -> None:
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(ts=None)))  # window scale 7
    c.note(c.seg(ACK))
    # beyond the SYN,ACK's window (Linux's edge, itself included), within the next one
    edge = c.snd_nxt + c.tcb().rcv_wnd() + (profile is LINUX)
    c.note(c.advance(FIN | ACK))  # its ACK (Linux: delayed) advertises a wider, scaled window
    r = c.seg(RST | ACK, seq=edge)
    (prediction,) = r.predictions  # RFC 5961 3.2: a challenge ACK
    held = profile is LINUX
    # Linux tcp_sequence: until the delayed ACK is sent, its right edge is the SYN,ACK's: the
    # RST is out of the window, dropped; the peer sees the delayed ACK (or it and the challenge).
    assert ("timing.delay_ms" in prediction.variance) is held
    assert ("LINUX-tcp_sequence-wup-before-delayed-ack" in r.rules()) is held


def test_ack_of_a_fin_in_fin_wait_2_is_not_delayed_linux() -> None:
    c = bring_to(State.FIN_WAIT_2, LINUX)
    (prediction,) = c.advance(FIN | ACK).predictions
    assert "timing.delay_ms" not in prediction.variance


def test_the_child_socket_starts_with_the_limit_unarmed_linux() -> None:
    c = bring_to(State.SYN_RECEIVED, LINUX)
    # An out-of-window ACK to the request socket: answered, arming the request's limit.
    assert len(c.note(c.seg(ACK, seq=(c.snd_nxt + (1 << 30)) & 0xFFFFFFFF))) == 1
    c.note(c.seg(ACK))
    assert c.state() is State.ESTABLISHED and c.tcb().last_oow_ack is None
    # tcp_create_openreq_child: last_oow_ack_time = 0, so a challenge ACK goes out at once.
    assert len(c.note(c.seg(RST, seq=c.snd_nxt + 1))) == 1


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
@pytest.mark.parametrize("age", [1, 2])
def test_paws_window(profile, age) -> None:
    c = ts_conn(profile)  # passive, timestamps from 1000
    c.note(c.advance(ACK | PSH, payload=b"a", options=_ts(2000)))
    c.note(c.advance(ACK | PSH, payload=b"b", options=_ts(2000 - age)))
    # Linux tcp_paws_check(TCP_PAWS_WINDOW = 1): one tick of reordering passes.
    accepted = profile is LINUX and age == 1
    assert c.tcb().recv.ready == (b"ab" if accepted else b"a")
    assert c.tcb().ts_recent == 2000  # TS.Recent never moves back


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_reordered_duplicate_ack_passes_paws(profile) -> None:
    c = ts_conn(profile)  # passive, timestamps from 1000
    c.note(c.advance(ACK | PSH, payload=b"a", options=_ts(2000)))
    c.note(c.seg(ACK, options=_ts(2001)))  # SND.WL1 = RCV.NXT
    r = c.seg(ACK, options=_ts(1995))  # 6 ticks old: within Linux's replay window
    replies = c.note(r)
    if profile is LINUX:  # tcp_disordered_ack_check: a reordered duplicate ACK, no answer
        assert replies == [] and "LINUX-tcp_disordered_ack_check-reordered-ack" in r.rules()
    else:  # RFC 7323 5.3 R1
        assert len(replies) == 1 and "RFC7323-5.3-MUST-paws" in r.rules()


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_old_syn_with_data(profile) -> None:
    c = ts_conn(dataclasses.replace(profile, dsack=True))
    r = c.seg(SYN, seq=(c.snd_nxt - 3000) & 0xFFFFFFFF, payload=b"x" * 10, options=_ts(2000))
    (ack,) = c.note(r)
    if profile is LINUX:  # tcp_validate_incoming -> syn_challenge: no D-SACK
        assert "RFC5961-4.2-MUST-syn-challenge-ack" in r.rules() and ack.sack_blocks == ()
    else:  # RFC 9293 first check: the duplicate ACK reports the old data (RFC 2883)
        assert "RFC9293-3.10.7.4-MUST-first-check" in r.rules() and ack.sack_blocks != ()
