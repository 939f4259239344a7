"""Choices of Linux on SEGMENT ARRIVES (RFC 9293 3.10.7.4) that the `linux` profile models
around the peer's FIN and the window's right edge, each behind its profile flag and recording
its LINUX- rule id (suites/requirements/linux.toml): tcp_sequence's refusal of a segment
ending beyond the advertised edge while the receive queue holds something, tcp_reset_check's
RST at RCV.NXT - 1 after a FIN, and tcp_rcv_state_process's segments that go no further than
the ACK check (a FIN after the FIN; the ACK of our FIN that makes a timewait socket)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.tcp import time_wait
from reference_stack.tcp.seq import seq_add, seq_diff, seq_gt, seq_lt
from reference_stack.tcp.state import State
from reference_stack.trace import ACCEPT, DROP
from reference_stack.wire.tcp import FIN, TcpRepr

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections
    from reference_stack.tcp.tcb import Tcb

RULE_RST_AFTER_FIN = "LINUX-tcp_reset_check-rst-after-fin"
RULE_AFTER_FIN_IGNORED = "LINUX-tcp_rcv_state_process-after-fin-ignored"
RULE_INVALID_END_SEQUENCE = "LINUX-tcp_sequence-invalid-end-sequence"
RULE_ACK_OF_FIN_CONSUMED = "LINUX-tcp_rcv_state_process-ack-of-fin-consumed"
RULE_TEXT_AFTER_FIN = "LINUX-tcp_rcv_state_process-text-after-fin-abort"
RULE_SECOND_FIN = "LINUX-tcp_data_queue-second-fin-behind-old-text"
# The states in which the peer's FIN has been taken (Linux tcp_reset_check,
# tcp_rcv_state_process's step 7).
AFTER_PEER_FIN = (State.CLOSE_WAIT, State.CLOSING, State.LAST_ACK)


def fin_after_fin(tcb: Tcb, seg: TcpRepr) -> bool:
    """A FIN at or beyond RCV.NXT once the peer's FIN is taken: Linux tcp_rcv_state_process
    (step 7) does not pass it to tcp_data_queue (profile after_fin_ignores_new_sequence)."""
    return bool(seg.flags & FIN) and tcb.state in AFTER_PEER_FIN and not seq_lt(seg.seq,
                                                                              tcb.rcv_nxt)


def text_after_fin_aborts(layer: Connections, tcb: Tcb, seg: TcpRepr) -> bool:
    """Linux tcp_rcv_state_process, step 7 (profile text_after_fin_aborts): in CLOSE-WAIT,
    CLOSING or LAST-ACK a segment starting before RCV.NXT falls through to FIN-WAIT's case,
    where RCV_SHUTDOWN (set by the peer's FIN, tcp_fin) makes text ending after RCV.NXT
    (`end_seq - fin`) abort the connection (TCPABORTONDATA) and tcp_v4_do_rcv answer it with
    a RST. RFC 9293 3.10.7.4 ignores the text. Recorded when it decides."""
    if not (layer.profile.text_after_fin_aborts and seg.payload
            and tcb.state in AFTER_PEER_FIN and seq_lt(seg.seq, tcb.rcv_nxt)
            and seq_gt(seq_add(seg.seq, len(seg.payload)), tcb.rcv_nxt)):
        return False
    layer.trace.add("tcp", "state", RULE_TEXT_AFTER_FIN,
                    f"text beyond RCV.NXT {tcb.rcv_nxt} after the peer's FIN: "
                    f"{tcb.state.value} -> CLOSED, a RST")
    return True


def second_fin_taken(layer: Connections, tcb: Tcb, seg: TcpRepr, rcv_wnd: int) -> bool:
    """Linux tcp_rcv_state_process, step 7 (profile text_after_fin_aborts): in CLOSE-WAIT,
    CLOSING or LAST-ACK a segment with text that starts before RCV.NXT and ends at it, with a
    FIN, passes the TCPABORTONDATA test (`end_seq - fin` is not after RCV.NXT) and reaches
    tcp_data_queue as a partial packet: queued (its old text D-SACKed), RCV.NXT advanced over
    its FIN, a second FIN one octet beyond the first, which tcp_fin then ignores in these
    states. RFC 9293 3.10.7.4 ignores text after the FIN and acknowledges RCV.NXT. With a
    closed window tcp_data_queue drops it (out_of_window). Recorded when it decides."""
    if not (layer.profile.text_after_fin_aborts and seg.payload and seg.flags & FIN
            and tcb.state in AFTER_PEER_FIN and seq_lt(seg.seq, tcb.rcv_nxt)
            and seq_add(seg.seq, len(seg.payload)) == tcb.rcv_nxt):
        return False
    window = rcv_wnd if tcb.rcv_edge is None else seq_diff(tcb.rcv_edge, tcb.rcv_nxt)
    if window <= 0:
        return False
    layer.trace.add("tcp", ACCEPT, RULE_SECOND_FIN,
                    f"FIN at RCV.NXT {tcb.rcv_nxt} after the peer's FIN, behind old text: taken")
    return True


def ends_beyond_edge_queue_held(layer: Connections, tcb: Tcb, seg: TcpRepr,
                                 length: int) -> bool:
    """Linux tcp_sequence (profile text_beyond_edge_kept): a segment that ends beyond the
    advertised right edge (its FIN aside) is refused while the receive queue holds unread text
    or the peer's unread FIN (TCP_INVALID_END_SEQUENCE); with the queue empty it is taken whole.
    RFC 9293 3.10.7.4 takes what lies in the window. Recorded when it decides."""
    edge = tcb.rcv_edge
    if edge is None or not seq_gt(seq_add(seg.seq, length - bool(seg.flags & FIN)), edge):
        return False
    if not (tcb.recv.ready or tcb.peer_fin_unread):
        return False
    layer.trace.add("tcp", DROP, RULE_INVALID_END_SEQUENCE,
                    f"ends beyond the right edge {edge} while the receive queue holds "
                    f"{len(tcb.recv.ready)} octets{' and the FIN' if tcb.peer_fin_unread else ''}")
    return True


def consumed_by_ack_of_fin(layer: Connections, tcb: Tcb, seg: TcpRepr) -> bool:
    """Linux tcp_rcv_state_process (profile ack_of_fin_consumes), just after an ACK of our
    FIN: CLOSING -> TIME-WAIT (tcp_time_wait), and an orphaned FIN-WAIT-1 -> FIN-WAIT-2 made
    a minisocket (tcp_time_wait(sk, TCP_FIN_WAIT2, ..): no FIN in the segment, no text beyond
    RCV.NXT, which would abort), consume the segment: the checks after the ACK's (URG, text,
    FIN) do not run. Recorded when it decides."""
    if tcb.state is State.TIME_WAIT:
        how = "CLOSING -> TIME-WAIT"
    elif (time_wait.in_fin_wait_2_minisock(layer.profile, tcb) and not seg.flags & FIN
          and not seq_gt(seq_add(seg.seq, len(seg.payload)), tcb.rcv_nxt)):
        how = "orphaned FIN-WAIT-1 -> FIN-WAIT-2 minisocket"
    else:
        return False
    layer.trace.add("tcp", DROP, RULE_ACK_OF_FIN_CONSUMED,
                    f"{how}: the rest of the segment is not processed")
    return True


def reset_after_fin(layer: Connections, tcb: Tcb, seg: TcpRepr) -> bool:
    """Linux tcp_reset_check (profile rst_after_fin_at_rcv_nxt_minus_1): once the peer's FIN is
    taken (CLOSE-WAIT, CLOSING, LAST-ACK), a RST at RCV.NXT - 1 resets the connection, in the
    window or not (RFC 5961 3.2 resets only at RCV.NXT). Recorded when it decides."""
    if not (layer.profile.rst_after_fin_at_rcv_nxt_minus_1
            and tcb.state in AFTER_PEER_FIN and seg.seq == seq_add(tcb.rcv_nxt, -1)):
        return False
    layer.trace.add("tcp", ACCEPT, RULE_RST_AFTER_FIN,
                    "RST at RCV.NXT - 1 after the peer's FIN: reset")
    return True
