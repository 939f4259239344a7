"""Header prediction: the TCP receive fast path (Van Jacobson, "TCP receive in 30 instructions",
1990; Linux tcp_rcv_established's fast path).

In ESTABLISHED most segments are the next one expected: an ACK, perhaps with in-order data,
that changes nothing but SND.UNA or RCV.NXT. For those, SEGMENT ARRIVES (RFC 9293 3.10.7.4)
reduces to a few assignments. `segment_arrives` recognises such a segment from its wire fields
(`wire.tcp.common_fields`, no TcpRepr built) and processes it directly; for anything else it
returns False and the caller takes the full path (`segment_arrival.synchronized`).

The fast path is an optimisation, never a semantic: for every segment it takes, the output
bytes, events, state, timers and decision records (same rule ids, same details) are those of
the full path, which shares its ACK, receive-buffer and send functions
(tests/unit/refstack/test_fast_path_equivalence.py checks this on random sequences). Its
conditions are chosen so that every check of the full path it skips is decided the same way
whatever the profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.tcp.seq import HALF
from reference_stack.tcp.state import State
from reference_stack.tcp.states import TABLES
from reference_stack.tcp.tcb import T_PERSIST
from reference_stack.wire.tcp import ACK, PSH

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections

ESTABLISHED = State.ESTABLISHED
ESTABLISHED_NAME = ESTABLISHED.value  # (an Enum's .value is a slow descriptor)
_TABLE = TABLES[State.ESTABLISHED]
RULE_DEMUX = "RFC9293-3.10.7-MUST-demux"
RULE_ACK_TEXT = "RFC9293-3.10.7.4-MUST-ack-text-fin"
DELIVER_DETAIL = "{} bytes, RCV.NXT {} -> {}"
DEMUX_RECORD = ("tcp", "accept", RULE_DEMUX, ("connection in {}", (ESTABLISHED_NAME,)))
# Sequence comparisons below are seq_diff's, inline (RFC 1982 serial arithmetic): with
# d = (a - b) & MASK, a - b < 0 iff d > HALF, a - b > 0 iff 0 < d <= HALF.
MASK = 0xFFFFFFFF


def segment_arrives(layer: Connections, src: bytes, dst: bytes, segment: bytes, now: float,
                    src_port: int, dst_port: int, seq: int, ack: int, flags: int, window: int,
                    _urgent: int, header_len: int, ts: tuple[int, int] | None) -> bool:
    """Process a predicted segment and return True, or return False (nothing done, nothing
    recorded) for the caller's full path. The fields after `now` are
    `common_fields(segment)`'s, passed one by one (no tuple built for every frame); the
    segment's checksum has been verified (RFC 9293 3.1)."""
    tcb = layer.conns.get((dst, dst_port, src, src_port))
    if tcb is None or tcb.state is not ESTABLISHED or tcb.board is not None:
        return False  # (loss recovery's ACKs: tcp/recovery.py)
    # RFC 9293 3.10.7.4: RST (second check), SYN (fourth), URG (sixth) and FIN (eighth) each
    # have work to do; ECE/CWR are left to the full path. Only ACK, optionally PSH, is predicted.
    if flags & ~PSH != ACK:
        return False
    # First check: the segment starts at RCV.NXT (RFC 9293 3.10.7.4 / 3.4). With no FIN of
    # the peer pending, nothing waits at or beyond RCV.NXT to be merged; with no urgent
    # pointer of the peer's (RCV.UP, 3.8.5 / RFC 6093), no urgent mode to follow (Linux's
    # fast path also stands aside while urgent data is pending).
    rcv_nxt = tcb.rcv_nxt
    if seq != rcv_nxt or tcb.peer_fin_seq is not None or tcb.rcv_up is not None:
        return False
    if tcb.ts_ok:
        # RFC 7323 3.2: TSopt on every segment once negotiated; 5.3 R1 (PAWS): not older than
        # TS.Recent. 4.3: TS.Recent follows a segment at or below Last.ACK.sent; requiring
        # RCV.NXT == Last.ACK.sent (Linux: rcv_wup) makes that update certain.
        if ts is None or tcb.last_ack_sent != rcv_nxt or (
                ts[0] != tcb.ts_recent and (ts[0] - tcb.ts_recent) & MASK > HALF):
            return False
    elif ts is not None:
        return False
    # Fifth check (RFC 9293 3.10.7.4, RFC 5961 5.2): SND.UNA =< SEG.ACK =< SND.NXT; an ACK
    # that acknowledges nothing new and carries no data is a duplicate (RFC 5681 2).
    # (Equality first: the common ACKs acknowledge all or nothing, and the arithmetic
    # allocates on 32-bit numbers.)
    acked = 0 if ack == tcb.snd_una else (ack - tcb.snd_una) & MASK
    if acked > HALF or ack != tcb.snd_nxt and 0 < (ack - tcb.snd_nxt) & MASK <= HALF:
        return False
    # The send window is unchanged (Van Jacobson's prediction: no window update to weigh).
    if window << tcb.snd_wscale != tcb.snd_wnd:
        return False
    n = len(segment) - header_len
    if n:
        # Seventh check: in-order text that fits the receive window entirely (no trimming,
        # RFC 9293 3.10.7.4) with no out-of-order data queued (nothing to merge, and no
        # immediate duplicate ACK due, RFC 5681 4.2).
        if n > tcb.rcv_wnd() or tcb.recv.ooo:
            return False
        # (A profile's advertised right edge, profile.window_align_up, may lie below
        # RCV.NXT + RCV.WND after a read: the full path judges text reaching past it.)
        edge = tcb.rcv_edge
        if edge is not None and (edge - seq) & MASK < n:
            return False
    elif acked == 0:
        return False

    p = layer.profile
    trace = layer.trace
    tcb.last_rcv = now  # (as Connections.input does)
    records = trace.records
    records.append(DEMUX_RECORD)  # (trace.note of a constant record, as Connections.input's)
    # RFC 7323 4.3: TS.Recent <- SEG.TSval (a Linux profile does so after the ACK checks).
    if ts is not None and not p.ts_recent_after_ack_check:
        tcb.ts_recent = ts[0]
    # Fifth check: a new acknowledgment advances SND.UNA (RFC 9293 3.10.7.4, RFC 6298 5).
    if acked > 0:
        layer.acknowledge(tcb, ack, now)
    # RFC 9293 3.10.7.4: update the send window only from newer segments.
    # (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK))
    wl1 = (tcb.snd_wl1 - seq) & MASK
    if wl1 > HALF or (wl1 == 0 and not 0 < (tcb.snd_wl2 - ack) & MASK <= HALF):
        snd_wnd = tcb.snd_wnd
        if snd_wnd > tcb.max_snd_wnd:
            tcb.max_snd_wnd = snd_wnd
        tcb.snd_wl1 = seq
        tcb.snd_wl2 = ack
        if snd_wnd:
            tcb.timers.pop(T_PERSIST, None)  # (cancel: a C call)
            tcb.persist_backoff = 0
    if ts is not None and p.ts_recent_after_ack_check:
        tcb.ts_recent = ts[0]
    send = layer.sender
    if n:
        # Seventh check: the text goes to the receive buffer; RCV.NXT advances over it and
        # the ACK of in-order data may be delayed (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2).
        tcb.rcv_nxt = tcb.recv.insert(seq, segment[header_len:], rcv_nxt)
        records.append(("socket", "deliver", _TABLE.text.rule,
                        (DELIVER_DETAIL, (n, rcv_nxt, tcb.rcv_nxt))))  # (trace.note, inline)
        send.send_ack(tcb, now, RULE_ACK_TEXT, may_delay=True)
    snd_nxt = tcb.snd_nxt
    buf = tcb.send
    # (buf.end(), SendBuffer.end inline)
    if (snd_nxt != tcb.snd_una or snd_nxt != (buf.base + len(buf.data)) & MASK
            or tcb.fin_queued):
        send.transmit(tcb, now)
    # (else nothing is queued or in flight: transmit would send nothing and arm no timer)
    return True
