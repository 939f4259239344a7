"""Analyses of the lwip target's store (suites/expectations/lwip.toml ``analysis = ...``):
matches of fuzz findings that need sequence arithmetic (conformance.judge.store.Context).

Source locations are lwIP's STABLE-2_1_3_RELEASE tree.
"""

from __future__ import annotations

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


def _ack_unacceptable(fields: Mapping[str, object], snd_nxt: int) -> bool:
    """RFC 5961 5.2: SEG.ACK outside SND.UNA - MAX.SND.WND .. SND.NXT (SND.UNA = SND.NXT)."""
    ahead = _offset(fields["tcp.ack"], snd_nxt)
    return ahead != 0 and ahead < MOD32 - MAX_SND_WND


def text_without_ack_bit(ctx: Context) -> bool:
    """A segment of the case without ACK (nor SYN or RST) carried text or a FIN: tcp_process
    hands it to tcp_receive in the synchronized states, which takes its text and FIN
    (queued out of order, ACKed) where RFC 9293 3.10.7.4's fifth check drops it."""
    rcv_nxt = ctx.constants["tester_iss"] + 1
    return any(not _flags(f) & (ACK | SYN | RST) and _carries_text_or_fin(f, rcv_nxt)
               for f in _segments(ctx))


def unacceptable_ack(ctx: Context) -> bool:
    """The segment that diverged, or an earlier one of the case with text or FIN in the
    window, has ACK (no SYN or RST) and a SEG.ACK outside RFC 5961 5.2's range: tcp_receive
    takes an ACK at or below SND.UNA in serial arithmetic (half the space behind it) as a
    duplicate ACK, answers one ahead with tcp_send_empty_ack, and in both cases goes on to
    the segment's text and FIN."""
    snd_nxt = ctx.constants["dut_isn"] + 1
    rcv_nxt = ctx.constants["tester_iss"] + 1
    last = len(_segments(ctx)) - 1
    return any(_flags(f) & ACK and not _flags(f) & (SYN | RST) and _ack_unacceptable(f, snd_nxt)
               and (i == last or _carries_text_or_fin(f, rcv_nxt))
               for i, f in enumerate(_segments(ctx)))


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
}
