"""The lwip store's analyses (conformance/targets/lwip_analyses.py) and the liveness findings
they explain: lwIP 2.1.3 aborts on a segment of SEG.LEN 1 at RCV.NXT + 2**31 (tcp_receive's
"insane offset!" assertion); a hang or crash after any other case stays unexplained."""

import pytest

from conformance.judge import store
from conformance.judge.store import Context
from conformance.targets.lwip import LwipTarget
from conformance.targets.lwip_analyses import (
    ack_held_behind_nagle,
    insane_offset,
    rst_at_window_edge,
    rst_starting_before_window,
    syn_fin_to_listener,
    syn_in_reopened_syn_received,
    syn_in_syn_received,
    text_without_ack_bit,
    time_wait_acks_any_length,
    time_wait_syn_reset,
    two_acks_for_an_ack_of_unsent,
    unacceptable_ack,
    window_from_unacceptable_ack,
)
from reference_stack.wire.frame import build_frame
from reference_stack.wire.ipv4 import IPPROTO_TCP, Ipv4Repr
from reference_stack.wire.tcp import TcpRepr

ISS = 0x0100_0000
CONSTANTS = {"tester_iss": ISS, "tester_tsval": 1000, "dut_isn": 0}
FIN, SYN, ACK = 0x01, 0x02, 0x10


def segment(seq: int, flags: int, payload: bytes = b"") -> bytes:
    ip = Ipv4Repr(src=b"\xc6\x12\x00\x02", dst=b"\xc6\x12\x00\x01", protocol=IPPROTO_TCP)
    seg = TcpRepr(40000, 80, seq & 0xFFFF_FFFF, 0, flags, 512, payload, ())
    return build_frame(b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02", ip, seg)


def ctx(*frames: bytes, state: str = "ESTABLISHED") -> Context:
    return Context("liveness", state, "unresponsive", canonical=frames[-1],
                   earlier=tuple((f, ()) for f in frames[:-1]), constants=CONSTANTS)


HALF = ISS + 1 + (1 << 31)


@pytest.mark.parametrize("frame", [
    segment(HALF, FIN | ACK),  # a FIN alone: tcplen 1 (finding cfdfc10ffce9)
    segment(HALF, ACK, b"X"),  # one octet of text
])
def test_a_segment_of_length_one_half_the_space_away_is_the_crash(frame):
    assert insane_offset(ctx(frame))
    assert insane_offset(ctx(frame, segment(ISS + 1, ACK)))  # any frame of the case


@pytest.mark.parametrize("frame", [
    segment(HALF, ACK, b"XX"),  # tcplen 2: TCP_SEQ_LEQ(rcv_nxt, seqno + 1) fails
    segment(HALF, ACK),  # tcplen 0: tcp_receive skips the text path
    segment(HALF - 1, FIN | ACK),
    segment(ISS + 1, FIN | ACK),
])
def test_other_segments_are_not(frame):
    assert not insane_offset(ctx(frame))


def test_lwips_store_explains_the_crash_only():
    lwip = store.load("lwip", None, LwipTarget.analyses_module)
    assert lwip.explain_case(ctx(segment(HALF, FIN | ACK))) is not None
    assert lwip.explain_case(ctx(segment(ISS + 1, FIN | ACK))) is None
    assert lwip.explain_case(ctx(segment(HALF, FIN | ACK), state="LISTEN")) is None


# -- the analyses of lwIP's TCP findings (conformance/targets/lwip_analyses.py) ------------
DUT_NXT = 1  # CONSTANTS["dut_isn"] + 1: the canonical SND.NXT
RCV_NXT = ISS + 1


def seg(seq: int, ack: int, flags: int, payload: bytes = b"") -> bytes:
    ip = Ipv4Repr(src=b"\xc6\x12\x00\x02", dst=b"\xc6\x12\x00\x01", protocol=IPPROTO_TCP)
    body = TcpRepr(40000, 81, seq % (1 << 32), ack % (1 << 32), flags, 512, payload, ())
    return build_frame(b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02", ip, body)


def case(*frames: bytes, answers: tuple[bytes, ...] = (), state: str = "ESTABLISHED") -> Context:
    return Context("r", state, "x", (), frames[-1], frames[-1], answers, False,
                   tuple((f, ()) for f in frames[:-1]), CONSTANTS)


PSH, RST = 0x08, 0x04


def test_text_without_the_ack_bit():
    assert text_without_ack_bit(case(seg(RCV_NXT, 0, PSH, b"ab"), seg(RCV_NXT, DUT_NXT, ACK)))
    assert text_without_ack_bit(case(seg(RCV_NXT, 0, FIN)))
    assert not text_without_ack_bit(case(seg(RCV_NXT, DUT_NXT, ACK | PSH, b"ab")))
    assert not text_without_ack_bit(case(seg(RCV_NXT, 0, PSH)))  # nothing to take


@pytest.mark.parametrize("ack,bad", [(DUT_NXT, False), (DUT_NXT - 1000, False),
                                     (DUT_NXT + 1, True), (DUT_NXT + (1 << 31) + 5, True)])
def test_unacceptable_ack(ack, bad):
    assert unacceptable_ack(case(seg(RCV_NXT, ack, ACK | PSH, b"a"))) is bad


def test_two_identical_acks_for_an_ack_of_unsent_data():
    sent = seg(RCV_NXT - 1, DUT_NXT + 1, ACK)
    answer = seg(DUT_NXT, RCV_NXT, ACK)
    assert two_acks_for_an_ack_of_unsent(case(sent, answers=(answer, answer)))
    assert not two_acks_for_an_ack_of_unsent(case(sent, answers=(answer,)))
    assert not two_acks_for_an_ack_of_unsent(case(seg(RCV_NXT - 1, DUT_NXT, ACK),
                                                  answers=(answer, answer)))


@pytest.mark.parametrize("offset,edge", [(65535, True), (65534, True), (65533, False), (1, False)])
def test_rst_at_lwips_window_edge(offset, edge):
    assert rst_at_window_edge(case(seg(RCV_NXT + offset, 0, RST))) is edge


def test_rst_starting_before_the_window():
    assert rst_starting_before_window(case(seg(RCV_NXT - 1, 0, RST | SYN | FIN)))
    assert not rst_starting_before_window(case(seg(RCV_NXT - 1, 0, RST)))
    assert not rst_starting_before_window(case(seg(RCV_NXT, 0, RST | FIN)))


def test_syn_fin_to_the_listener():
    assert syn_fin_to_listener(case(seg(ISS, 0, SYN | FIN), seg(RCV_NXT, DUT_NXT, ACK),
                                    state="LISTEN"))
    assert not syn_fin_to_listener(case(seg(ISS, 0, SYN), seg(RCV_NXT, 0, FIN), state="LISTEN"))


def test_syn_in_syn_received():
    opened = seg(ISS, 0, SYN)
    assert syn_in_syn_received(case(opened, seg(RCV_NXT, 0, SYN | ACK), state="LISTEN"))
    assert not syn_in_syn_received(case(opened, seg(RCV_NXT, DUT_NXT, ACK), state="LISTEN"))
    assert not syn_in_syn_received(case(seg(ISS, 0, SYN | ACK), seg(RCV_NXT, 0, SYN),
                                        state="LISTEN"))


# -- the stateful engine's cases (lwst): steps with socket calls ----------------------------

def stateful(*steps: dict, answers: tuple[bytes, ...] = (), state: str = "passive-open+calls",
             call_last: bool = False) -> Context:
    """A stateful case: the frame that diverged is the last frame step (None if a call
    diverged, every frame then earlier)."""
    frames = [bytes.fromhex(s["frame"]) for s in steps if "frame" in s]
    if call_last:
        return Context("r", state, "x", (), earlier=tuple((f, ()) for f in frames),
                       constants=CONSTANTS, steps=steps)
    return Context("r", state, "x", (), frames[-1], frames[-1], answers, False,
                   tuple((f, ()) for f in frames[:-1]), CONSTANTS, steps)


def frame(f: bytes) -> dict:
    return {"frame": f.hex()}


def test_unacceptable_ack_before_a_call_that_diverged():
    text = frame(seg(RCV_NXT, DUT_NXT + 1, ACK | PSH, b"a"))  # acknowledges unsent data
    assert unacceptable_ack(stateful(text, {"call": "send", "data": "aa"}, call_last=True))
    pure = frame(seg(RCV_NXT, DUT_NXT + 1, ACK))  # no text: the call's divergence is not its
    assert not unacceptable_ack(stateful(pure, {"call": "send", "data": "aa"}, call_last=True))


def test_unacceptable_ack_counts_the_dut_s_sends_and_fin():
    after_close = seg(RCV_NXT, DUT_NXT + 1, ACK | FIN)  # acknowledges the DUT's FIN
    assert not unacceptable_ack(stateful({"call": "close"}, frame(after_close)))
    assert unacceptable_ack(stateful(frame(after_close)))
    sent = seg(RCV_NXT, DUT_NXT + 3, ACK | PSH, b"a")
    assert not unacceptable_ack(stateful({"call": "send", "data": "616263"}, frame(sent)))


def test_unacceptable_ack_takes_the_active_opening_s_window():
    old = seg(RCV_NXT, DUT_NXT - 65536, ACK)  # beyond 64240, within 65535 << 7
    assert unacceptable_ack(stateful(frame(old), state="active-open+calls"))
    assert not unacceptable_ack(stateful(frame(old)))


def test_syn_in_a_reopened_syn_received():
    opened = frame(seg(RCV_NXT + 100, 0, SYN))
    assert syn_in_reopened_syn_received(stateful(frame(seg(RCV_NXT, 0, RST)), opened,
                                                 frame(seg(RCV_NXT + 101, 9, SYN | ACK | FIN))))
    assert not syn_in_reopened_syn_received(stateful(opened, frame(seg(RCV_NXT, 9, ACK))))


def test_ack_held_behind_nagle():
    syn = frame(seg(RCV_NXT, 0, SYN))
    two = ({"call": "send", "data": "61"}, {"call": "send", "data": "62"})
    assert ack_held_behind_nagle(stateful(*two, syn))
    assert not ack_held_behind_nagle(stateful(two[0], syn))  # nothing queued
    answer = seg(DUT_NXT, RCV_NXT, ACK)
    assert not ack_held_behind_nagle(stateful(*two, syn, answers=(answer,)))
    # An ACK of the first call's octet released the second (now in flight, nothing held).
    acked = frame(seg(RCV_NXT, DUT_NXT + 1, ACK))
    assert not ack_held_behind_nagle(stateful(two[0], two[1], acked, syn))
    assert ack_held_behind_nagle(stateful(two[0], two[1], acked, two[0], syn))
    # A duplicate or old ACK releases nothing; a close sends what is held with the FIN.
    assert ack_held_behind_nagle(stateful(*two, frame(seg(RCV_NXT, DUT_NXT - 5, ACK)), syn))
    assert not ack_held_behind_nagle(stateful(*two, {"call": "close"}, syn))


def test_time_wait_reached_after_close_and_the_peer_s_fin():
    close, fin = {"call": "close"}, frame(seg(RCV_NXT, DUT_NXT + 1, FIN | ACK))
    syn = frame(seg(RCV_NXT + 1000, 77, SYN | FIN))
    rst = seg(77, RCV_NXT + 1001, RST | ACK)
    assert time_wait_syn_reset(stateful(close, fin, syn, answers=(rst,)))
    assert not time_wait_syn_reset(stateful(close, syn, answers=(rst,)))  # no FIN came
    text = frame(seg(RCV_NXT + 1000, DUT_NXT + 1, ACK, b"abc"))
    assert time_wait_acks_any_length(stateful(close, fin, text))
    assert not time_wait_acks_any_length(stateful(fin, text))  # not closed: not TIME-WAIT
    assert not time_wait_acks_any_length(stateful(close, fin, frame(seg(RCV_NXT + 1, 2, ACK))))


def test_ack_after_the_peer_s_fin_for_a_segment_starting_before_rcv_nxt():
    fin = frame(seg(RCV_NXT, DUT_NXT, FIN | ACK))
    overlapping = frame(seg(RCV_NXT - 1, DUT_NXT, ACK | PSH, b"x" * 28))
    assert time_wait_acks_any_length(stateful(fin, overlapping))
    assert not time_wait_acks_any_length(stateful(fin, frame(seg(RCV_NXT + 1, DUT_NXT, ACK))))
    assert not time_wait_acks_any_length(stateful(overlapping))  # no FIN before it


def test_window_taken_from_an_unacceptable_ack():
    def closing(ack, window_zero=True, offset=3884):
        f = seg(RCV_NXT + offset, ack, ACK)
        if window_zero:  # the window field (octets 14-15 of the TCP header, at 48-49)
            f = f[:48] + bytes(2) + f[50:]
        return stateful(frame(f), {"call": "send", "data": "6162"}, call_last=True)
    assert window_from_unacceptable_ack(closing(DUT_NXT + 100_000_000))
    assert not window_from_unacceptable_ack(closing(DUT_NXT))  # acceptable: RFC takes it too
    assert not window_from_unacceptable_ack(closing(DUT_NXT + 100, window_zero=False))
    assert not window_from_unacceptable_ack(closing(DUT_NXT + 100, offset=0))  # snd_wl1 = seqno


def test_window_taken_after_an_active_opening_at_the_syn_ack_s_sequence_number():
    """tcp_process SYN_SENT sets snd_wl1 to the SYN,ACK's SEG.SEQ - 1 (finding dfcb96c053eb)."""
    syn_ack = frame(seg(ISS, DUT_NXT, SYN | ACK))
    old = seg(ISS, DUT_NXT - 65536, ACK | PSH)  # RCV.NXT - 1, RFC 5961 5.2's too old ACK
    old = old[:48] + bytes(2) + old[50:]  # window 0
    call = {"call": "send", "data": "6162"}
    assert window_from_unacceptable_ack(stateful(syn_ack, frame(old), call,
                                                 state="active-open+calls", call_last=True))
    # After a passive opening snd_wl1 is RCV.NXT: the same segment leaves the window alone.
    assert not window_from_unacceptable_ack(stateful(frame(old), call, call_last=True))
    # Before the SYN,ACK's sequence number: not beyond snd_wl1.
    older = seg(ISS - 1, DUT_NXT - 65536, ACK)
    older = older[:48] + bytes(2) + older[50:]
    assert not window_from_unacceptable_ack(stateful(syn_ack, frame(older), call,
                                                     state="active-open+calls", call_last=True))


def test_time_wait_acks_a_segment_without_the_ack_bit():
    from conformance.targets.lwip_analyses import time_wait_acks_without_ack_bit
    close, fin = {"call": "close"}, frame(seg(RCV_NXT, DUT_NXT + 1, FIN | ACK))
    bare_fin = frame(seg(RCV_NXT + 65535, 0, FIN))
    assert time_wait_acks_without_ack_bit(stateful(close, fin, bare_fin))
    assert not time_wait_acks_without_ack_bit(stateful(fin, bare_fin))
    assert not time_wait_acks_without_ack_bit(stateful(close, fin, frame(seg(RCV_NXT, 0, 0))))


def test_syn_ignored_in_a_reopened_syn_received():
    from conformance.targets.lwip_analyses import syn_ignored_in_reopened_syn_received
    opened, other = frame(seg(RCV_NXT, 0, SYN)), frame(seg(RCV_NXT + 65535, 0, SYN | PSH, b"x"))
    again = frame(seg(RCV_NXT + 65534, 0, SYN))
    assert syn_ignored_in_reopened_syn_received(stateful(opened, other, again))
    assert not syn_ignored_in_reopened_syn_received(stateful(opened, opened, again))  # a copy
    assert not syn_ignored_in_reopened_syn_received(stateful(opened, again))


def test_segments_in_a_re_opened_syn_received():
    from conformance.targets.lwip_analyses import (
        ack_first_in_reopened_syn_received,
        no_ack_ignored_in_reopened_syn_received,
    )
    syn = seg(RCV_NXT + 500, 0, SYN)
    syn_ack = seg(DUT_NXT, RCV_NXT + 501, SYN | ACK)
    bad_ack = seg(RCV_NXT, DUT_NXT + 70, ACK | PSH, b"x")
    rst = seg(DUT_NXT + 70, RCV_NXT + 1, RST | ACK)

    def case_of(current, earlier_answer, answers=()):
        return Context("r", "passive-open+calls", "x", (), current, current, answers, True,
                       ((syn, earlier_answer),), CONSTANTS)
    assert ack_first_in_reopened_syn_received(case_of(bad_ack, (syn_ack,), (rst,)))
    assert not ack_first_in_reopened_syn_received(case_of(bad_ack, (), (rst,)))  # no listener
    assert not ack_first_in_reopened_syn_received(case_of(bad_ack, (syn_ack,)))
    syn_fin = seg(RCV_NXT + 100_000, 0, SYN | FIN)
    assert no_ack_ignored_in_reopened_syn_received(case_of(syn_fin, (syn_ack,)))
    assert not no_ack_ignored_in_reopened_syn_received(case_of(syn_fin, (syn_ack,), (syn_ack,)))


def test_rst_analyses_count_rcv_nxt_past_the_peer_s_fin():
    from conformance.targets.lwip_analyses import (
        rst_at_window_edge_after_fin,
        rst_starting_before_window_after_fin,
    )
    fin = frame(seg(RCV_NXT, DUT_NXT, FIN | ACK))
    edge = frame(seg(RCV_NXT + 1 + 65535, 0, RST))
    assert rst_at_window_edge_after_fin(stateful(fin, edge))
    assert not rst_at_window_edge(stateful(fin, edge))
    before = frame(seg(RCV_NXT, 0, RST | FIN, b"x" * 10))
    assert rst_starting_before_window_after_fin(stateful(fin, before))
    assert not rst_starting_before_window_after_fin(stateful(before))


def test_window_shrink_ignored():
    from conformance.targets.lwip_analyses import window_shrink_ignored
    zero = seg(RCV_NXT, DUT_NXT, ACK)
    zero = zero[:48] + bytes(2) + zero[50:]

    def case_of(first):
        return Context("", "passive-open+calls", "unexpected:tcp:P.", (),
                       earlier=((first, ()),), constants=CONSTANTS,
                       steps=({"frame": first.hex()}, {"call": "send", "data": "61"}))
    assert window_shrink_ignored(case_of(zero))
    assert not window_shrink_ignored(case_of(seg(RCV_NXT, DUT_NXT, ACK)))  # window 512


def test_ack_of_an_unacceptable_segment_taken():
    from conformance.targets.lwip_analyses import ack_of_unacceptable_segment_taken as taken
    two = ({"call": "send", "data": "61"}, {"call": "send", "data": "62"})
    old = frame(seg(RCV_NXT - 1, DUT_NXT + 1, ACK))  # before RCV.NXT, acks the first octet
    text = seg(DUT_NXT + 1, RCV_NXT, ACK | PSH, b"b")  # the octet Nagle held
    assert taken(stateful(*two, old, answers=(text,)))
    assert not taken(stateful(*two, old, answers=(seg(DUT_NXT + 2, RCV_NXT, ACK),)))  # no text
    inside = frame(seg(RCV_NXT, DUT_NXT + 1, ACK))  # acceptable: processed by RFC 9293 too
    assert not taken(stateful(*two, inside, answers=(text,)))
    unsent = frame(seg(RCV_NXT - 1, DUT_NXT + 3, ACK))  # beyond SND.NXT: another analysis
    assert not taken(stateful(*two, unsent, answers=(text,)))


def test_rsts_in_the_syn_received_a_listen_case_opened():
    from conformance.targets.lwip_analyses import (
        rst_at_window_edge_in_syn_received as edge,
    )
    from conformance.targets.lwip_analyses import (
        rst_starting_before_window_in_syn_received as before,
    )
    syn = seg(RCV_NXT, 0, SYN)  # the listener's RCV.NXT is RCV_NXT + 1 after it
    assert edge(case(syn, seg(RCV_NXT + 1 + 65535, DUT_NXT, RST | ACK), state="LISTEN"))
    assert not edge(case(syn, seg(RCV_NXT + 1 + 100, DUT_NXT, RST | ACK), state="LISTEN"))
    assert not edge(case(seg(RCV_NXT + 65535, DUT_NXT, RST | ACK), state="LISTEN"))  # no SYN
    assert before(case(syn, seg(RCV_NXT, DUT_NXT, RST | ACK, b"ab"), state="LISTEN"))
    assert not before(case(syn, seg(RCV_NXT + 1, DUT_NXT, RST | ACK, b"ab"), state="LISTEN"))


def test_window_shrink_ignored_with_the_fin_of_a_shutdown():
    from conformance.targets.lwip_analyses import window_shrink_ignored
    zero = seg(RCV_NXT, DUT_NXT, ACK)
    zero = zero[:48] + bytes(2) + zero[50:]
    for response, taken in (("unexpected:tcp:FP.", True), ("unexpected:tcp:F.", True),
                            ("unexpected:tcp:R.", False)):
        ctx = Context("", "passive-open+calls", response, (), earlier=((zero, ()),),
                      constants=CONSTANTS, steps=({"frame": zero.hex()}, {"call": "shutdown"}))
        assert window_shrink_ignored(ctx) is taken


def test_text_and_fin_after_close_in_fin_wait_2_end_silently():
    """Finding 55808a138259: close, the DUT's FIN acknowledged, then text and a FIN at
    RCV.NXT (its ACK field old): lwIP's TIME_WAIT pcb is freed without a RST."""
    from conformance.targets.lwip_analyses import text_and_fin_after_close_end_silently as silent
    close = {"call": "close"}
    fin_acked = frame(seg(RCV_NXT, DUT_NXT + 1, ACK))
    text_fin = frame(seg(RCV_NXT, DUT_NXT - 200, FIN | ACK, b"lost text"))
    assert silent(stateful(close, fin_acked, text_fin))
    assert silent(stateful(close, frame(seg(RCV_NXT, DUT_NXT + 1, FIN | ACK, b"lost"))))
    assert not silent(stateful(close, text_fin))  # its FIN not acknowledged: CLOSING, a RST
    assert not silent(stateful(fin_acked, text_fin))  # not closed: the text is delivered
    fin_alone = frame(seg(RCV_NXT, DUT_NXT + 1, FIN | ACK))
    assert not silent(stateful(close, fin_acked, fin_alone))  # no text: nothing lost
    late = frame(seg(RCV_NXT + 5, DUT_NXT + 1, FIN | ACK, b"lost"))
    assert not silent(stateful(close, fin_acked, late))  # not at RCV.NXT
    rst = seg(DUT_NXT + 1, RCV_NXT + 10, RST | ACK)
    assert not silent(stateful(close, fin_acked, text_fin, answers=(rst,)))  # it answered
