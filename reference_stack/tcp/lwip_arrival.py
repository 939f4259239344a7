"""Choices of lwIP on SEGMENT ARRIVES (RFC 9293 3.10.7.4) that the `lwip` profile models, each
behind its profile flag and recording its LWIP- rule id (suites/requirements/lwip.toml).
Source: lwIP STABLE-2_1_3_RELEASE, src/core/tcp_in.c.

lwIP's tcp_input hands a segment to tcp_process / tcp_receive first and looks at what it
delivered afterwards: after close() (TF_RXCLOSED) in-order text that reached the receiver
aborts the connection (tcp_abort), text out of order is only queued."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from reference_stack.tcp.seq import seq_add, seq_gt, seq_le
from reference_stack.tcp.state import State
from reference_stack.trace import ACCEPT, DROP, STATE
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpRepr
from reference_stack.wire.tcp_options import (
    TCPOPT_MSS,
    TCPOPT_WINDOW,
    TcpOptEol,
    TcpOptMalformed,
    TcpOptMss,
    TcpOptUnknown,
)

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections
    from reference_stack.tcp.tcb import Tcb

RULE_DATA_AFTER_CLOSE = "RFC1122-4.2.2.13-SHOULD-rst-data-after-close"
RULE_ABORT_IN_ORDER = "LWIP-tcp_input-abort-on-in-order-data"
RULE_TIME_WAIT_RST = "LWIP-tcp_timewait_input-rst-ignored"
RULE_SYN_COPY = "LWIP-tcp_process-syn-rcvd-syn-copy-rexmit"
RULE_MSS_ANY_SEGMENT = "LWIP-tcp_parseopt-mss-any-segment"
# tcp_parseopt: a known kind of the wrong length ends the walk ("bad length"); lwipopts.h has
# LWIP_WND_SCALE on, LWIP_TCP_TIMESTAMPS and SACK off (those kinds are "other": skipped).
_PARSED_KINDS = (TCPOPT_MSS, TCPOPT_WINDOW)


def syn_copy_in_syn_received(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> bool:
    """A bare copy of the peer's SYN (SYN alone, SEG.SEQ = IRS) in a passive
    SYN-RECEIVED (profile synrcvd_syn_copy_resends_synack): RFC 9293 3.10.7.4's first check
    finds it old and answers <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; lwIP's tcp_process, case
    SYN_RCVD (`(flags & TCP_SYN) && (seqno == pcb->rcv_nxt - 1)`), calls tcp_rexmit: its
    SYN,ACK goes again (as Linux's request socket does, tcp/request_sock.py)."""
    if not (layer.profile.synrcvd_syn_copy_resends_synack and tcb.state is State.SYN_RECEIVED
            and tcb.passive and seg.flags & (SYN | ACK | RST | FIN) == SYN and not seg.payload
            and seq_add(seg.seq, 1) == tcb.rcv_nxt):
        # (A copy carrying text or FIN: tcp_rexmit too, and the text at ISN + 1 is taken: a
        # non-conformance, suites/expectations/lwip.toml, not modelled.)
        return False
    layer.trace.add("tcp", ACCEPT, RULE_SYN_COPY, "a copy of the SYN: SYN,ACK sent again")
    layer.sender.emit(tcb, SYN | ACK, tcb.iss, now, RULE_SYN_COPY)
    return True


def time_wait_rst_ignored(layer: Connections, tcb: Tcb) -> bool:
    """A RST in TIME-WAIT (profile time_wait_ignores_rst, without Linux's minisocket, which
    applies the flag itself): RFC 9293 3.10.7.4's second check closes on one at RCV.NXT;
    RFC 1337 3 (F1) ignores it, as lwIP's tcp_timewait_input does with every RST."""
    if tcb.state is not State.TIME_WAIT or not layer.profile.time_wait_ignores_rst:
        return False
    layer.trace.add("tcp", DROP, RULE_TIME_WAIT_RST, "RST in TIME-WAIT ignored (RFC 1337)")
    return True


def data_after_close(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> bool | None:
    """New text after close() in FIN-WAIT-1/2 (profile abort_on_in_order_data_after_close):
    None when the profile does not model lwIP; True when the connection aborted; False when
    the segment goes on to the text check (text out of order: queued, RFC 9293 3.10.7.4)."""
    if not layer.profile.abort_on_in_order_data_after_close:
        return None
    end = seq_add(seg.seq, len(seg.payload))
    if not (seg.payload and tcb.orphan and tcb.state in (State.FIN_WAIT_1, State.FIN_WAIT_2)
            and seq_gt(end, tcb.rcv_nxt)):
        return False
    if not seq_le(seg.seq, tcb.rcv_nxt):
        # tcp_receive queues it on ooseq and ACKs RCV.NXT; recv_data stays NULL: no abort.
        layer.trace.add("tcp", ACCEPT, RULE_ABORT_IN_ORDER,
                        f"text at {seg.seq} beyond RCV.NXT {tcb.rcv_nxt} after close(): queued")
        return False
    # RFC 1122 4.2.2.13 (new data after CLOSE SHOULD draw a RST): tcp_receive takes the text
    # (and a FIN behind it) into RCV.NXT, then tcp_input finds recv_data with TF_RXCLOSED and
    # calls tcp_abort: tcp_rst(pcb, snd_nxt, rcv_nxt), RST,ACK (RFC 9293 3.10.5's ABORT).
    tcb.rcv_nxt = seq_add(end, 1) if seg.flags & FIN else end
    if seg.flags & FIN and (tcb.state is State.FIN_WAIT_2
                            or (seg.flags & ACK and seg.ack == tcb.snd_nxt)):
        # The FIN took tcp_process to TIME_WAIT first; tcp_abandon then frees a TIME_WAIT pcb
        # without tcp_rst, and the ACK tcp_ack_now asked for is never output: nothing is sent.
        layer.trace.add("tcp", STATE, RULE_ABORT_IN_ORDER,
                        "in-order text and FIN after close(): TIME_WAIT, freed without a RST")
        layer.trace.add("tcp", STATE, RULE_DATA_AFTER_CLOSE, f"{tcb.state.value} -> CLOSED")
        layer.delete(tcb)
        return True
    layer.trace.add("tcp", STATE, RULE_ABORT_IN_ORDER,
                    f"in-order text after close(): RST,ACK at SND.NXT {tcb.snd_nxt}, "
                    f"ACK = RCV.NXT {tcb.rcv_nxt}")
    layer.sender.emit(tcb, RST | ACK, tcb.snd_nxt, now, RULE_DATA_AFTER_CLOSE)
    tcb.error = errno.ECONNRESET
    layer.trace.add("tcp", STATE, RULE_DATA_AFTER_CLOSE, f"{tcb.state.value} -> CLOSED")
    layer.delete(tcb)
    return True


def mss_option_taken(layer: Connections, tcb: Tcb, seg: TcpRepr) -> None:
    """An MSS option after the handshake (profile mss_option_any_segment, lwIP's TCP_MSS):
    RFC 9293 3.7.1 fixes the send MSS from the peer's SYN; lwIP's tcp_process calls
    tcp_parseopt for every segment that gets past its RST handling and its challenge of a SYN
    in a synchronized state, acceptable or not (tcp_in.c), and each well-formed MSS option
    sets pcb->mss (0 or above TCP_MSS: TCP_MSS); the walk ends at EOL or at a known kind of
    the wrong length. TIME_WAIT's tcp_timewait_input parses nothing."""
    cap = layer.profile.mss_option_any_segment
    if (cap is None or seg.flags & RST or tcb.state is State.TIME_WAIT
            or (seg.flags & SYN and tcb.state is not State.SYN_RECEIVED)):
        return
    mss = None
    for option in seg.options:
        if isinstance(option, (TcpOptEol, TcpOptMalformed)) or (
                isinstance(option, TcpOptUnknown) and option.kind in _PARSED_KINDS):
            break
        if isinstance(option, TcpOptMss):
            mss = cap if option.mss == 0 or option.mss > cap else option.mss
    if mss is not None and mss != tcb.mss:
        layer.trace.add("tcp", STATE, RULE_MSS_ANY_SEGMENT,
                        f"MSS option {mss} after the handshake: MSS {tcb.mss} -> {mss}")
        tcb.mss = mss
