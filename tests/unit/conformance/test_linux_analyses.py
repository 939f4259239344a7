"""Linux's analysed differences (suites/expectations/linux.toml, with the analyses of
conformance/targets/linux_analyses.py) are recognised by signature or by the frame that
diverged, and nothing else is explained; no other target's store explains them."""

from __future__ import annotations

from conformance.judge import store
from conformance.judge.store import Context
from fuzz.frames import FrameFactory
from fuzz.session import CANONICAL_CONSTANTS
from fuzz.strategies import LinkAddresses
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.tcp import (
    ACK,
    FIN,
    PSH,
    RST,
    SYN,
    TcpOptMalformed,
    TcpOptSack,
    TcpOptTimestamps,
    TcpOptUnknown,
)

LINUX_STORE = store.load("linux", None, "conformance.targets.linux_analyses")


def explain(signature, diverging_frame=None, canonical=None, answers=(), answered_before=False,
            earlier=(), analysed=LINUX_STORE):
    """The store's reason for a finding of this signature, diverging on ``diverging_frame``
    (as sent; ``canonical``: as drawn) with the target's ``answers``, after ``earlier``
    frames (canonical, each with its answers)."""
    rule, state, response = signature
    ctx = Context(rule, state, response, (), diverging_frame, canonical, tuple(answers),
                  answered_before, tuple((f, tuple(a)) for f, a in earlier),
                  CANONICAL_CONSTANTS)
    return analysed.explain_case(ctx)


def test_a_linux_analysis_never_explains_another_targets_finding():
    signature = ("LINUX-ip_rcv_options-accept_source_route", "host", "unexpected:icmp:12")
    assert explain(signature)
    for target in ("pytcp", "reference"):
        assert explain(signature, analysed=store.load(target)) is None


ADDRS = LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                "198.18.0.2", "198.18.0.1")


def test_known_signature_is_explained():
    assert explain(("LINUX-ip_rcv_options-accept_source_route", "host", "unexpected:icmp:12"))


def test_unknown_signature_is_not_explained():
    assert explain(("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "missing:tcp:.")) is None


def test_md5_option_explains_a_missing_answer_only():
    syn = FrameFactory(ADDRS).tcp(40000, 80, SYN, 1, options=(TcpOptUnknown(19, bytes(16)),))
    plain = FrameFactory(ADDRS).tcp(40000, 80, SYN, 1)
    signature = ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "missing:tcp:S.")
    assert explain(signature, syn)
    assert explain(signature, plain) is None
    assert explain(("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "field:tcp.opt"), syn) is None


def tcp(flags, seq=0x01000001, ack=0x80000001, options=()):
    return FrameFactory(ADDRS).tcp(40000, 80, flags, seq, ack, options)


def test_an_ack_less_segment_is_explained_only_without_ack_rst_syn():
    signature = ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "missing:tcp:.")
    assert explain(signature, tcp(FIN | PSH))
    assert explain(signature, tcp(FIN | ACK)) is None


def test_an_ack_below_snd_una_is_explained_by_the_challenge_ack_it_drew():
    signature = ("RFC9293-3.10.7-MUST-demux", "ESTABLISHED", "unexpected:tcp:.")
    old = tcp(ACK, ack=0x80000000)  # the DUT's ISN: SND.UNA - 1 (canonical space)
    challenge = FrameFactory(ADDRS).tcp(80, 40000, ACK, 0x80000001, 0x01000001)
    assert explain(signature, old, old, [challenge])
    assert explain(signature, tcp(ACK), tcp(ACK), [challenge]) is None  # ACK = SND.UNA
    assert explain(signature, old, old, []) is None  # no challenge ACK seen


def test_duplicate_timestamps_explain_the_echoed_tsval_only_when_there_are_two():
    signature = ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "field:tcp.opt")
    one = (TcpOptTimestamps(1, 0),)
    assert explain(signature, tcp(SYN, options=one + one))
    assert explain(signature, tcp(SYN, options=one)) is None


def test_a_broken_option_area_explains_silence_only_from_18_octets_on():
    signature = ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "missing:tcp:S.")
    long_broken = tcp(SYN, options=(TcpOptMalformed(bytes.fromhex("051a") + bytes(22)),))
    short_broken = tcp(SYN, options=(TcpOptMalformed(bytes.fromhex("051a") + bytes(10)),))
    assert explain(signature, long_broken)
    assert explain(signature, short_broken) is None


# -- analysed after the oracle's D-SACK / RCV.WUP / TS.Recent changes (lockstep) ------------

DUT_ISS = 0x80000000  # canonical DUT ISN (fuzz.seqspace.CANONICAL_DUT_ISN)


def seg(flags, seq=0x01000001, ack=DUT_ISS + 1, options=(), payload=b"", sport=40000,
        dport=80, src=ADDRS, window=64240):
    from reference_stack.wire.frame import build_frame
    from reference_stack.wire.ipv4 import IPPROTO_TCP
    from reference_stack.wire.tcp import TcpRepr
    ip = Ipv4Repr(src=src.tester_ip, dst=src.dut_ip, protocol=IPPROTO_TCP, df=True)
    return build_frame(src.tester_mac, src.dut_mac, ip,
                       TcpRepr(sport, dport, seq, ack, flags, window, payload, options))


def answer(flags, seq=DUT_ISS + 1, ack=0x01000001, options=()):
    return seg(flags, seq, ack, options, sport=80, dport=40000)


def test_the_dsack_signatures_alone_no_longer_explain():
    """The oracle sends D-SACK for duplicate data now (tests/unit/refstack/
    test_follow_target.py::test_dsack_for_duplicate_data_linux_only): a divergence with these
    signatures is no longer "Linux has a D-SACK block, the oracle none" by itself."""
    for rule in ("RFC9293-3.10.7.4-MUST-first-check", "RFC7323-5.3-MUST-paws",
                 "RFC9293-3.10.7.4-MUST-ack-text-fin"):
        assert explain((rule, "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt")) is None


def test_paws_dsack_needs_the_block_of_the_segment():
    signature = ("RFC7323-5.3-MUST-paws", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt")
    old = seg(ACK, seq=0x01000000, payload=b"x", options=(TcpOptTimestamps(1, 0),))
    with_dsack = answer(ACK, options=(TcpOptSack(((0x01000000, 0x01000001),)),))
    assert explain(signature, old, old, [with_dsack])
    assert explain(signature, old, old, [answer(ACK)]) is None


def test_an_ack_of_unsent_data_arms_the_out_of_window_limit():
    signature = ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "missing:tcp:.")
    unsent = seg(ACK, ack=DUT_ISS + 2, payload=b"x")
    old = seg(ACK, seq=0x01000000, ack=DUT_ISS)
    assert explain(signature, old, old, [], True, ((unsent, [answer(ACK)]),))
    assert explain(signature, old, old, [], True, ((seg(ACK, payload=b"x"), [answer(ACK)]),)) \
        is None  # the earlier ACK acknowledged nothing unsent: no challenge ACK
    assert explain(signature, old, old, [], False, ((unsent, []),)) is None


def test_an_old_pure_ack_failing_paws_is_not_answered():
    signature = ("RFC7323-5.3-MUST-paws", "ESTABLISHED", "missing:tcp:.")
    ts = (TcpOptTimestamps(1, 0),)
    old_ack = seg(ACK, seq=0x01000001, options=ts)
    acked = ((seg(ACK, payload=b"x"), [answer(ACK, ack=0x01000002)]),)
    assert explain(signature, old_ack, old_ack, [], True, acked)  # below RCV.NXT 0x01000002
    assert explain(signature, old_ack, old_ack, [], False, ()) is None  # at RCV.NXT
    with_data = seg(ACK, seq=0x01000001, options=ts, payload=b"y")
    assert explain(signature, with_data, with_data, [], True, acked) is None


def test_two_timestamps_disagreeing_on_paws():
    signature = ("RFC9293-3.10.7.4-MUST-ack-text-fin", "ESTABLISHED", "field:tcp,field:tcp.opt")
    fin = seg(FIN | ACK, options=(TcpOptTimestamps(2000, 0), TcpOptTimestamps(0, 0)))
    same = seg(FIN | ACK, options=(TcpOptTimestamps(2000, 0), TcpOptTimestamps(3000, 0)))
    assert explain(signature, fin, fin, [answer(ACK)])
    assert explain(signature, same, same, [answer(ACK)]) is None


def test_ecn_setup_syn_by_the_frame_in_any_start_state():
    syn_ack_ece = answer(SYN | ACK | 0x40)
    ecn_syn = seg(SYN | 0xC0)
    for state in ("LISTEN", "ESTABLISHED"):
        signature = ("RFC9293-3.10.7.2-MUST-listen-syn", state, "field:tcp")
        assert explain(signature, ecn_syn, ecn_syn, [syn_ack_ece])
        assert explain(signature, seg(SYN), seg(SYN), [syn_ack_ece]) is None
        assert explain(signature, ecn_syn, ecn_syn, [answer(SYN | ACK)]) is None


def test_request_socket_answers():
    syn = seg(SYN, seq=0x01000000)
    syn_ack = answer(SYN | ACK, seq=DUT_ISS, ack=0x01000001)  # window 64240
    earlier = ((syn, [syn_ack]),)
    missing = ("RFC9293-3.10.7.4-MUST-first-check", "LISTEN", "missing:tcp:.")
    edge = seg(ACK, seq=0x01000001 + 64240)
    assert explain(missing, edge, edge, [], True, earlier)
    inside = seg(ACK, seq=0x01000001 + 64239)
    assert explain(missing, inside, inside, [], True, earlier) is None
    fields = ("RFC9293-3.10.7.4-MUST-first-check", "LISTEN", "field:ipv4,field:tcp,field:tcp.opt")
    old_fin = seg(FIN | ACK, seq=0x01000000)
    assert explain(fields, old_fin, old_fin, [answer(ACK)], True, earlier)
    assert explain(fields, old_fin, old_fin, [answer(ACK)], False, ()) is None


def test_sack_edge_of_a_fin_only_segment():
    signature = ("RFC9293-3.10.7.4-MUST-ack-text-fin", "LISTEN",
                 "field:ipv4,field:tcp,field:tcp.opt")
    fin = seg(FIN | ACK, seq=0x01010000)
    assert explain(signature, fin, fin, [answer(ACK, options=(TcpOptSack(((0x01010000,
                                                                          0x01010001),)),))])
    assert explain(signature, fin, fin, [answer(ACK)]) is None


def test_syn_challenge_ack_carries_no_dsack():
    signature = ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED",
                 "field:ipv4,field:tcp,field:tcp.opt")
    old_syn = seg(SYN | ACK | 0x20, seq=0x00FE0000, payload=b"x")
    assert explain(signature, old_syn, old_syn, [answer(ACK)])
    old_ack = seg(ACK, seq=0x00FE0000, payload=b"x")
    assert explain(signature, old_ack, old_ack, [answer(ACK)]) is None


def test_rst_in_the_last_scale_unit_of_the_advertised_window():
    signature = ("RFC5961-3.2-MUST-rst-out-of-window", "ESTABLISHED", "unexpected:tcp:.")
    challenge = seg(ACK, DUT_ISS + 1, 0x01000002, sport=80, dport=40000, window=64)
    last_unit = seg(RST | ACK, seq=0x01000002 + 65533)
    assert explain(signature, last_unit, last_unit, [challenge])
    far = seg(RST | ACK, seq=0x01000002 + 70000)
    assert explain(signature, far, far, [challenge]) is None


def test_duplicate_fin_dsack_edge_is_no_longer_an_oracle_gap():
    """The entry "the D-SACK block of a duplicate FIN segment: Linux's right edge counts the
    FIN, the oracle's stops at the data" is obsolete: the linux oracle's D-SACK for a
    duplicate data+FIN segment now ends past the FIN, as Linux's end_seq does."""
    from reference_stack.profiles import LINUX
    from reference_stack.tcp.state import State
    from tests.unit.refstack.conn import bring_to
    from tests.unit.refstack.harness import syn_options

    c = bring_to(State.LISTEN, LINUX)
    c.note(c.advance(SYN, options=syn_options(ts=None)))
    c.note(c.seg(ACK))
    c.note(c.advance(FIN | ACK, payload=b"abc"))  # data and FIN taken: RCV.NXT past the FIN
    (reply,) = c.note(c.seg(FIN | ACK, seq=c.snd_nxt - 4, payload=b"abc"))
    assert reply.sack_blocks[:1] == ((c.snd_nxt - 4, c.snd_nxt),)
    assert explain(("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "field:tcp.opt")) is None


def test_parameter_problem_lost_to_the_reversed_source_route():
    signature = ("RFC1122-3.2.2.5-SHOULD-parameter-problem", "host", "missing:icmp:12")
    # LSRR (pointer 69, past its one address 218.16.176.226), then a broken option
    routed = bytes.fromhex("024e43000001024e430000020800480000252f30000040fd09d5c6120002c612"
                           "0001830745da10b0e20b836872a97075768cb7")
    assert explain(signature, routed)
    fresh = bytes.fromhex("024e43000001024e430000020800480000252f30000040fd09d5c6120002c612"
                          "0001830704da10b0e20b836872a97075768cb7")  # pointer 4: no hop yet
    assert explain(signature, fresh) is None


def test_a_divergence_after_a_frame_linux_dropped_for_its_options():
    signature = ("RFC9293-3.10.7.4-MUST-rst-reset", "ESTABLISHED", "unexpected:tcp:.")
    rst = seg(RST | ACK, seq=0x01000002)
    md5 = seg(ACK, payload=b"x", options=(TcpOptUnknown(19, bytes(16)),))
    broken = seg(ACK, payload=b"x", options=(TcpOptMalformed(b"\x02" + bytes(19)),))
    plain = seg(ACK, payload=b"x")
    assert explain(signature, rst, rst, [answer(ACK)], False, ((md5, []),))
    assert explain(signature, rst, rst, [answer(ACK)], False, ((broken, []),))
    assert explain(signature, rst, rst, [answer(ACK)], False, ((plain, []),)) is None
    assert explain(signature, rst, rst, [answer(ACK)], True, ((md5, [answer(ACK)]),)) is None


def test_a_syn_challenge_ack_limits_the_next_one():
    signature = ("RFC5961-5.2-MUST-ack-too-old", "ESTABLISHED", "missing:tcp:.")
    too_old = seg(ACK, ack=DUT_ISS - 5, payload=b"x")
    syn = seg(SYN | 0x40)
    assert explain(signature, too_old, too_old, [], True, ((syn, [answer(ACK)]),))
    assert explain(signature, too_old, too_old, [], False, ((syn, []),)) is None


def test_two_timestamps_when_linux_answers_and_the_oracle_does_not():
    signature = ("RFC9293-3.10.7-MUST-demux", "ESTABLISHED", "unexpected:tcp:.")
    pure = seg(ACK, options=(TcpOptTimestamps(65536, 0), TcpOptTimestamps(0, 0)))
    assert explain(signature, pure, pure, [answer(ACK)])
    one = seg(ACK, options=(TcpOptTimestamps(0, 0),))
    assert explain(signature, one, one, [answer(ACK)]) is None


def test_paws_dsack_of_an_old_fin():
    signature = ("RFC7323-5.3-MUST-paws", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt")
    old_fin = seg(FIN | ACK, seq=0x01000000, options=(TcpOptTimestamps(1, 0),))
    with_dsack = answer(ACK, options=(TcpOptSack(((0x01000000, 0x01000001),)),))
    assert explain(signature, old_fin, old_fin, [with_dsack])
    pure = seg(ACK, seq=0x01000000, options=(TcpOptTimestamps(1, 0),))
    assert explain(signature, pure, pure, [with_dsack]) is None


def test_a_segment_half_the_sequence_space_away():
    signature = ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED",
                 "field:ipv4,field:tcp,field:tcp.opt")
    half = seg(ACK, seq=0x01000001 + (1 << 31), payload=b"x")
    dsack = answer(ACK, options=(TcpOptSack(((0x81000001, 0x81000002),)),))
    assert explain(signature, half, half, [dsack])
    near = seg(ACK, seq=0x01000001 + (1 << 30), payload=b"x")
    assert explain(signature, near, near, [answer(ACK, options=(TcpOptSack(
        ((0x41000001, 0x41000002),)),))]) is None


def test_a_syn_ack_at_the_request_sockets_isn_is_truncated():
    signature = ("LINUX-tcp_check_req-syn-reset", "LISTEN", "field:tcp")
    syn = seg(SYN, seq=0x01000001)
    syn_ack = answer(SYN | ACK, seq=DUT_ISS, ack=0x01000002)
    again = seg(SYN | ACK, seq=0x01000001, payload=b"x")
    challenge = answer(ACK, ack=0x01000002)
    assert explain(signature, again, again, [challenge], True, ((syn, [syn_ack]),))
    later = seg(SYN | ACK, seq=0x01000005)
    assert explain(signature, later, later, [challenge], True, ((syn, [syn_ack]),)) is None


def test_rst_at_the_right_edge_of_the_advertised_window():
    signature = ("RFC5961-3.2-MUST-rst-out-of-window", "ESTABLISHED", "unexpected:tcp:.")
    challenge = seg(ACK, DUT_ISS + 1, 0x01000003, sport=80, dport=40000, window=64)
    at_edge = seg(RST | ACK, seq=0x01000003 + 65536)
    assert explain(signature, at_edge, at_edge, [challenge])
    past = seg(RST | ACK, seq=0x01000003 + 65537)
    assert explain(signature, past, past, [challenge]) is None


def test_a_too_old_ack_after_a_challenge_ack_is_silent():
    signature = ("LINUX-tcp_data_queue-duplicate", "ESTABLISHED", "missing:tcp:.")
    unsent = seg(ACK, ack=DUT_ISS + 2)
    too_old = seg(ACK, seq=0x01000000, ack=DUT_ISS, payload=b"x")
    assert explain(signature, too_old, too_old, [], True, ((unsent, [answer(ACK)]),))
    at_una = seg(ACK, seq=0x01000000, payload=b"x")
    assert explain(signature, at_una, at_una, [], True, ((unsent, [answer(ACK)]),)) is None


def test_data_in_the_last_scale_unit_is_queued_by_linux():
    signature = ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED",
                 "field:ipv4,field:tcp,field:tcp.opt")
    sack = (TcpOptSack(((0x01000001 + 65534, 0x01000001 + 65535),)),)
    ack = seg(ACK, DUT_ISS + 1, 0x01000001, sport=80, dport=40000, window=64, options=sack)
    late = seg(ACK, seq=0x01000001 + 65534, payload=b"x")
    assert explain(signature, late, late, [ack])
    sack_far = (TcpOptSack(((0x01000001 + 60000, 0x01000001 + 60001),)),)
    far_ack = seg(ACK, DUT_ISS + 1, 0x01000001, sport=80, dport=40000, window=64,
                  options=sack_far)
    early = seg(ACK, seq=0x01000001 + 60000, payload=b"x")
    assert explain(signature, early, early, [far_ack]) is None


def test_host_entries_the_linux_oracle_models_now_are_gone():
    """The linux profile answers ICMP Timestamp (icmp_timestamp_reply), echoes the datagram's
    options into its errors (icmp_error_echo_options) and is an IGMP host (igmp_host): the
    entries explaining those three gaps are obsolete, checked here against the oracle."""
    from reference_stack.wire.frame import dissect as parse
    from reference_stack.wire.icmpv4 import Icmpv4Repr
    from reference_stack.wire.ipv4 import Ipv4OptRecordRoute
    from tests.unit.refstack.harness import RawPeer, make_stack

    stack = make_stack()
    peer = RawPeer(stack)
    timestamp = peer.ip_frame(1, Icmpv4Repr(13, 0, 0, bytes(12)).emit())
    (reply,) = stack.receive(timestamp, 0.0).frames
    assert parse(reply).icmpv4.type == 14
    rr = (Ipv4OptRecordRoute(4, (bytes(4),)),)
    unknown = peer.ip_frame(253, b"x" * 8, options=rr)
    (error,) = stack.receive(unknown, 0.1).frames
    assert parse(error).icmpv4.type == 3 and parse(error).ipv4.options
    igmp = peer.ip_frame(2, bytes(8))
    assert not any(parse(f).icmpv4 is not None for f in stack.receive(igmp, 0.2).frames)
    assert explain(("RFC1122-3.2.2-MUST-silently-discard-unknown", "host",
                    "unexpected:icmp:14")) is None
    assert explain(("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "field:ipv4")) is None
    assert explain(("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "missing:icmp:3"),
                   igmp) is None
