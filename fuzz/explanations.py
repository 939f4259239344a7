"""Divergences analysed and explained: known differences between the oracle and Linux that are
not target bugs (gaps in the oracle, variance it does not model yet). Data, one entry per
signature; a finding matching one is still saved, and reported as explained, and does not fail
the campaign. Each was analysed from a saved finding (its pcap and decision record); the ones
that are oracle gaps are reported to the reference stack's owner.

Entries: (rule, state, response class) -> explanation; state "*" matches any state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fuzz.seqspace import CANONICAL_DUT_ISN, MOD32
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpOptTimestamps, TcpRepr

if TYPE_CHECKING:
    from fuzz.session import CaseRecord

_OPTIONS_ECHOED = ("Linux copies the datagram's IP options (record route, timestamp) into its "
                   "reply or error (ip_options_echo; RFC 1122 3.2.2.6 SHOULD for echo); the "
                   "oracle predicts a reply without options (oracle gap)")
_OPTION_CHECKS = ("Linux rejects an IPv4 option the oracle accepts (e.g. a timestamp option of "
                  "flag 1/3 whose room is not a multiple of 8, a record route pointer below 4) "
                  "and answers Parameter Problem, or points at another octet (oracle gap in "
                  "RFC 791 option validation)")
_DSACK = ("Linux's duplicate ACK for an old segment carries a D-SACK block (RFC 2883 4); the "
          "oracle's has none (oracle gap)")

KNOWN: tuple[tuple[str, str, str, str], ...] = (
    ("RFC1122-3.2.2-MUST-silently-discard-unknown", "host", "unexpected:icmp:14",
     "Linux answers ICMP Timestamp requests (RFC 792; RFC 1122 3.2.2.8 MAY); the oracle "
     "treats type 13 as unknown (oracle gap)"),
    ("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "field:ipv4", _OPTIONS_ECHOED),
    ("RFC1122-4.1.3.1-SHOULD-port-unreachable", "host", "field:ipv4", _OPTIONS_ECHOED),
    ("RFC1122-3.2.2.5-SHOULD-parameter-problem", "host", "field:icmpv4,field:ipv4",
     _OPTIONS_ECHOED),
    ("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "field:icmpv4", _OPTION_CHECKS),
    ("RFC1122-4.1.3.1-SHOULD-port-unreachable", "host", "field:icmpv4", _OPTION_CHECKS),
    ("RFC1122-3.2.2.5-SHOULD-parameter-problem", "host", "field:icmpv4", _OPTION_CHECKS),
    ("LINUX-ip_rcv_options-accept_source_route", "host", "unexpected:icmp:12",
     "Linux validates every option (ip_options_compile) before applying accept_source_route, "
     "so a malformed option beside a source route earns a Parameter Problem; the oracle drops "
     "on the source route first (oracle ordering gap)"),
    ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt",
     _DSACK),
    ("RFC7323-5.3-MUST-paws", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt", _DSACK),
    ("RFC9293-3.10.7.4-MUST-ack-text-fin", "ESTABLISHED", "field:ipv4,field:tcp,field:tcp.opt",
     _DSACK),
    ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "field:tcp.opt",
     "the D-SACK block of a duplicate FIN segment: Linux's right edge counts the FIN "
     "(end_seq), the oracle's stops at the data (oracle bug, RFC 2883 4 / RFC 9293 3.4)"),
    ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "field:tcp",
     "a SYN with ECE and CWR is an ECN-setup SYN (RFC 3168 6.1.1); Linux (tcp_ecn=2) answers "
     "with ECE in its SYN,ACK, the oracle does not model ECN (oracle gap)"),
)


TCP_OPT_MD5 = 19
TCP_OPT_TIMESTAMPS = 8
IPPROTO_IGMP = 2
_IGMP = ("protocol 2 is IGMP (RFC 1112), which Linux implements (igmp_rcv drops what it "
         "cannot parse); the oracle knows no IGMP and predicts Protocol Unreachable (oracle gap)")
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
    "the SYN carries two Timestamps options: Linux's tcp_parse_options walks every option and "
    "the later one overwrites rcv_tsval, so the SYN,ACK echoes the last TSval; the oracle "
    "echoes the first (RFC 7323 does not say which; TS.Recent: oracle gap, lockstep)")
_SACK_EDGE_FIN = (
    "the SACK block for an out-of-order segment carrying data and FIN: Linux's right edge is "
    "the segment's end_seq, which counts the FIN (tcp_sack_new_ofo_skb(sk, seq, end_seq)); "
    "the oracle's stops at the data (RFC 2018 3: edges of the data received; oracle gap, "
    "lockstep, as the D-SACK FIN edge above)")
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

SYNCHRONIZED = ("ESTABLISHED", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "LAST-ACK",
                "TIME-WAIT")


def explain(signature: tuple[str, str, str], diverging_frame: bytes | None = None,
            canonical: bytes | None = None, answers: list[bytes] | tuple = (),
            answered_before: bool = False) -> str | None:
    """Why a divergence is not a target bug, if it was analysed: by its signature, or by the
    frame that diverged (``diverging_frame`` as sent, ``canonical`` as drawn: in canonical
    space, where the DUT's ISN is known), the target's ``answers`` to it and whether it
    answered an earlier frame of the case (``answered_before``)."""
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
    if response == "missing:icmp:3" and _ip_protocol(diverging_frame) == IPPROTO_IGMP:
        return _IGMP
    if rule == "RFC1122-3.2.2.6-MUST-echo-reply" and response == "field:icmpv4" and any(
            _all_zero_icmp(a) for a in answers):
        return _ZERO_CHECKSUM
    seg = _segment(canonical if canonical is not None else diverging_frame)
    if seg is None:
        return None
    if (rule == "RFC9293-3.10.7.4-MUST-ack-unsent" and response == "missing:tcp:."
            and answered_before and seg.flags & ACK):
        return _UNSENT_ACK_RATE
    return _explain_tcp(rule, state, response, seg, answers)


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


def _ip_protocol(frame: bytes) -> int | None:
    ip = dissect(frame).ipv4
    return ip.protocol if ip is not None else None


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
    return explain(record.signature, record.sent[i], canonical, record.responses[i],
                   any(record.responses[:i]))


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
