"""Analyses of the lwip target's store (suites/expectations/lwip.toml ``analysis = ...``):
matches of fuzz findings that need sequence arithmetic (conformance.judge.store.Context).

Source locations are lwIP's STABLE-2_1_3_RELEASE tree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from conformance.judge.store import Context
from reference_stack.variance import flatten
from reference_stack.wire.frame import dissect

FIN, SYN = 0x01, 0x02
HALF_SPACE = 1 << 31


def _segment_length(fields: Mapping[str, object]) -> int:
    """SEG.LEN (RFC 9293 3.4): the text and a SYN and a FIN each count one."""
    flags = int(fields["tcp.flags"])  # type: ignore[call-overload]
    return len(fields.get("tcp.payload", b"")) + bool(flags & SYN) + bool(flags & FIN)  # type: ignore[arg-type]


def insane_offset(ctx: Context) -> bool:
    """A segment of SEG.LEN 1 (one octet, or a FIN alone) at RCV.NXT + 2**31 on the
    canonical connection: src/core/tcp_in.c tcp_receive's trim test
    TCP_SEQ_BETWEEN(rcv_nxt, seqno + 1, seqno + tcplen - 1) compares in signed 32-bit
    arithmetic, so with tcplen 1 it holds for rcv_nxt - seqno = 2**31, and
    LWIP_ASSERT("insane offset!", off32 < 0xffff) aborts the process."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    frames = [ctx.canonical] + [frame for frame, _ in ctx.earlier]
    for frame in frames:
        if frame is None:
            continue
        fields = flatten(dissect(frame))
        if "tcp.seq" not in fields or "tcp.flags" not in fields:
            continue
        if (int(fields["tcp.seq"]) - rcv_nxt) % (1 << 32) == HALF_SPACE and \
                _segment_length(fields) == 1:
            return True
    return False



# -- segments of the canonical connection (fuzz.scenarios: the tester's RCV.NXT is
# TESTER_ISS + 1 and the DUT's SND.NXT its ISN + 1, nothing sent yet) ---------------------
ACK, RST = 0x10, 0x04
MOD32 = 1 << 32
# RFC 5961 5.2's MAX.SND.WND on the canonical connection: the tester's window (65535) with
# the shift its SYN offered (7).
MAX_SND_WND = 0xFFFF << 7
# The active opening (fuzz.stateful): the tester's SYN,ACK offers 64240, a SYN's window is
# never scaled (RFC 7323 2.2), so MAX.SND.WND starts there.
ACTIVE_OPEN = "active-open+calls"
ACTIVE_SYN_ACK_WINDOW = 64240
# lwIP's receive window before any text arrived (lwipopts.h TCP_WND 0xFFFF); with shift 1 it
# advertises 32767 << 1 = 65534, the window the oracle holds it to.
LWIP_TCP_WND = 0xFFFF


def _segments(ctx: Context, current_only: bool = False) -> list[Mapping[str, object]]:
    """The case's TCP segments as drawn (its earlier frames, then the one that diverged)."""
    frames = [ctx.canonical] if current_only else [f for f, _ in ctx.earlier] + [ctx.canonical]
    out = []
    for frame in frames:
        if frame is None:
            continue
        fields = flatten(dissect(frame))
        if "tcp.seq" in fields and "tcp.flags" in fields:
            out.append(fields)
    return out


def _flags(fields: Mapping[str, object]) -> int:
    return int(fields["tcp.flags"])  # type: ignore[call-overload]


def _offset(value: object, base: int) -> int:
    return (int(value) - base) % MOD32  # type: ignore[call-overload]


def _carries_text_or_fin(fields: Mapping[str, object], rcv_nxt: int) -> bool:
    """Text or a FIN that reaches into lwIP's receive window (RCV.NXT .. + TCP_WND): what
    tcp_receive takes in order or queues out of order."""
    length = len(fields.get("tcp.payload", b"")) + bool(_flags(fields) & FIN)  # type: ignore[arg-type]
    start = _offset(fields["tcp.seq"], rcv_nxt)
    return length > 0 and (start < LWIP_TCP_WND or start + length > MOD32)


def _ack_unacceptable(fields: Mapping[str, object], snd_nxt: int,
                      max_snd_wnd: int = MAX_SND_WND) -> bool:
    """RFC 5961 5.2: SEG.ACK outside SND.UNA - MAX.SND.WND .. SND.NXT (SND.UNA = SND.NXT)."""
    ahead = _offset(fields["tcp.ack"], snd_nxt)
    return ahead != 0 and ahead < MOD32 - max_snd_wnd


def text_without_ack_bit(ctx: Context) -> bool:
    """A segment of the case without ACK (nor SYN or RST) carried text or a FIN: tcp_process
    hands it to tcp_receive in the synchronized states, which takes its text and FIN
    (queued out of order, ACKed) where RFC 9293 3.10.7.4's fifth check drops it."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    return any(not _flags(f) & (ACK | SYN | RST) and _carries_text_or_fin(f, rcv_nxt)
               for f in _segments(ctx))


def unacceptable_ack(ctx: Context) -> bool:
    """The segment that diverged, or an earlier one of the case with text or FIN in the
    window (a socket call that diverged: any of the case's), has ACK (no SYN or RST) and a
    SEG.ACK outside RFC 5961 5.2's range: tcp_receive takes an ACK at or below SND.UNA in
    serial arithmetic (half the space behind it) as a duplicate ACK, answers one ahead with
    tcp_send_empty_ack, and in both cases goes on to the segment's text and FIN."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    segments = _segments(ctx)
    last = len(segments) - 1 if ctx.canonical is not None else -1
    snd_nxts = _snd_nxt_bounds(ctx, len(segments))
    max_wnd = ACTIVE_SYN_ACK_WINDOW if ctx.state == ACTIVE_OPEN else MAX_SND_WND
    for i, f in enumerate(segments):
        if not _flags(f) & ACK or _flags(f) & (SYN | RST):
            continue
        if not _ack_unacceptable(f, snd_nxts[i], max_wnd):
            base = ctx.constants["dut_isn"] + 1
            if _offset(f["tcp.ack"], base) <= _offset(snd_nxts[i], base):
                # SND.UNA =< SEG.ACK =< SND.NXT: the window (and MAX.SND.WND) is updated
                max_wnd = max(max_wnd, int(f.get("tcp.window", 0)) << 7)  # type: ignore[call-overload]
            continue
        if i == last or _carries_text_or_fin(f, rcv_nxt):
            return True
    return False


def _snd_nxt_bounds(ctx: Context, count: int) -> list[int]:
    """The DUT's SND.NXT at most, at each of the case's first ``count`` segments: its ISN + 1
    plus the octets of the stateful case's send calls before the segment (and a FIN for a
    close or shutdown)."""
    base = ctx.constants["dut_isn"] + 1
    if not ctx.steps:
        return [base] * count
    out, sent = [], 0
    for step in ctx.steps:
        if "frame" in step:
            out.append((base + sent) % MOD32)
        elif step.get("call") == "send":
            sent += len(step.get("data", "")) // 2
        elif step.get("call") in ("close", "shutdown"):
            sent += 1
    return (out + [(base + sent) % MOD32] * count)[:count]


def two_acks_for_an_ack_of_unsent(ctx: Context) -> bool:
    """The segment that diverged acknowledges unsent data and drew two identical ACKs: one
    from tcp_receive's ACK processing ("Out of sequence ACK": tcp_send_empty_ack), one from
    its sequence check or out-of-order queueing, where RFC 9293 3.10.7.4 sends one."""
    snd_nxt = ctx.constants["dut_isn"] + 1
    unsent = any(_flags(f) & ACK and 0 < _offset(f["tcp.ack"], snd_nxt) < HALF_SPACE
                 for f in _segments(ctx, current_only=True))
    return unsent and len(ctx.answers) == 2 and _same_segment(*ctx.answers)


def _same_segment(a: bytes, b: bytes) -> bool:
    fa, fb = flatten(dissect(a)), flatten(dissect(b))
    keys = ("tcp.seq", "tcp.ack", "tcp.flags", "tcp.payload")
    return all(k in fa and fa.get(k) == fb.get(k) for k in keys)


def rst_at_window_edge(ctx: Context) -> bool:
    """A RST at RCV.NXT + 65534 or + 65535: tcp_process tests
    TCP_SEQ_BETWEEN(seqno, rcv_nxt, rcv_nxt + rcv_wnd) with rcv_wnd = TCP_WND 0xFFFF, the
    right edge included and beyond the 65534 it advertises (32767 << 1), and answers with a
    challenge ACK where RFC 5961 3.2 drops an out-of-window RST."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    return any(_flags(f) & RST and _offset(f["tcp.seq"], rcv_nxt) in (LWIP_TCP_WND - 1,
                                                                         LWIP_TCP_WND)
               for f in _segments(ctx, current_only=True))


def rst_starting_before_window(ctx: Context) -> bool:
    """A RST whose SEG.SEQ lies before RCV.NXT while its last octet (SYN and FIN counted) is
    at or after it: tcp_process tests SEG.SEQ alone and drops it silently where RFC 9293
    3.10.7.4's acceptability test takes the segment and RFC 5961 3.2 challenges it."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    for f in _segments(ctx, current_only=True):
        if not _flags(f) & RST:
            continue
        before = _offset(rcv_nxt, int(f["tcp.seq"]))  # type: ignore[call-overload]
        if 0 < before < HALF_SPACE and _segment_length(f) > before:
            return True
    return False


def syn_fin_to_listener(ctx: Context) -> bool:
    """The case opened with a SYN carrying a FIN (no ACK, no RST) to the listener:
    tcp_listen_input sets the new pcb's rcv_nxt to SEG.SEQ + 1 and never processes the FIN,
    where RFC 9293 3.10.7.2 processes the control and text riding on a SYN in SYN-RECEIVED;
    everything after it on the connection is one sequence number apart from the oracle."""
    segments = _segments(ctx)
    return bool(segments) and (_flags(segments[0]) & (SYN | FIN | ACK | RST)) == SYN | FIN


def syn_in_syn_received(ctx: Context) -> bool:
    """The case opened the connection with a SYN (no ACK, no RST) and the segment that
    diverged carries SYN again, in SYN-RECEIVED: tcp_process's case SYN_RCVD acts on the
    ACK field first (an unacceptable one draws <SEQ=SEG.ACK><CTL=RST>, an acceptable one
    completes the handshake) and retransmits its SYN,ACK only for a copy of the first SYN;
    RFC 9293 3.10.7.4 (fourth check) returns a passive open's SYN-RECEIVED to LISTEN on a
    SYN, silently."""
    segments = _segments(ctx)
    return (len(segments) >= 2 and (_flags(segments[0]) & (SYN | ACK | RST)) == SYN
            and bool(_flags(segments[-1]) & SYN) and not _flags(segments[-1]) & RST)


def udp_length_below_payload(ctx: Context) -> bool:
    """A UDP datagram whose Length field is below the IP payload: udp_input ignores the field
    and checksums p->tot_len octets, so a checksum right for the Length octets fails there
    (the datagram is dropped, no Port Unreachable)."""
    if ctx.sent is None:
        return False
    fields = flatten(dissect(ctx.sent))
    if "udp.length" not in fields or "ipv4.total_length" not in fields:
        return False
    payload = int(fields["ipv4.total_length"]) - 4 * int(fields["ipv4.ihl"])  # type: ignore[call-overload]
    return 8 <= int(fields["udp.length"]) < payload  # type: ignore[call-overload]


# -- lwIP stateful findings (lwst) --------------------------------------------------------

def syn_in_reopened_syn_received(ctx: Context) -> bool:
    """A segment of the stateful case opened a new connection with a SYN (no ACK, no RST) on
    the listener after the first was reset, and the segment that diverged carries SYN (no
    RST) in that SYN-RECEIVED: tcp_process's case SYN_RCVD acts on its ACK field (an
    unacceptable one draws <SEQ=SEG.ACK><CTL=RST>), as syn_in_syn_received."""
    segments = _segments(ctx)
    return (len(segments) >= 2 and ctx.canonical is not None
            and any((_flags(f) & (SYN | ACK | RST)) == SYN for f in segments[:-1])
            and bool(_flags(segments[-1]) & SYN) and not _flags(segments[-1]) & RST)


def syn_ignored_in_reopened_syn_received(ctx: Context) -> bool:
    """A bare SYN of the case opened a new connection on the listener, and a later SYN (no
    ACK nor RST) that is not a copy of it came in that SYN-RECEIVED, before the segment that
    diverged: tcp_process's case SYN_RCVD ignores a SYN without ACK unless it repeats the
    first (seqno == rcv_nxt - 1), so lwIP's embryo stays where RFC 9293 3.10.7.4 returned it
    to LISTEN, and later segments meet it instead of the listener."""
    segments = _segments(ctx)
    if ctx.canonical is None or len(segments) < 3:
        return False
    bare = [i for i, f in enumerate(segments[:-1]) if (_flags(f) & (SYN | ACK | RST)) == SYN]
    return any(segments[i]["tcp.seq"] != segments[bare[0]]["tcp.seq"] for i in bare[1:])


def _reopened(ctx: Context) -> bool:
    """An earlier bare SYN of the case drew lwIP's SYN,ACK: a new connection from the
    listener, in SYN_RCVD, when the segment that diverged came."""
    for frame, answers in ctx.earlier:
        fields = flatten(dissect(frame))
        if "tcp.flags" in fields and (_flags(fields) & (SYN | ACK | RST)) == SYN and any(
                (_flags(a) & (SYN | ACK)) == SYN | ACK for a in map(flatten, map(dissect, answers))
                if "tcp.flags" in a):
            return True
    return False


def ack_first_in_reopened_syn_received(ctx: Context) -> bool:
    """In a re-opened SYN_RCVD a segment with ACK (no RST) drew lwIP's RST: tcp_process's case
    SYN_RCVD checks the ACK before the sequence number (an unacceptable one: tcp_rst(pcb,
    ackno, seqno + tcplen)), where RFC 9293 3.10.7.4's first check answers an unacceptable
    segment with an ACK."""
    segment = _segments(ctx, current_only=True)
    return (bool(segment) and _flags(segment[0]) & (ACK | RST) == ACK and _reopened(ctx)
            and any(_flags(a) & RST for a in map(flatten, map(dissect, ctx.answers))
                    if "tcp.flags" in a))


def no_ack_ignored_in_reopened_syn_received(ctx: Context) -> bool:
    """In a re-opened SYN_RCVD a segment without ACK (nor RST) drew nothing: tcp_process's
    case SYN_RCVD acts on ACK, or on a copy of the SYN, only (no sequence check, no ACK)."""
    segment = _segments(ctx, current_only=True)
    return (bool(segment) and not _flags(segment[0]) & (ACK | RST) and not ctx.answers
            and _reopened(ctx))


def ack_held_behind_nagle(ctx: Context) -> bool:
    """When the segment that diverged (and drew nothing) arrived, data of the stateful case's
    send() calls was on lwIP's unsent queue behind unacknowledged data: Nagle (RFC 1122
    4.2.3.4) holds it, and tcp_output, asked for an ACK (TF_ACK_NOW: a SYN's challenge, an
    unacceptable segment, text or a FIN taken), breaks out of its send loop on the Nagle test
    without sending the empty ACK it sends when nothing is queued. A call's data goes at once
    when nothing is in flight; an earlier segment of the case acknowledging all that is in
    flight releases what is held (tcp_receive, then tcp_output); a close or shutdown sends it
    with the FIN (no Nagle test: tcp_close_shutdown_fin)."""
    if ctx.canonical is None or ctx.answers:
        return False
    base = ctx.constants["dut_isn"] + 1
    acked = wire = held = 0  # octets past the DUT's ISN + 1: acknowledged, sent, held
    for step in ctx.steps:
        if "frame" in step:
            frame = bytes.fromhex(step["frame"])
            if frame == ctx.canonical:
                break
            fields = flatten(dissect(frame))
            if "tcp.flags" not in fields or _flags(fields) & (ACK | RST) != ACK:
                continue
            ack = _offset(fields["tcp.ack"], base)
            if acked < ack <= wire:
                acked = ack
                if acked == wire:
                    wire, held = wire + held, 0
        elif step.get("call") == "send" and step.get("data"):
            octets = len(step["data"]) // 2
            if acked == wire and not held:
                wire += octets
            else:
                held += octets
        elif step.get("call") in ("close", "shutdown"):
            wire, held = wire + held + 1, 0
    return held > 0


def _in_time_wait(ctx: Context) -> bool:
    """The stateful case closed the DUT's side (close or shutdown: its FIN sent), then a
    segment of the case (before the one that diverged) carried FIN with an ACK of that FIN:
    lwIP's connection went to TIME_WAIT (tcp_process FIN_WAIT_1/FIN_WAIT_2)."""
    base, sent, closed = ctx.constants["dut_isn"] + 1, 0, False
    for step in ctx.steps:
        if "frame" in step:
            frame = bytes.fromhex(step["frame"])
            if frame == ctx.canonical:
                return False
            fields = flatten(dissect(frame))
            if (closed and "tcp.flags" in fields and _flags(fields) & (FIN | ACK) == FIN | ACK
                    and not _flags(fields) & (SYN | RST)
                    and _offset(fields["tcp.ack"], base + sent) == 0):
                return True
        elif step.get("call") == "send":
            sent += len(step.get("data", "")) // 2
        elif step.get("call") in ("close", "shutdown") and not closed:
            closed, sent = True, sent + 1
    return False


def time_wait_syn_reset(ctx: Context) -> bool:
    """A SYN (no RST) in lwIP's TIME_WAIT answered with a RST: tcp_timewait_input resets for a
    SYN in the window (RFC 793's rule), where RFC 5961 4.2 sends a challenge ACK."""
    segment = _segments(ctx, current_only=True)
    return (bool(segment) and bool(_flags(segment[0]) & SYN) and not _flags(segment[0]) & RST
            and any(_flags(flatten(dissect(a))) & RST for a in ctx.answers
                    if "tcp.flags" in flatten(dissect(a))) and _in_time_wait(ctx))


def time_wait_acks_any_length(ctx: Context) -> bool:
    """A segment with text, SYN or FIN (no RST) in lwIP's TIME_WAIT: tcp_timewait_input
    acknowledges every segment with tcplen > 0 (tcp_ack_now), where RFC 9293 3.10.7.4
    ignores the text of an acceptable segment in TIME-WAIT. Or, after the peer's FIN (an
    earlier segment of the case), a segment starting before the RCV.NXT that FIN left:
    tcp_receive, past CLOSE_WAIT's text path (`pcb->state < CLOSE_WAIT`), ACKs any segment
    whose SEG.SEQ alone lies outside [RCV.NXT, RCV.NXT + RCV.WND), where RFC 9293's
    acceptability test takes one overlapping RCV.NXT and ignores its text."""
    segment = _segments(ctx, current_only=True)
    if not segment or _flags(segment[0]) & RST:
        return False
    if _segment_length(segment[0]) > 0 and _in_time_wait(ctx):
        return True
    fins = [f for f in _segments(ctx)[:-1]
            if _flags(f) & (FIN | ACK) == FIN | ACK and not _flags(f) & (SYN | RST)]
    if not fins:
        return False
    rcv_nxt = (int(fins[-1]["tcp.seq"]) + _segment_length(fins[-1])) % MOD32  # type: ignore[call-overload]
    return 0 < _offset(rcv_nxt, int(segment[0]["tcp.seq"])) < HALF_SPACE  # type: ignore[call-overload]


def time_wait_acks_without_ack_bit(ctx: Context) -> bool:
    """A segment without ACK (nor RST) carrying text, a SYN or a FIN in lwIP's TIME_WAIT:
    tcp_timewait_input acknowledges it (tcplen > 0) where RFC 9293 3.10.7.4's fifth check
    drops a segment without ACK."""
    segment = _segments(ctx, current_only=True)
    return (bool(segment) and not _flags(segment[0]) & (ACK | RST)
            and _segment_length(segment[0]) > 0 and _in_time_wait(ctx))


def window_from_unacceptable_ack(ctx: Context) -> bool:
    """An earlier segment of the case (or the one that diverged) has ACK (no SYN or RST), a
    SEG.ACK outside SND.UNA .. SND.NXT (old, or of unsent data) and window 0, and a SEG.SEQ
    beyond lwIP's snd_wl1 after the handshake: tcp_receive
    updates SND.WND (snd_wl1 < seqno) before it looks at SEG.ACK at all, so lwIP's send
    window is closed and data or a FIN waits, where RFC 9293 3.10.7.4 drops the segment
    (an ACK of unsent data, or RFC 5961 5.2's too old one) without touching SND.WND.
    snd_wl1 is RCV.NXT after a passive opening (its ACK went through tcp_receive), the
    SYN,ACK's SEG.SEQ - 1 after an active one (tcp_process SYN_SENT: "initialise to seqno - 1
    to force window update"), so there a segment at the SYN,ACK's own sequence number
    (RCV.NXT - 1, unacceptable itself: tcp_receive takes its ACK field all the same) closes
    the window too (stateful finding dfcb96c053eb)."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    base = ctx.constants["dut_isn"] + 1
    segments = _segments(ctx)
    snd_nxts = _snd_nxt_bounds(ctx, len(segments))
    syn_acks = [f for f in segments if _flags(f) & (SYN | ACK | RST) == SYN | ACK]
    snd_wl1 = (int(syn_acks[0]["tcp.seq"]) - 1) % MOD32 if (  # type: ignore[call-overload]
        ctx.state == ACTIVE_OPEN and syn_acks) else rcv_nxt
    # SND.UNA =< SEG.ACK =< SND.NXT fails (SND.UNA is at least the ISN + 1): old or unsent.
    return any(_flags(f) & ACK and not _flags(f) & (SYN | RST) and int(f["tcp.window"]) == 0  # type: ignore[call-overload]
               and 0 < _offset(f["tcp.seq"], snd_wl1) < HALF_SPACE
               and _offset(f["tcp.ack"], base) > _offset(snd_nxts[i], base)
               for i, f in enumerate(segments))


def _after_peer_fin(ctx: Context) -> Context:
    """The context with the tester's RCV.NXT moved past the FIN of an earlier segment of the
    case that lwIP took in order (at RCV.NXT, no SYN or RST): the analyses above count from
    the canonical connection's RCV.NXT."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    for f in _segments(ctx)[:-1] if ctx.canonical is not None else _segments(ctx):
        if (_flags(f) & FIN and not _flags(f) & (SYN | RST)
                and _offset(f["tcp.seq"], rcv_nxt) == 0):
            rcv_nxt = (rcv_nxt + _segment_length(f)) % MOD32
    return dataclasses.replace(ctx, constants={**ctx.constants, "tester_iss": rcv_nxt - 1})


def rst_at_window_edge_after_fin(ctx: Context) -> bool:
    """rst_at_window_edge, RCV.NXT counted past the peer's FIN taken earlier in the case."""
    return rst_at_window_edge(_after_peer_fin(ctx))


def rst_starting_before_window_after_fin(ctx: Context) -> bool:
    """rst_starting_before_window, RCV.NXT counted past the peer's FIN taken earlier."""
    return rst_starting_before_window(_after_peer_fin(ctx))


# What lwIP sends into the window it did not see close: data, data with the FIN of a
# shutdown() or close(), or that FIN alone.
SENT_INTO_CLOSED_WINDOW = ("unexpected:tcp:P.", "unexpected:tcp:FP.", "unexpected:tcp:F.")


def window_shrink_ignored(ctx: Context) -> bool:
    """An earlier pure ACK of the case at RCV.NXT acknowledging SND.NXT (the first segment
    after the handshake: SND.WL1 = SEG.SEQ, SND.WL2 = SEG.ACK) closed the window (0), and
    lwIP sent data: tcp_receive updates snd_wnd only for SND.WL1 < SEG.SEQ, SND.WL2 <
    SEG.ACK, or a larger window with SND.WL2 = SEG.ACK, where RFC 9293 3.10.7.4 takes
    SND.WL2 =< SEG.ACK, so a shrinking window at the same SEG.SEQ and SEG.ACK is ignored."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    snd_nxt = ctx.constants["dut_isn"] + 1
    first = _segments(ctx)[:1]
    return (bool(first) and _flags(first[0]) & (ACK | SYN | RST | FIN) == ACK
            and not first[0].get("tcp.payload") and int(first[0]["tcp.window"]) == 0  # type: ignore[call-overload]
            and _offset(first[0]["tcp.seq"], rcv_nxt) == 0
            and _offset(first[0]["tcp.ack"], snd_nxt) == 0
            and ctx.response in SENT_INTO_CLOSED_WINDOW)


# -- camp16 (session 8): the 300 s campaigns' findings ----------------------------------

def ack_of_unacceptable_segment_taken(ctx: Context) -> bool:
    """The segment that diverged has ACK (no SYN or RST), no text, FIN or room in the window
    for its sequence number (RFC 9293 3.10.7.4's first check finds it unacceptable) and a
    SEG.ACK that acknowledges data the stateful case sent (SND.UNA < SEG.ACK =< SND.NXT), and
    lwIP answered with text: tcp_receive processes the ACK field (lastack advanced, the
    acknowledged data freed) before it tests the sequence number of a segment without text
    (tcp_ack_now), so the data Nagle held behind the acknowledged octets goes out, where
    RFC 9293 sends an ACK and drops the segment, its ACK field unprocessed."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    base = ctx.constants["dut_isn"] + 1
    segment = _segments(ctx, current_only=True)
    if not segment or _flags(segment[0]) & (SYN | RST | FIN) or not _flags(segment[0]) & ACK:
        return False
    f = segment[0]
    snd_nxt = _snd_nxt_bounds(ctx, len(_segments(ctx)))[-1]
    acked = _offset(f["tcp.ack"], base)
    texts = [flatten(dissect(a)).get("tcp.payload") for a in ctx.answers]
    return (not f.get("tcp.payload") and _offset(f["tcp.seq"], rcv_nxt) >= LWIP_TCP_WND
            and 0 < acked <= _offset(snd_nxt, base) and any(texts))


def _after_listen_syn(ctx: Context) -> Context | None:
    """The context with the tester's RCV.NXT taken from the case's opening SYN (no ACK nor
    RST) to lwIP's listener: tcp_listen_input sets rcv_nxt = SEG.SEQ + 1 (its FIN and text
    dropped); the analyses above count from the canonical connection's RCV.NXT. None when
    the case opened with no such SYN or the SYN is the segment that diverged."""
    segments = _segments(ctx)
    if ctx.canonical is None or len(segments) < 2 or \
            _flags(segments[0]) & (SYN | ACK | RST) != SYN:
        return None
    iss = int(segments[0]["tcp.seq"])  # type: ignore[call-overload]
    return dataclasses.replace(ctx, constants={**ctx.constants, "tester_iss": iss})


def rst_at_window_edge_in_syn_received(ctx: Context) -> bool:
    """rst_at_window_edge in the SYN-RECEIVED the case's opening SYN made (hypothesis cases
    from LISTEN)."""
    opened = _after_listen_syn(ctx)
    return opened is not None and rst_at_window_edge(opened)


def rst_starting_before_window_in_syn_received(ctx: Context) -> bool:
    """rst_starting_before_window in the SYN-RECEIVED the case's opening SYN made."""
    opened = _after_listen_syn(ctx)
    return opened is not None and rst_starting_before_window(opened)

def text_and_fin_after_close_end_silently(ctx: Context) -> bool:
    """After close() (TF_RXCLOSED) with the DUT's FIN acknowledged (FIN_WAIT_2), a segment
    at RCV.NXT with text and a FIN drew nothing: src/core/tcp_in.c tcp_process (FIN_WAIT_2,
    or FIN_WAIT_1 with its FIN acknowledged) takes the FIN and moves the pcb to TIME_WAIT,
    then tcp_input finds the text "received data although already closed" and calls
    tcp_abort, whose tcp_abandon (src/core/tcp.c) frees a TIME_WAIT pcb without the RST it
    sends from every other state, and with it the ACK of the FIN."""
    if ctx.canonical is None or ctx.answers:
        return False
    fields = flatten(dissect(ctx.canonical))
    if "tcp.flags" not in fields or _flags(fields) & (FIN | ACK | SYN | RST) != FIN | ACK:
        return False
    if not fields.get("tcp.payload") or \
            _offset(fields["tcp.seq"], ctx.constants["tester_iss"] + 1) != 0:
        return False
    fin_end, closed = ctx.constants["dut_isn"] + 1, False  # the DUT's SND.NXT after its FIN
    for step in ctx.steps:
        if "frame" in step:
            frame = flatten(dissect(bytes.fromhex(step["frame"])))
            if (closed and "tcp.flags" in frame and _flags(frame) & (ACK | SYN | RST) == ACK
                    and _offset(frame["tcp.ack"], fin_end) == 0):
                return True  # (the FIN acknowledged, by this segment or before it)
            if bytes.fromhex(step["frame"]) == ctx.canonical:
                return False
        elif step.get("call") == "send":
            fin_end += len(step.get("data", "")) // 2
        elif step.get("call") == "close" and not closed:
            closed, fin_end = True, fin_end + 1
    return False


ANALYSES: Mapping[str, Callable[[Context], bool]] = {
    "tcp_receive-insane-offset": insane_offset,
    "tcp_receive-text-without-ack-bit": text_without_ack_bit,
    "tcp_receive-unacceptable-ack": unacceptable_ack,
    "tcp_receive-two-acks": two_acks_for_an_ack_of_unsent,
    "tcp_process-rst-window-edge": rst_at_window_edge,
    "tcp_process-rst-seq-only": rst_starting_before_window,
    "tcp_listen_input-syn-fin": syn_fin_to_listener,
    "tcp_process-syn-in-syn-rcvd": syn_in_syn_received,
    "udp_input-length-ignored": udp_length_below_payload,
    "tcp_process-syn-in-reopened-syn-rcvd": syn_in_reopened_syn_received,
    "tcp_output-ack-now-held-by-nagle": ack_held_behind_nagle,
    "tcp_timewait_input-syn-reset": time_wait_syn_reset,
    "tcp_timewait_input-acks-any-length": time_wait_acks_any_length,
    "tcp_receive-window-from-unacceptable-ack": window_from_unacceptable_ack,
    "tcp_timewait_input-acks-without-ack-bit": time_wait_acks_without_ack_bit,
    "tcp_process-syn-ignored-in-syn-rcvd": syn_ignored_in_reopened_syn_received,
    "tcp_process-syn-rcvd-ack-first": ack_first_in_reopened_syn_received,
    "tcp_process-syn-rcvd-no-ack-ignored": no_ack_ignored_in_reopened_syn_received,
    "tcp_process-rst-window-edge-after-fin": rst_at_window_edge_after_fin,
    "tcp_process-rst-seq-only-after-fin": rst_starting_before_window_after_fin,
    "tcp_receive-window-shrink-ignored": window_shrink_ignored,
    "tcp_receive-ack-of-unacceptable-segment": ack_of_unacceptable_segment_taken,
    "tcp_process-rst-window-edge-in-syn-rcvd": rst_at_window_edge_in_syn_received,
    "tcp_process-rst-seq-only-in-syn-rcvd": rst_starting_before_window_in_syn_received,
    "tcp_abandon-time-wait-silent": text_and_fin_after_close_end_silently,
}
