"""Choices of gVisor's netstack on SEGMENT ARRIVES (RFC 9293 3.10.7.4) that the `gvisor`
profile models, each behind its profile flag and recording its GVISOR- rule id
(suites/requirements/gvisor.toml). Source: pkg/tcpip/transport/tcp of runsc 0.0~20221219.

netstack's receiver half (rcv.go handleRcvdSegment -> handleRcvdSegmentClosing) judges a
segment in the closing states before its sender half (snd.go handleRcvdSegment) takes the
segment's ACK (connect.go handleSegmentLocked): after close() the abort on new data is
decided in the state the segment found and its ACK is never processed."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from reference_stack.tcp.seq import seq_add, seq_gt, seq_in_window
from reference_stack.tcp.state import State
from reference_stack.trace import DROP, EVENT, STATE
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpRepr

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections
    from reference_stack.tcp.tcb import Tcb

RULE_DATA_AFTER_CLOSE = "RFC1122-4.2.2.13-SHOULD-rst-data-after-close"
RULE_FIN_GAP = "GVISOR-handle_rcvd_segment_closing-fin-gap-aborts"
RULE_EMPTY_BEYOND = "GVISOR-handle_rcvd_segment_closing-empty-beyond-rcv-nxt-aborts"
RULE_CLOSING_AFTER_FIN_SENT = "GVISOR-maybe_send_segment-fin-wait-1-on-fin-sent"


def closed_receiver(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> bool:
    """netstack's checks after close() (profile after_close_checks_before_ack), run before the
    ACK is processed: True when they took the segment (the connection aborted, or the
    segment dropped). An ACK of something not yet sent is left to the ACK check (rcv.go
    answers it first too, snd.go maybeSendOutOfWindowAck)."""
    state = tcb.state
    if not (tcb.orphan and state in (State.FIN_WAIT_1, State.FIN_WAIT_2)) or \
            seq_gt(seg.ack, tcb.snd_nxt):
        return False
    trace = layer.trace
    if layer.profile.closing_checks_after_fin_sent and (
            tcb.fin_seq is None or not seq_gt(tcb.snd_max, tcb.fin_seq)):
        # snd.go maybeSendSegment: netstack is in StateFinWait1 once its FIN first goes out
        # (SND.MAX beyond it: an RTO's go-back does not undo that); with the FIN still queued
        # it is ESTABLISHED and rcv.go skips handleRcvdSegmentClosing.
        trace.add("tcp", EVENT, RULE_CLOSING_AFTER_FIN_SENT,
                  "FIN not yet sent: no checks after close()")
        return False
    fin = bool(seg.flags & FIN)
    # rcv.go: `state != StateCloseWait && rcvClosed && r.RcvNxt.LessThan(endDataSeq)` ->
    # ErrConnectionAborted, in FIN-WAIT-1 and FIN-WAIT-2 alike (RFC 1122 4.2.2.13: new data
    # after CLOSE SHOULD draw a RST).
    abort = seq_gt(seq_add(seg.seq, len(seg.payload)), tcb.rcv_nxt) and (
        bool(seg.payload) or layer.profile.closed_abort_on_empty_beyond_rcv_nxt)
    if abort and not seg.payload:
        # (endDataSeq = SEG.SEQ + the text only, a FIN not counted: a segment without text,
        # a bare FIN too, that starts beyond RCV.NXT aborts; stateful findings d1c98e45640f,
        # ff7b54d95f5d: a FIN beyond RCV.NXT in FIN-WAIT-1, measured RST,ACK.)
        trace.add("tcp", DROP, RULE_EMPTY_BEYOND,
                  f"no text at {seg.seq}, beyond RCV.NXT {tcb.rcv_nxt}, after close(): abort")
    if not abort and fin and seq_gt(seg.seq, tcb.rcv_nxt) and state is State.FIN_WAIT_2:
        if layer.profile.fin_gap_aborts_after_close:
            # rcv.go: in FIN-WAIT-2 after close() the only new segment taken is a FIN at
            # exactly RCV.NXT (`closed && (!FIN || SEG.SEQ+SEG.LEN != RCV.NXT+1)`).
            trace.add("tcp", DROP, RULE_FIN_GAP,
                      f"FIN at {seg.seq} beyond RCV.NXT {tcb.rcv_nxt} after close(): abort")
            abort = True
    if not abort:
        return False
    layer.sender.abort_reset(tcb, seg, now, RULE_DATA_AFTER_CLOSE)
    tcb.error = errno.ECONNRESET
    trace.add("tcp", STATE, RULE_DATA_AFTER_CLOSE, f"{state.value} -> CLOSED")
    layer.delete(tcb)
    return True


RULE_SYN_RECEIVED_ACK_FIRST = "GVISOR-syn_rcvd_state-ack-before-sequence"
RULE_SYN_RECEIVED_SEQ = "GVISOR-syn_rcvd_state-seq-in-window"
RULE_SYN_RECEIVED_SYN = "GVISOR-syn_rcvd_state-syn-resets"


def syn_received(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> bool:
    """netstack's passive SYN-RECEIVED (connect.go handshake.synRcvdState; profile
    synrcvd_ack_first): the ACK field is checked first (checkAck: SEG.ACK != ISS+1 draws
    <SEQ=SEG.ACK><CTL=RST>), then SEG.SEQ alone must lie in [RCV.NXT, RCV.NXT+RCV.WND) (else
    an ACK, rate-limited by allowOutOfWindowAck, a payload not exempt), then a SYN there
    resets the embryo
    (RST,ACK <SEQ=SEG.ACK or 0><ACK=SEG.SEQ+SEG.LEN>); an ACK of ISS+1 that passes completes
    the handshake. True when the segment was taken here. (RFC 9293 3.10.7.4 checks the
    sequence number first, with the RFC's acceptability test, and a SYN returns the embryo to
    LISTEN silently. A RST goes on to the RFC's checks: netstack's differ there, a
    non-conformance in gvisor.toml.)"""
    flags = seg.flags
    if flags & RST or not (tcb.state is State.SYN_RECEIVED and tcb.passive):
        return False
    p = layer.profile
    trace = layer.trace
    if flags & ACK and seg.ack != seq_add(tcb.iss, 1):
        trace.add("tcp", DROP, RULE_SYN_RECEIVED_ACK_FIRST,
                  f"SEG.ACK {seg.ack} is not ISS+1: a RST before the sequence check")
        layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg,
                           "RFC9293-3.10.7.4-MUST-syn-received-bad-ack-rst",
                           stamped=(tcb, now) if p.rst_carries_timestamps else None)
        return True
    if not seq_in_window(seg.seq, tcb.rcv_nxt, tcb.rcv_wnd()):
        trace.add("tcp", DROP, RULE_SYN_RECEIVED_SEQ,
                  f"SEG.SEQ {seg.seq} outside [RCV.NXT {tcb.rcv_nxt}, +RCV.WND)")
        # (connect.go synRcvdState answers only `if h.ep.allowOutOfWindowAck()`, which arms
        # the limit: snd.go maybeSendOutOfWindowAck's exemption of a segment with a payload
        # is the connection's, not the handshake's; stateful finding e0db0e456257)
        layer.sender.oow_ack(tcb, seg, now, RULE_SYN_RECEIVED_SEQ, exempt=False)
        return True
    if flags & SYN:
        trace.add("tcp", STATE, RULE_SYN_RECEIVED_SYN,
                  "a second SYN in the window: RST, the embryo dropped")
        layer.sender.reset_of(tcb.local_ip, tcb.remote_ip, seg, seg.ack if flags & ACK else 0,
                              seq_add(seg.seq, seg.segment_len), RST | ACK,
                              RULE_SYN_RECEIVED_SYN,
                              stamped=(tcb, now) if p.rst_carries_timestamps else None)
        layer.delete(tcb)
        return True
    return False
