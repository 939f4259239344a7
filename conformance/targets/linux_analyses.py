"""Linux's analysed differences that need code to recognise (conformance.judge.store): the
analysis functions the ``[[divergence]]`` entries of ``suites/expectations/linux.toml`` name by
id, each given a :class:`~conformance.judge.store.Context`. Every one was analysed from a saved
finding (its pcap and decision record) and measured on Linux 6.18; the reason, with the kernel
function and the RFC rule, is the entry's text. They apply to the ``linux`` target only.

A canonical frame (``Context.canonical``) is drawn against the canonical connection, whose
numbers the caller gives in ``Context.constants``: ``tester_iss``, ``tester_tsval`` and
``dut_isn`` (the DUT's ISN there).
"""

from __future__ import annotations

from conformance.judge.store import Analysis, Context
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import Ipv4OptLsrr, Ipv4OptSsrr
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpOptSack, TcpOptTimestamps, TcpRepr

MOD32 = 1 << 32
TCP_OPT_MD5 = 19
AUTH_MINLEN = 18  # TCPOLEN_MD5SIG
ECE, CWR = 0x40, 0x80
SYNCHRONIZED = ("ESTABLISHED", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "LAST-ACK",
                "TIME-WAIT")
Earlier = tuple[tuple[bytes, tuple[bytes, ...]], ...]


def _seg(ctx: Context) -> TcpRepr | None:
    """The segment that diverged, canonical where known (where the DUT's ISN is known)."""
    frame = ctx.canonical if ctx.canonical is not None else ctx.sent
    return dissect(frame).tcp if frame is not None else None


def _sent_seg(ctx: Context) -> TcpRepr | None:
    return dissect(ctx.sent).tcp if ctx.sent is not None else None


def _stamps(seg: TcpRepr) -> list[int]:
    return [o.tsval for o in seg.options if isinstance(o, TcpOptTimestamps)]


def _earlier_challenge(ctx: Context) -> bool:
    """An earlier frame of the case drew Linux's challenge ACK (and it armed the limit)."""
    dut_isn = ctx.constants["dut_isn"]
    return any(_draws_challenge(f, dut_isn) and _challenge_ack_only(a) for f, a in ctx.earlier)


# -- the analyses, by id -------------------------------------------------------------------

def md5_unexpected(ctx: Context) -> bool:
    return (ctx.sent is not None and _only_missing(ctx.response, "tcp")
            and _has_md5(ctx.sent))


def auth_hdr(ctx: Context) -> bool:
    return (ctx.sent is not None and _only_missing(ctx.response, "tcp")
            and _auth_parse_fails(ctx.sent))


def reversed_source_route(ctx: Context) -> bool:
    return ctx.sent is not None and _reversed_first_hop(ctx.sent) not in (
        None, _tester_ip(ctx.sent))


def zero_checksum(ctx: Context) -> bool:
    return ctx.sent is not None and any(_all_zero_icmp(a) for a in ctx.answers)


def answered_before(ctx: Context) -> bool:
    return ctx.answered_before


def too_old_ack(ctx: Context) -> bool:
    seg = _seg(ctx)
    return (seg is not None and _before_una(seg.ack, ctx.constants["dut_isn"])
            and _challenge_ack_only(ctx.answers))


def rst_with_syn_fin_or_data(ctx: Context) -> bool:
    seg = _seg(ctx)
    return seg is not None and bool(seg.flags & (SYN | FIN) or seg.payload)


def two_timestamps(ctx: Context) -> bool:
    seg = _seg(ctx)
    return seg is not None and len(_stamps(seg)) > 1


def fin_with_data(ctx: Context) -> bool:
    seg = _seg(ctx)
    return seg is not None and bool(seg.flags & FIN) and bool(seg.payload)


def check_req_ack_first(ctx: Context) -> bool:
    seg = _seg(ctx)
    return (seg is not None and seg.ack != (ctx.constants["dut_isn"] + 1) % MOD32
            and any(_is_bare_rst(a) for a in ctx.answers))


def challenge_ack_only(ctx: Context) -> bool:
    return _seg(ctx) is not None and _challenge_ack_only(ctx.answers)


def too_old_ack_rate_limited(ctx: Context) -> bool:
    seg = _seg(ctx)
    return (seg is not None and _before_una(seg.ack, ctx.constants["dut_isn"])
            and _earlier_challenge(ctx))


def oow_armed_by_challenge(ctx: Context) -> bool:
    seg = _seg(ctx)
    if seg is None:
        return False
    challenge_only = ctx.rule in ("RFC5961-4.2-MUST-syn-challenge-ack",
                                  "RFC5961-5.2-MUST-ack-too-old")
    return ((challenge_only or not (seg.flags & FIN or seg.payload))
            and _earlier_challenge(ctx))


def last_timestamp_paws(ctx: Context) -> bool:
    seg = _seg(ctx)
    if seg is None:
        return False
    stamps, tsval = _stamps(seg), ctx.constants["tester_tsval"]
    return (len(stamps) > 1 and _older(stamps[-1], tsval) != _older(stamps[0], tsval)
            and ("field:tcp" in ctx.response
                 or ctx.response in ("missing:tcp:.", "unexpected:tcp:.")))


def last_timestamp_echoed(ctx: Context) -> bool:
    seg = _seg(ctx)
    if seg is None:
        return False
    stamps = _stamps(seg)
    return (len(stamps) > 1 and stamps[-1] != stamps[0]
            and _echoed(ctx.answers) == [stamps[-1]])


def earlier_frame_dropped(ctx: Context) -> bool:
    return _seg(ctx) is not None and any(
        (_has_md5(f) or _auth_parse_fails(f)) and not a for f, a in ctx.earlier)


def old_pure_ack(ctx: Context) -> bool:
    seg = _seg(ctx)
    return seg is not None and _older(seg.seq, _rcv_nxt(ctx.earlier,
                                                        ctx.constants["tester_iss"]))


def rst_in_last_unit(ctx: Context) -> bool:
    seg = _seg(ctx)
    return (seg is not None and _challenge_ack_only(ctx.answers)
            and _in_last_scale_unit(seg.seq, dissect(ctx.answers[0]).tcp))


def dsack_paws(ctx: Context) -> bool:
    sent = _sent_seg(ctx)
    return (_seg(ctx) is not None and sent is not None and _span(sent)[0] != _span(sent)[1]
            and _sack_blocks(ctx.answers) == [_span(sent)])


def sack_block_is_sent_with_fin(ctx: Context) -> bool:
    sent = _sent_seg(ctx)
    return (_seg(ctx) is not None and sent is not None and "field:tcp.opt" in ctx.response
            and _sack_blocks(ctx.answers) == [_span(sent)])


def challenge_ack_without_sack(ctx: Context) -> bool:
    return (_seg(ctx) is not None and _sent_seg(ctx) is not None
            and _challenge_ack_only(ctx.answers) and not _sack_blocks(ctx.answers))


def data_in_last_unit(ctx: Context) -> bool:
    seg, sent = _seg(ctx), _sent_seg(ctx)
    return (seg is not None and sent is not None and bool(seg.payload)
            and _challenge_ack_only(ctx.answers)
            and _sack_blocks(ctx.answers) == [_span(sent)]
            and _in_last_scale_unit(_span(sent)[1] - 1, dissect(ctx.answers[0]).tcp))


def half_space_dsack(ctx: Context) -> bool:
    sent = _sent_seg(ctx)
    return (_seg(ctx) is not None and sent is not None and _span(sent)[0] != _span(sent)[1]
            and _challenge_ack_only(ctx.answers)
            and (sent.seq - dissect(ctx.answers[0]).tcp.ack) % MOD32 == 1 << 31
            and _sack_blocks(ctx.answers) == [_span(sent)])


def check_req_syn_truncated(ctx: Context) -> bool:
    seg, syn = _seg(ctx), _earlier_syn(ctx.earlier)
    return (seg is not None and _sent_seg(ctx) is not None and syn is not None
            and seg.seq == syn[0].seq and _challenge_ack_only(ctx.answers))


def reqsk_ack_no_dsack(ctx: Context) -> bool:
    return (_seg(ctx) is not None and _sent_seg(ctx) is not None
            and _earlier_syn(ctx.earlier) is not None
            and _challenge_ack_only(ctx.answers) and not _sack_blocks(ctx.answers))


def reqsk_right_edge(ctx: Context) -> bool:
    seg, syn = _seg(ctx), _earlier_syn(ctx.earlier)
    if seg is None or _sent_seg(ctx) is None or syn is None:
        return False
    syn_seg, syn_ack = syn
    return seg.seq == (syn_seg.seq + 1 + syn_ack.window) % MOD32


ANALYSES: dict[str, Analysis] = {
    "tcp_inbound_hash-md5-unexpected": md5_unexpected,
    "tcp_inbound_hash-auth-hdr": auth_hdr,
    "icmp_send-reversed-source-route": reversed_source_route,
    "icmp_push_reply-zero-checksum": zero_checksum,
    "answered-before": answered_before,
    "tcp_ack-too-old-ack": too_old_ack,
    "rst-with-syn-fin-or-data": rst_with_syn_fin_or_data,
    "two-timestamps": two_timestamps,
    "fin-with-data": fin_with_data,
    "tcp_check_req-ack-first": check_req_ack_first,
    "challenge-ack-only": challenge_ack_only,
    "tcp_ack-too-old-ack-rate-limited": too_old_ack_rate_limited,
    "__tcp_oow_rate_limited-armed-by-challenge": oow_armed_by_challenge,
    "tcp_parse_options-last-timestamp-paws": last_timestamp_paws,
    "tcp_parse_options-last-timestamp-echoed": last_timestamp_echoed,
    "tcp_inbound_hash-earlier-frame-dropped": earlier_frame_dropped,
    "tcp_disordered_ack_check-old-pure-ack": old_pure_ack,
    "__tcp_select_window-rst-in-last-unit": rst_in_last_unit,
    "tcp_dsack_set-paws": dsack_paws,
    "sack-block-is-sent-with-fin": sack_block_is_sent_with_fin,
    "challenge-ack-without-sack": challenge_ack_without_sack,
    "__tcp_select_window-data-in-last-unit": data_in_last_unit,
    "before-half-space-dsack": half_space_dsack,
    "tcp_check_req-syn-truncated": check_req_syn_truncated,
    "tcp_v4_reqsk_send_ack-no-dsack": reqsk_ack_no_dsack,
    "tcp_in_window-reqsk-right-edge": reqsk_right_edge,
}


# -- helpers -------------------------------------------------------------------------------

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


def _rcv_nxt(earlier: Earlier, tester_iss: int) -> int:
    """The target's RCV.NXT after the earlier frames: the last ACK it sent (the tester's
    sequence space is not shifted), else the canonical connection's."""
    rcv_nxt = tester_iss + 1
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


def _acks_unsent(canonical: bytes, dut_isn: int) -> bool:
    """An ACK beyond SND.NXT (the DUT's ISN + 1: it sent no data), in canonical space."""
    seg = dissect(canonical).tcp
    return (seg is not None and seg.flags & (ACK | RST | SYN) == ACK
            and 0 < (seg.ack - dut_isn - 1) % MOD32 < 1 << 31)


def _draws_challenge(canonical: bytes, dut_isn: int) -> bool:
    """A segment Linux answers with tcp_send_challenge_ack in ESTABLISHED (when it answers it
    with a lone ACK): an ACK of unsent data (tcp_ack), a SYN (tcp_validate_incoming's
    syn_challenge, RFC 5961 4.2) or a RST not at RCV.NXT (RFC 5961 3.2)."""
    seg = dissect(canonical).tcp
    return seg is not None and (_acks_unsent(canonical, dut_isn) or bool(seg.flags & (SYN | RST)))


def _earlier_syn(earlier: Earlier) -> tuple[TcpRepr, TcpRepr] | None:
    """The case's SYN (canonical) and the target's SYN,ACK to it, if an earlier frame was one."""
    for frame, answers in earlier:
        seg = dissect(frame).tcp
        if seg is not None and seg.flags & (SYN | ACK | RST) == SYN:
            for a in answers:
                if _is_syn_ack(a):
                    return seg, dissect(a).tcp
    return None


def _before_una(ack: int, dut_isn: int) -> bool:
    """SEG.ACK < SND.UNA (= the DUT's ISN + 1: it sent no data), in canonical space."""
    return 0 < (dut_isn + 1 - ack) % MOD32 < 1 << 31


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
