"""Divergences analysed and explained: known differences between the oracle and Linux that are
not target bugs (gaps in the oracle, variance it does not model yet). Data, one entry per
signature; a finding matching one is still saved, and reported as explained, and does not fail
the campaign. Each was analysed from a saved finding (its pcap and decision record); the ones
that are oracle gaps are reported to the reference stack's owner.

Entries: (rule, state, response class) -> explanation; state "*" matches any state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fuzz.scenarios import TESTER_ISS, TESTER_TSVAL
from fuzz.seqspace import CANONICAL_DUT_ISN, MOD32
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import Ipv4OptLsrr, Ipv4OptSsrr
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpOptSack, TcpOptTimestamps, TcpRepr

if TYPE_CHECKING:
    from fuzz.session import CaseRecord

_OPTION_CHECKS = ("Linux rejects an IPv4 option the oracle accepts (e.g. a timestamp option of "
                  "flag 1/3 whose room is not a multiple of 8, a record route pointer below 4) "
                  "and answers Parameter Problem, or points at another octet (oracle gap in "
                  "RFC 791 option validation)")
_DSACK = ("PAWS rejects a segment whose data or FIN lies below RCV.NXT: Linux's "
          "tcp_send_dupack adds a D-SACK block for it, to end_seq (tcp_dsack_set, RFC 2883 4); "
          "the oracle's PAWS ACK (RFC 7323 5.3) has none: it models D-SACK in the data path "
          "only (oracle gap, lockstep)")
_ECN = ("a SYN with ECE and CWR is an ECN-setup SYN (RFC 3168 6.1.1); Linux (tcp_ecn=2) answers "
        "with ECE in its SYN,ACK, the oracle does not model ECN (oracle gap)")

KNOWN: tuple[tuple[str, str, str, str], ...] = (
    ("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "field:icmpv4", _OPTION_CHECKS),
    ("RFC1122-4.1.3.1-SHOULD-port-unreachable", "host", "field:icmpv4", _OPTION_CHECKS),
    ("RFC1122-3.2.2.5-SHOULD-parameter-problem", "host", "field:icmpv4", _OPTION_CHECKS),
    ("LINUX-ip_rcv_options-accept_source_route", "host", "unexpected:icmp:12",
     "Linux validates every option (ip_options_compile) before applying accept_source_route, "
     "so a malformed option beside a source route earns a Parameter Problem; the oracle drops "
     "on the source route first (oracle ordering gap)"),
)


TCP_OPT_MD5 = 19
TCP_OPT_TIMESTAMPS = 8
_MD5 = ("the segment carries a TCP MD5 signature option (kind 19, RFC 2385) and the socket has "
        "no key: Linux drops it (tcp_inbound_hash, drop reason TCP_MD5UNEXPECTED), the oracle "
        "ignores the unknown option (oracle gap)")

# TCP semantics the oracle does not model yet, each measured on Linux 6.18 and traced to the
# kernel function; all are for the lockstep work on reference_stack/tcp (not changed here).
_NO_ACK_FLAG = (
    "a segment with none of ACK, RST, SYN in a synchronized state: Linux discards it in "
    "tcp_rcv_established before tcp_validate_incoming (`if (!th->ack && !th->rst && "
    "!th->syn)`, drop reason TCP_FLAGS), so neither the sequence check's ACK (RFC 9293 "
    "3.10.7.4 first) nor PAWS's (RFC 7323 5.3) is sent; RFC 9293 checks the sequence first "
    "and drops an ACK-less segment only at the fifth step (oracle gap, lockstep)")
_FIN_ACK_DELAYED = (
    "the ACK of an in-order FIN is delayed: tcp_fin moves ESTABLISHED to CLOSE-WAIT and calls "
    "inet_csk_enter_pingpong_mode, so __tcp_ack_snd_check sends a delayed ACK (40 ms minimum "
    "timer), after the barrier; RFC 9293 3.10.7.4 (eighth) with RFC 1122 4.2.3.2 allows the "
    "delay, the oracle predicts the ACK without delay latitude (oracle gap, lockstep; measured: "
    "[F.] at RCV.NXT with or without timestamps, no ACK before the barrier)")
_TOO_OLD_ACK = (
    "SEG.ACK below SND.UNA on a connection whose DUT has sent no data: Linux's tcp_ack bounds "
    "MAX.SND.WND by the bytes ever acknowledged (`max_window = min(tp->max_window, "
    "tp->bytes_acked)`, 'do not accept ACK of bytes we never sent'), so any ACK below SND.UNA "
    "is outside RFC 5961 5.2's acceptable range: the segment is discarded (drop reason "
    "TCP_TOO_OLD_ACK, its data and FIN not taken, TS.Recent not updated) and a challenge ACK "
    "sent; the oracle treats it as a duplicate ACK (RFC 9293 3.10.7.4: may be ignored) and "
    "processes the segment (oracle gap, lockstep)")
_CHALLENGE_RATE = (
    "a second challenge ACK on the same connection within 500 ms: Linux's "
    "tcp_send_challenge_ack is rate limited per socket (__tcp_oow_rate_limited, "
    "net.ipv4.tcp_invalid_ratelimit = 500 ms, RFC 5961 7 SHOULD) and the earlier frame of the "
    "case already drew one; the oracle sends every challenge ACK (oracle gap, lockstep)")
_OOW_DATA_EXEMPT = (
    "Linux exempts out-of-window segments carrying data or FIN from the out-of-window ACK rate "
    "limit and does not arm it with them (tcp_oow_rate_limited: `seq != end_seq && !syn` -> "
    "not limited, last_oow_ack_time untouched), so the next out-of-window segment is answered; "
    "the oracle armed its RFC 5961 7 limit with the earlier data/FIN dupack (oracle gap, "
    "lockstep)")
_RST_ENDING_AT_RCV_NXT = (
    "a RST whose SYN, FIN or data makes it end exactly at RCV.NXT: Linux's tcp_sequence accepts "
    "a segment when !before(end_seq, rcv_wup) (end_seq counts SYN and FIN), so the RST is in "
    "the window but not at RCV.NXT and draws a challenge ACK (RFC 5961 3.2); RFC 9293 3.3's "
    "acceptability test rejects a segment whose last octet is RCV.NXT - 1, and the oracle "
    "drops the RST silently (RFC 5961 3.2 out of window) (acceptability of old segments: "
    "oracle gap, lockstep)")
_LAST_TIMESTAMP_WINS = (
    "the SYN (or segment) carries two Timestamps options: Linux's tcp_parse_options walks "
    "every option and the later one overwrites rcv_tsval, so its answer echoes the last "
    "TSval; the oracle echoes the first (RFC 7323 does not say which; TS.Recent: oracle gap, "
    "lockstep)")
_SACK_EDGE_FIN = (
    "the SACK block for an out-of-order segment carrying data and FIN: Linux's right edge is "
    "the segment's end_seq, which counts the FIN (tcp_sack_new_ofo_skb(sk, seq, end_seq)); "
    "the oracle's stops at the data (RFC 2018 3: edges of the data received; oracle gap, "
    "lockstep)")
_CHECK_REQ_ACK_FIRST = (
    "a segment with ACK to a request socket (SYN-RECEIVED after the case's SYN) whose "
    "acknowledgment is not ISN + 1: Linux's tcp_check_req checks the ACK before the sequence "
    "window (`if ((flg & TCP_FLAG_ACK) && !paws_reject && ack_seq != snt_isn + 1) return sk;` "
    "-> tcp_v4_send_reset, <SEQ=SEG.ACK><CTL=RST>, RFC 9293 3.10.7.4 SYN-RECEIVED fifth); "
    "the oracle applies the sequence/PAWS check first and answers with an ACK (tcp_check_req: "
    "oracle gap, lockstep)")
_CHECK_REQ_SYN_RTX = (
    "a SYN with the sequence number of the SYN that made the request socket: Linux's "
    "tcp_check_req takes it for a retransmitted SYN (`seq == rcv_isn && flg == TCP_FLAG_SYN`, "
    "whatever data it carries) and retransmits its SYN,ACK (inet_rtx_syn_ack); the oracle "
    "resets (tcp_check_req: oracle gap, lockstep)")
_CHECK_REQ_RST_CHALLENGE = (
    "a RST to a request socket (SYN-RECEIVED after the case's SYN) in the window but not at "
    "RCV.NXT: Linux answers with a challenge ACK (RFC 5961 3.2, which applies in SYN-RECEIVED "
    "too) and keeps the request; only a RST at RCV.NXT resets it (measured: R, SR and SRPUW "
    "877 octets into the window draw [.], at RCV.NXT nothing); the oracle resets the "
    "embryonic connection silently (tcp_check_req: oracle gap, lockstep)")
_CHECK_REQ_RST_RIGHT_EDGE = (
    "a zero-length RST to a request socket at exactly RCV.NXT + RCV.WND: Linux's "
    "tcp_in_window accepts it (`return seq == e_win && seq == end_seq;`), and a RST not at "
    "RCV.NXT draws a challenge ACK (RFC 5961 3.2); RFC 9293 3.3 accepts a zero-length segment "
    "only below RCV.NXT + RCV.WND, so the oracle drops it as out of the window "
    "(tcp_check_req: oracle gap, lockstep)")
_UNSENT_ACK_RATE = (
    "SEG.ACK > SND.NXT after an earlier frame of the case drew a challenge ACK: Linux answers "
    "an ACK of unsent data with a challenge ACK (tcp_ack -> tcp_send_challenge_ack, measured: "
    "answered when it comes alone), rate limited per socket (__tcp_oow_rate_limited, 500 ms, "
    "RFC 5961 7), so it stays silent here; the oracle sends RFC 9293 3.10.7.4's ACK (oracle "
    "gap, lockstep)")
_ZERO_CHECKSUM = (
    "the reply's ICMP message is all zeros and Linux sends checksum 0x0000, the other "
    "ones'-complement zero (RFC 1624 3: -0 and +0 both encode zero; csum_fold of the summed "
    "reply in icmp_push_reply); verifying sums to 0x0000 instead of 0xFFFF, which the oracle's "
    "strict check (reference_stack/variance.py) rejects; measured with an unfragmented echo of "
    "16 zero octets (oracle check gap)")

_AUTH_HDR = (
    "an option area of 18 octets or more whose framing is broken (a length below 2 or past "
    "the header): Linux's tcp_inbound_hash parses it for MD5/AO signatures "
    "(tcp_do_parse_auth_options: `if (length < TCPOLEN_MD5SIG) return 0;` then `opsize < 2 "
    "|| opsize > length` -> -EINVAL) and drops the segment before any state processing (drop "
    "reason TCP_AUTH_HDR): no SYN,ACK, ACK or RST; shorter broken option areas are ignored "
    "(measured: 12 octets answered, 20 and 24 not). RFC 9293 3.1 MUST-7 only asks to survive "
    "an illegal option length (suggesting a reset); the oracle ignores the broken tail "
    "(oracle gap, lockstep)")
AUTH_MINLEN = 18  # TCPOLEN_MD5SIG
ECE, CWR = 0x40, 0x80

_OOW_AFTER_UNSENT_ACK = (
    "an earlier frame of the case acknowledged unsent data, was a SYN or a RST not at RCV.NXT "
    "and drew Linux's challenge ACK (tcp_ack, syn_challenge or the RST check -> "
    "tcp_send_challenge_ack), which arms the "
    "per-socket out-of-window limit "
    "(__tcp_oow_rate_limited(&tp->last_oow_ack_time), net.ipv4.tcp_invalid_ratelimit 500 ms, "
    "RFC 5961 7 SHOULD); this zero-length out-of-window or PAWS-rejected segment "
    "(tcp_validate_incoming -> tcp_oow_rate_limited -> no tcp_send_dupack) or SYN "
    "(syn_challenge -> tcp_send_challenge_ack) within 500 ms is not answered; the oracle's "
    "RFC 9293 3.10.7.4 ACK for unsent data (or its SYN challenge ACK) does not arm its limit "
    "(oracle gap, lockstep); "
    "an ACK below SND.UNA is answered by tcp_send_challenge_ack too (RFC 5961 5.2), limited "
    "alike")
_LAST_TIMESTAMP_PAWS = (
    "the segment carries two Timestamps options, one passing PAWS against TS.Recent and one "
    "failing it: Linux's tcp_parse_options keeps the last, the oracle the first (RFC 7323 "
    "does not say which), so one stack's tcp_paws_discard / RFC 7323 5.3 rejects the segment "
    "with a duplicate ACK and the other processes it (TS.Recent: oracle gap, lockstep)")
_SYN_CHALLENGE_NO_DSACK = (
    "a SYN below RCV.NXT in a synchronized state: Linux's tcp_validate_incoming sends it the "
    "SYN challenge ACK (`if (th->syn) goto syn_challenge;` -> tcp_send_challenge_ack, RFC 5961 "
    "4.2), which carries no D-SACK; the oracle's ACK for the unacceptable segment (RFC 9293 "
    "3.10.7.4 first) adds the D-SACK block of an old segment (RFC 2883 4) (oracle gap, "
    "lockstep)")
_REQSK_ACK_NO_DSACK = (
    "an old segment to a request socket (SYN-RECEIVED after the case's SYN): Linux's "
    "tcp_check_req answers it with req->rsk_ops->send_ack (tcp_v4_reqsk_send_ack: timestamps "
    "only, a request socket keeps no SACK state), so no D-SACK block; the oracle's ACK in "
    "SYN-RECEIVED (RFC 9293 3.10.7.4 first) adds one (RFC 2883 4) (oracle gap, lockstep)")
_AFTER_DROPPED = (
    "an earlier frame of the case carried a TCP MD5 signature option (kind 19, RFC 2385) on a "
    "socket without a key, or an option area of 18 octets or more with broken framing: Linux "
    "dropped it in tcp_inbound_hash (drop reasons TCP_MD5UNEXPECTED, TCP_AUTH_HDR) without an "
    "answer while the oracle processed it (a RST closing the connection, data advancing "
    "RCV.NXT); the stacks' states parted there, silently, and this frame's divergence "
    "follows (oracle gap, as the MD5 and auth-header entries)")
_REVERSED_SOURCE_ROUTE = (
    "the datagram carries a source route with a recorded hop: Linux's icmp_send echoes the "
    "options (__ip_options_echo reverses the route, RFC 1122 3.2.1.8 / RFC 1812 5.2.4.1), so "
    "its Parameter Problem goes to the reversed route's first hop, not the source; the DUT "
    "namespace has no route to that hop (icmp_route_lookup fails) and nothing is sent; the "
    "oracle answers the source directly (oracle gap in ICMP option echo; measured: with a "
    "route to that hop added in the DUT namespace the Parameter Problem appears, addressed to "
    "it with the reversed LSRR)")
_HALF_SPACE = (
    "the segment lies exactly 2^31 from RCV.NXT, where serial-number comparison is undefined "
    "(RFC 1982 3.2): Linux's before() ((s32)(seq - rcv_nxt) < 0 for INT_MIN) takes it as old "
    "sequence space and tcp_send_dupack adds a D-SACK block (RFC 2883 4); the oracle's seq_lt "
    "does not, and its ACK has none (oracle gap, lockstep)")
_CHECK_REQ_SYN_TRUNCATED = (
    "a SYN with a valid ACK at the request socket's rcv_isn: Linux's tcp_check_req truncates "
    "the SYN (`if (TCP_SKB_CB(skb)->seq == tcp_rsk(req)->rcv_isn) flg &= ~TCP_FLAG_SYN;`, "
    "'out of window starting at rcv_isn + 1'), completes the handshake, and the child answers "
    "the SYN bit with a challenge ACK (tcp_validate_incoming syn_challenge, RFC 5961 4.2); the "
    "oracle resets the embryonic connection (tcp_check_req: oracle gap, lockstep)")
_TOO_OLD_ACK_LIMITED = (
    "SEG.ACK below SND.UNA on a connection whose DUT has sent no data, after an earlier frame "
    "of the case drew a challenge ACK: Linux's tcp_ack discards the segment as too old "
    "(max_window bounded by bytes_acked = 0, drop reason TCP_TOO_OLD_ACK, its data not taken) "
    "and its tcp_send_challenge_ack is suppressed by the per-socket limit the earlier one "
    "armed (__tcp_oow_rate_limited, 500 ms, RFC 5961 7); the oracle takes the segment as a "
    "duplicate ACK (RFC 9293 3.10.7.4) and answers its data (oracle gap, lockstep)")
_WINDOW_ROUNDED_UP_DATA = (
    "a segment in the last window-scale unit of the window the target advertised: Linux's "
    "__tcp_select_window rounds a scaled window up (`window = ALIGN(window, 1 << "
    "rcv_wscale)`), so the segment lies inside its RCV.WND and is queued (out of order: a SACK "
    "block, RFC 2018); the oracle's RCV.WND is smaller (RFC 7323 2.3 allows both), it finds "
    "the segment unacceptable (RFC 9293 3.10.7.4 first) and sends a bare ACK (window variance "
    "judged with the oracle's own RCV.WND: oracle gap)")
_PAWS_OLD_ACK = (
    "a pure ACK below RCV.NXT whose TSval fails PAWS: Linux's tcp_validate_incoming asks "
    "tcp_disordered_ack_check, which returns TCP_RFC7323_PAWS_ACK for a zero-length ACK "
    "before rcv_nxt, and discards it without a dupack ('Old ACK are common, increment "
    "PAWS_OLD_ACK and do not send a dupack', LINUX_MIB_PAWS_OLD_ACK, Linux 6.14+); RFC 7323 "
    "5.3 R1 answers with an ACK, as the oracle does (oracle gap, lockstep)")
_WINDOW_ROUNDED_UP = (
    "a RST in the last window-scale unit of the window the target advertised, or at its right "
    "edge: Linux's __tcp_select_window rounds a scaled window up to a multiple of "
    "1 << rcv_wscale (`window = ALIGN(window, (1 << tp->rx_opt.rcv_wscale))`), so its RCV.WND "
    "reaches past the oracle's (rounded down; RFC 7323 2.3 allows both), and tcp_sequence "
    "accepts a zero-length segment up to and at RCV.NXT + RCV.WND (`!after(seq, rcv_nxt + "
    "tcp_receive_window(tp))`, RFC 9293 3.3 stops below it); the RST, in the window but not at "
    "RCV.NXT, draws a challenge ACK (RFC 5961 3.2); the oracle drops it as out of the window "
    "(window variance judged with the oracle's own RCV.WND: oracle gap)")
_REQSK_ACK_RIGHT_EDGE = (
    "a zero-length ACK to a request socket at exactly RCV.NXT + RCV.WND acknowledging its "
    "SYN,ACK: Linux's tcp_in_window accepts it (`return seq == e_win && seq == end_seq;`), "
    "tcp_check_req completes the handshake and the child takes the pure ACK silently; RFC 9293 "
    "3.3 accepts a zero-length segment only below RCV.NXT + RCV.WND, so the oracle drops it and "
    "answers with an ACK (tcp_check_req: oracle gap, lockstep, as the RST at the right edge)")

SYNCHRONIZED = ("ESTABLISHED", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "LAST-ACK",
                "TIME-WAIT")


def explain(signature: tuple[str, str, str], diverging_frame: bytes | None = None,
            canonical: bytes | None = None, answers: list[bytes] | tuple = (),
            answered_before: bool = False,
            earlier: tuple[tuple[bytes, list[bytes]], ...] = ()) -> str | None:
    """Why a divergence is not a target bug, if it was analysed: by its signature, or by the
    frame that diverged (``diverging_frame`` as sent, ``canonical`` as drawn: in canonical
    space, where the DUT's ISN is known), the target's ``answers`` to it, whether it
    answered an earlier frame of the case (``answered_before``) and ``earlier``: the case's
    frames before it (canonical) with the target's answers to each."""
    rule, state, response = signature
    for known_rule, known_state, known_response, why in KNOWN:
        if known_rule == rule and known_state in ("*", state) and known_response == response:
            return why
    if diverging_frame is None:
        return None
    if _only_missing(response, "tcp") and _has_md5(diverging_frame):
        return _MD5
    if _only_missing(response, "tcp") and _auth_parse_fails(diverging_frame):
        return _AUTH_HDR
    if (rule == "RFC1122-3.2.2.5-SHOULD-parameter-problem" and response == "missing:icmp:12"
            and _reversed_first_hop(diverging_frame) not in (None, _tester_ip(diverging_frame))):
        return _REVERSED_SOURCE_ROUTE
    if rule == "RFC1122-3.2.2.6-MUST-echo-reply" and response == "field:icmpv4" and any(
            _all_zero_icmp(a) for a in answers):
        return _ZERO_CHECKSUM
    seg = _segment(canonical if canonical is not None else diverging_frame)
    if seg is None:
        return None
    if (rule == "RFC9293-3.10.7.4-MUST-ack-unsent" and response == "missing:tcp:."
            and answered_before and seg.flags & ACK):
        return _UNSENT_ACK_RATE
    why = _explain_tcp(rule, state, response, seg, answers)
    if why is None:
        why = _explain_in_context(rule, state, response, seg, diverging_frame, answers, earlier)
    return why


def _explain_in_context(rule: str, state: str, response: str, seg: TcpRepr, sent: bytes,
                        answers: list[bytes] | tuple,
                        earlier: tuple[tuple[bytes, list[bytes]], ...]) -> str | None:
    """Divergences recognised by the frame as sent (target space) or by the case's earlier
    frames."""
    flags = seg.flags
    if (rule == "RFC9293-3.10.7.2-MUST-listen-syn" and response.startswith("field:tcp")
            and flags & (SYN | ACK | RST) == SYN and flags & (ECE | CWR) == ECE | CWR
            and any(_is_syn_ack(a) and _flags(a) & ECE for a in answers)):
        if response == "field:tcp":
            return _ECN
        if (response == "field:tcp,field:tcp.opt"
                and sum(isinstance(o, TcpOptTimestamps) for o in seg.options) > 1):
            return _ECN + "; and " + _LAST_TIMESTAMP_WINS
    if (response == "missing:tcp:." and state in SYNCHRONIZED
            and flags & (ACK | RST | SYN) == ACK and _before_una(seg.ack)
            and any(_draws_challenge(f) and _challenge_ack_only(a) for f, a in earlier)):
        return _TOO_OLD_ACK_LIMITED
    challenge_only = rule in ("RFC5961-4.2-MUST-syn-challenge-ack",
                              "RFC5961-5.2-MUST-ack-too-old")
    if (rule in ("RFC9293-3.10.7.4-MUST-first-check", "RFC7323-5.3-MUST-paws",
                 "RFC5961-4.2-MUST-syn-challenge-ack", "RFC5961-5.2-MUST-ack-too-old")
            and response == "missing:tcp:." and state in SYNCHRONIZED and not flags & RST
            and (challenge_only or not (flags & FIN or seg.payload))
            and any(_draws_challenge(f) and _challenge_ack_only(a) for f, a in earlier)):
        return _OOW_AFTER_UNSENT_ACK
    stamps = [o.tsval for o in seg.options if isinstance(o, TcpOptTimestamps)]
    if (state in SYNCHRONIZED and len(stamps) > 1
            and _older(stamps[-1], TESTER_TSVAL) != _older(stamps[0], TESTER_TSVAL)
            and ("field:tcp" in response
                 or response in ("missing:tcp:.", "unexpected:tcp:."))):
        return _LAST_TIMESTAMP_PAWS
    if (state in SYNCHRONIZED and len(stamps) > 1 and stamps[-1] != stamps[0]
            and response == "field:tcp.opt" and _echoed(answers) == [stamps[-1]]):
        return _LAST_TIMESTAMP_WINS
    if any((_has_md5(f) or _auth_parse_fails(f)) and not a for f, a in earlier):
        return _AFTER_DROPPED
    if (rule == "RFC7323-5.3-MUST-paws" and response == "missing:tcp:." and state in SYNCHRONIZED
            and flags & (SYN | RST | FIN | ACK) == ACK and not seg.payload
            and _older(seg.seq, _rcv_nxt(earlier))):
        return _PAWS_OLD_ACK
    if (rule == "RFC5961-3.2-MUST-rst-out-of-window" and response == "unexpected:tcp:."
            and state in SYNCHRONIZED and flags & (RST | SYN) == RST and not seg.payload
            and not flags & FIN and _challenge_ack_only(answers)
            and _in_last_scale_unit(seg.seq, dissect(answers[0]).tcp)):
        return _WINDOW_ROUNDED_UP
    sent_seg = dissect(sent).tcp
    if sent_seg is None:
        return None
    if (rule == "RFC7323-5.3-MUST-paws" and response == "field:ipv4,field:tcp,field:tcp.opt"
            and _span(sent_seg)[0] != _span(sent_seg)[1]
            and _sack_blocks(answers) == [_span(sent_seg)]):
        return _DSACK
    if (rule == "RFC9293-3.10.7.4-MUST-ack-text-fin" and "field:tcp.opt" in response
            and flags & FIN and _sack_blocks(answers) == [_span(sent_seg)]):
        return _SACK_EDGE_FIN
    if (rule == "RFC9293-3.10.7.4-MUST-first-check" and state in SYNCHRONIZED
            and response == "field:ipv4,field:tcp,field:tcp.opt" and flags & (SYN | RST) == SYN
            and _challenge_ack_only(answers) and not _sack_blocks(answers)):
        return _SYN_CHALLENGE_NO_DSACK
    if (rule == "RFC9293-3.10.7.4-MUST-first-check" and state in SYNCHRONIZED
            and not flags & (SYN | RST) and seg.payload and _challenge_ack_only(answers)
            and _sack_blocks(answers) == [_span(sent_seg)]
            and _in_last_scale_unit(_span(sent_seg)[1] - 1, dissect(answers[0]).tcp)):
        return _WINDOW_ROUNDED_UP_DATA
    if (rule == "RFC9293-3.10.7.4-MUST-first-check" and state in SYNCHRONIZED
            and _span(sent_seg)[0] != _span(sent_seg)[1] and _challenge_ack_only(answers)
            and (sent_seg.seq - dissect(answers[0]).tcp.ack) % MOD32 == 1 << 31
            and _sack_blocks(answers) == [_span(sent_seg)]):
        return _HALF_SPACE
    syn = _earlier_syn(earlier)
    if syn is None or state != "LISTEN":
        return None
    syn_seg, syn_ack = syn
    if (rule == "LINUX-tcp_check_req-syn-reset" and flags & (SYN | ACK | RST) == SYN | ACK
            and seg.seq == syn_seg.seq and _challenge_ack_only(answers)):
        return _CHECK_REQ_SYN_TRUNCATED
    if rule != "RFC9293-3.10.7.4-MUST-first-check":
        return None
    if (response == "field:ipv4,field:tcp,field:tcp.opt" and not flags & (SYN | RST)
            and _challenge_ack_only(answers) and not _sack_blocks(answers)):
        return _REQSK_ACK_NO_DSACK
    right_edge = (syn_seg.seq + 1 + syn_ack.window) % MOD32
    if (response == "missing:tcp:." and flags & (SYN | RST | FIN | ACK) == ACK
            and not seg.payload and seg.seq == right_edge):
        return _REQSK_ACK_RIGHT_EDGE
    return None


def _reversed_first_hop(frame: bytes) -> bytes | None:
    """The hop Linux's __ip_options_echo sends a reply to for the datagram's first source
    route option (the recorded address just before its pointer), or None."""
    ip = dissect(frame).ipv4
    if ip is None:
        return None
    for o in ip.options:
        if isinstance(o, (Ipv4OptLsrr, Ipv4OptSsrr)) and o.addresses:
            optlen = 3 + 4 * len(o.addresses)
            offset = (o.pointer if o.pointer <= optlen else optlen + 1) - 4
            return o.addresses[(offset - 4) // 4] if offset > 3 else None
    return None


def _tester_ip(frame: bytes) -> bytes | None:
    ip = dissect(frame).ipv4
    return ip.src if ip is not None else None


def _echoed(answers: list[bytes] | tuple) -> list[int]:
    """The TSecr values of the target's answers."""
    return [o.tsecr for a in answers if (t := dissect(a).tcp) is not None
            for o in t.options if isinstance(o, TcpOptTimestamps)]


def _older(tsval: int, than: int) -> bool:
    """RFC 7323 5.3: ``tsval`` is before ``than`` in 32-bit serial arithmetic."""
    return (tsval - than) % MOD32 >= 1 << 31


def _in_last_scale_unit(seq: int, ack_seg: TcpRepr) -> bool:
    """``seq`` lies in [RCV.NXT + (w - 1) << s, RCV.NXT + w << s] for the window field w of
    the target's ACK and some scale s (RFC 7323 2.2: at most 14): the unit rounding and the
    right edge itself decide."""
    off = (seq - ack_seg.ack) % MOD32
    w = ack_seg.window
    return w > 0 and any((w - 1) << s <= off <= w << s for s in range(15))


def _rcv_nxt(earlier: tuple[tuple[bytes, list[bytes]], ...]) -> int:
    """The target's RCV.NXT after the earlier frames: the last ACK it sent (the tester's
    sequence space is not shifted), else the canonical connection's."""
    rcv_nxt = TESTER_ISS + 1
    for _, answers in earlier:
        for a in answers:
            seg = dissect(a).tcp
            if seg is not None and seg.flags & ACK:
                rcv_nxt = seg.ack
    return rcv_nxt


def _flags(frame: bytes) -> int:
    seg = dissect(frame).tcp
    return seg.flags if seg is not None else 0


def _span(seg: TcpRepr) -> tuple[int, int]:
    """[SEG.SEQ, SEG.SEQ + SEG.LEN) with SEG.LEN counting SYN and FIN (Linux's end_seq)."""
    length = len(seg.payload) + bool(seg.flags & SYN) + bool(seg.flags & FIN)
    return seg.seq, (seg.seq + length) % MOD32


def _sack_blocks(answers: list[bytes] | tuple) -> list[tuple[int, int]]:
    return [tuple(b) for a in answers if (t := dissect(a).tcp) is not None
            for o in t.options if isinstance(o, TcpOptSack) for b in o.blocks]


def _acks_unsent(canonical: bytes) -> bool:
    """An ACK beyond SND.NXT (the DUT's ISN + 1: it sent no data), in canonical space."""
    seg = dissect(canonical).tcp
    return (seg is not None and seg.flags & (ACK | RST | SYN) == ACK
            and 0 < (seg.ack - CANONICAL_DUT_ISN - 1) % MOD32 < 1 << 31)


def _draws_challenge(canonical: bytes) -> bool:
    """A segment Linux answers with tcp_send_challenge_ack in ESTABLISHED (when it answers it
    with a lone ACK): an ACK of unsent data (tcp_ack), a SYN (tcp_validate_incoming's
    syn_challenge, RFC 5961 4.2) or a RST not at RCV.NXT (RFC 5961 3.2)."""
    seg = dissect(canonical).tcp
    return seg is not None and (_acks_unsent(canonical) or bool(seg.flags & (SYN | RST)))


def _earlier_syn(earlier: tuple[tuple[bytes, list[bytes]], ...]):
    """The case's SYN (canonical) and the target's SYN,ACK to it, if an earlier frame was one."""
    for frame, answers in earlier:
        seg = dissect(frame).tcp
        if seg is not None and seg.flags & (SYN | ACK | RST) == SYN:
            for a in answers:
                if _is_syn_ack(a):
                    return seg, dissect(a).tcp
    return None


def _explain_tcp(rule: str, state: str, response: str, seg: TcpRepr,
                 answers: list[bytes] | tuple) -> str | None:
    flags = seg.flags
    if (state in SYNCHRONIZED and response == "missing:tcp:."
            and not flags & (ACK | RST | SYN)):
        return _NO_ACK_FLAG
    if (rule == "RFC9293-3.10.7.4-MUST-ack-text-fin" and response == "missing:tcp:."
            and flags & FIN and flags & ACK):
        return _FIN_ACK_DELAYED
    if (state in SYNCHRONIZED and flags & ACK and not flags & (RST | SYN)
            and _before_una(seg.ack) and _challenge_ack_only(answers)):
        return _TOO_OLD_ACK
    if (rule == "RFC5961-3.2-MUST-rst-challenge-ack" and response == "missing:tcp:."
            and flags & RST):
        return _CHALLENGE_RATE
    if rule == "RFC5961-7-SHOULD-ack-rate-limit" and response == "unexpected:tcp:.":
        return _OOW_DATA_EXEMPT
    if (rule == "RFC5961-3.2-MUST-rst-out-of-window" and response == "unexpected:tcp:."
            and flags & RST and (flags & (SYN | FIN) or seg.payload)):
        return _RST_ENDING_AT_RCV_NXT
    if (rule == "RFC9293-3.10.7.2-MUST-listen-syn" and response == "field:tcp.opt"
            and sum(isinstance(o, TcpOptTimestamps) for o in seg.options) > 1):
        return _LAST_TIMESTAMP_WINS
    if (response == "field:tcp.opt" and flags & FIN and seg.payload
            and rule == "RFC9293-3.10.7.4-MUST-ack-text-fin"):
        return _SACK_EDGE_FIN
    if (state == "LISTEN" and flags & ACK and seg.ack != (CANONICAL_DUT_ISN + 1) % MOD32
            and any(_is_bare_rst(a) for a in answers)):
        return _CHECK_REQ_ACK_FIRST
    if (rule == "RFC5961-3.2-MUST-rst-out-of-window" and state == "LISTEN"
            and response == "unexpected:tcp:." and flags & RST and not seg.payload
            and not flags & (SYN | FIN) and _challenge_ack_only(answers)):
        return _CHECK_REQ_RST_RIGHT_EDGE
    if (rule == "LINUX-tcp_check_req-embryonic-reset" and response == "unexpected:tcp:."
            and flags & RST and _challenge_ack_only(answers)):
        return _CHECK_REQ_RST_CHALLENGE
    if (rule == "LINUX-tcp_check_req-syn-reset" and flags & (SYN | ACK | RST) == SYN
            and any(_is_syn_ack(a) for a in answers)):
        return _CHECK_REQ_SYN_RTX
    return None


def _segment(frame: bytes) -> TcpRepr | None:
    return dissect(frame).tcp


def _before_una(ack: int) -> bool:
    """SEG.ACK < SND.UNA (= the DUT's ISN + 1: it sent no data), in canonical space."""
    return 0 < (CANONICAL_DUT_ISN + 1 - ack) % MOD32 < 1 << 31


def _challenge_ack_only(answers: list[bytes] | tuple) -> bool:
    segs = [dissect(a).tcp for a in answers]
    return len(segs) == 1 and segs[0] is not None and segs[0].flags == ACK


def _is_bare_rst(frame: bytes) -> bool:
    seg = dissect(frame).tcp
    return seg is not None and seg.flags & (RST | ACK) == RST


def _is_syn_ack(frame: bytes) -> bool:
    seg = dissect(frame).tcp
    return seg is not None and seg.flags & (SYN | ACK) == SYN | ACK


def _all_zero_icmp(frame: bytes) -> bool:
    d = dissect(frame)
    icmp, ip = d.icmpv4, d.ipv4
    if icmp is None or ip is None:
        return False
    message = frame[14 + ip.ihl * 4:14 + ip.total_length]
    return not any(message)


def _only_missing(response: str, layer: str) -> bool:
    return all(part.startswith(f"missing:{layer}") for part in response.split(","))


def _has_md5(frame: bytes) -> bool:
    seg = dissect(frame).tcp
    return seg is not None and any(getattr(o, "kind", None) == TCP_OPT_MD5 for o in seg.options)


def explain_record(record: CaseRecord) -> str | None:
    """:func:`explain` for a case: its signature, the frame that diverged (as sent and as
    drawn) and the target's answers to it."""
    i = record.diverging_frame
    if i is None:
        return explain(record.signature)
    canonical = record.canonical[i] if i < len(record.canonical) else None
    earlier = tuple(zip(record.canonical[:i], record.responses[:i], strict=False))
    return explain(record.signature, record.sent[i], canonical, record.responses[i],
                   any(record.responses[:i]), earlier)


def _auth_parse_fails(frame: bytes) -> bool:
    """Linux's tcp_do_parse_auth_options on the segment's option area fails (see _AUTH_HDR)."""
    if frame[12:14] != b"\x08\x00" or len(frame) < 34 or frame[23] != 6:
        return False
    off = 14 + (frame[14] & 0x0F) * 4
    if len(frame) < off + 20:
        return False
    area = frame[off + 20:off + (frame[off + 12] >> 4) * 4]
    if len(area) < AUTH_MINLEN:
        return False
    i = 0
    while i < len(area):
        kind = area[i]
        if kind == 0:
            return False
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(area):
            return True
        size = area[i + 1]
        if size < 2 or size > len(area) - i:
            return True
        i += size
    return False
