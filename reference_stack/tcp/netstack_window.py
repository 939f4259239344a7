"""gVisor netstack's receive window (profile window_edge_held): transport/tcp/rcv.go
getSendParams and acceptable, of runsc 0.0~20221219.

RFC 9293 3.8.6 leaves the window offered to the receiver (RFC 1122 4.2.3.3, RFC 9293 3.8.6.2.2
ask only that the right edge not shrink and silly windows be avoided); the oracle offers its
free buffer space, bounded by its SYN's window. netstack moves the right edge it advertised
(RCV.WUP + the last window) only when the new window would move it and either the octets
received since the last ACK reach SegOverheadSize or the application has read since then
(`toGrow`); otherwise it offers what is left of the last window. The field is that window
shifted down by the scale (rounded down), and a segment is acceptable against RCV.NXT plus
the window the field expressed (rcv.go acceptable: `scaledWindowSize << RcvWndScale`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.tcp.seq import seq_add, seq_diff, seq_le, seq_lt
from reference_stack.trace import ACCEPT

if TYPE_CHECKING:
    from reference_stack.tcp.tcb import Tcb
    from reference_stack.trace import Trace

# segment.go SegOverheadSize (segSize + stack.PacketBufferStructSize +
# header.IPv4MaximumHeaderSize): 552 octets by rcv.go getSendParams' own comment ("segment
# overhead of 552 bytes (at the time of writing this comment)").
SEG_OVERHEAD = 552
# protocol.go DefaultReceiveBufferSize (1 MiB), halved into window space by endpoint.go
# wndFromSpace (rcvAdvWndScale = 1): selectWindow's window once the edge may move (the
# segments' memory overhead, a few hundred octets, is not modelled: the field it changes is
# the receiver's choice, RFC 9293 3.8.6, and free in predictions).
WINDOW_SPACE = (1 << 20) >> 1
RULE_ACCEPTABLE = "GVISOR-acceptable-advertised-window"
RULE_TAKEN_WHOLE = "GVISOR-handle_rcvd_segment-acceptable-segment-taken-whole"


def _last(tcb: Tcb) -> tuple[int, int]:
    """The window last advertised (unscaled) and RCV.NXT then: after the handshake, the
    SYN's window from IRS+1 (rcv.go newReceiver)."""
    if tcb.nst_wnd is None:
        return tcb.syn_window, seq_add(tcb.irs, 1)
    return tcb.nst_wnd, tcb.nst_wup


def handshake_ack(tcb: Tcb) -> None:
    """The ACK of an active open's SYN,ACK: connect.go handshake.synSentState sends it with
    sendEmptyRaw and the handshake's window (`h.rcvWnd >> h.effectiveRcvWndScale()`), not
    through getSendParams, so the receiver (newReceiver) keeps that window from IRS+1 as
    the last one advertised (stateful finding a0efbd75eb17: a segment beyond it drew an
    ACK)."""
    tcb.nst_once = min(tcb.syn_window >> tcb.rcv_wscale, 0xFFFF)


def advertise(tcb: Tcb) -> int:
    """The window field of a segment netstack sends now (getSendParams); records it."""
    if tcb.nst_once is not None:
        field, tcb.nst_once = tcb.nst_once, None
        return field
    last, wup = _last(tcb)
    current = max(0, seq_diff(seq_add(wup, last), tcb.rcv_nxt))
    unread = len(tcb.recv.ready)
    new = WINDOW_SPACE - unread
    grow = (seq_diff(tcb.rcv_nxt, tcb.last_ack_sent) >= SEG_OVERHEAD
            or unread <= tcb.nst_unread)
    window = new if new > current and grow else current
    field = window >> tcb.rcv_wscale
    if field > 0xFFFF:
        field = 0xFFFF
        window = field << tcb.rcv_wscale
    tcb.nst_wnd, tcb.nst_wup, tcb.nst_unread = window, tcb.rcv_nxt, unread
    return field


def acceptance_window(tcb: Tcb) -> int:
    """The window rcv.go acceptable() tests a segment against, from RCV.NXT: the last
    advertised one as its field expressed it."""
    last, _ = _last(tcb)
    field = min(last >> tcb.rcv_wscale, 0xFFFF)
    return field << tcb.rcv_wscale


def acceptable(seg_seq: int, payload_len: int, rcv_nxt: int, window: int) -> bool:
    """header/tcp.go Acceptable, as rcv.go calls it (the payload's length, SYN and FIN not
    counted): the right edge RCV.NXT + window itself is in (Linux's choice, its comment
    says); a zero window takes only an empty segment at RCV.NXT. RFC 9293 3.10.7.4 counts
    the whole segment and ends the window before its edge."""
    if window == 0:
        return payload_len == 0 and seg_seq == rcv_nxt
    edge = seq_add(rcv_nxt, window)
    if payload_len == 0:
        return seq_le(rcv_nxt, seg_seq) and seq_le(seg_seq, edge)
    return seq_lt(rcv_nxt, seq_add(seg_seq, payload_len)) and seq_le(seg_seq, edge)


def taken_whole(trace: Trace, beyond: int) -> None:
    """RFC 9293 3.10.7.4 trims text beyond the receive window; netstack takes an acceptable
    segment whole (the window it is judged against is the advertised one, acceptable()):
    rcv.go consumeSegment moves an in-order one to the ready list untrimmed ("we accept the
    whole segment"), handleRcvdSegment holds an out-of-order one in pendingRcvdSegments and
    SACKs it (while the held segments' memory stays under a quarter of the receive buffer,
    not modelled; stateful finding 90162d597df9, seed 9)."""
    trace.add("tcp", ACCEPT, RULE_TAKEN_WHOLE, f"{beyond} octets beyond RCV.WND not trimmed")
