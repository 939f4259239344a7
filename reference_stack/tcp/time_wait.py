"""Linux's TIME-WAIT minisocket (tcp_timewait_state_process), which a profile with
`time_wait_minisock` follows instead of RFC 9293 3.10.7.4 in TIME-WAIT:

* a bare ACK at RCV.NXT restarts the timer and is not answered;
* a RST at RCV.NXT ends TIME-WAIT (as in RFC 9293); any other RST is ignored (no challenge ACK);
* any other segment is answered with an ACK (rate-limited), and restarts the timer if it
  carries an ACK or fails PAWS.

(A new SYN that may reopen the connection is handled before, by `time_wait_reopen`.)

An orphaned FIN-WAIT-2 is the same minisocket in Linux (tcp_time_wait(sk, TCP_FIN_WAIT2, ..)
once its FIN is acknowledged, with `fin_wait_2_minisock`): `linux_fin_wait_2` takes the RST
and SYN that pass the sequence check as it does, not as RFC 5961 would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.profiles import Profile
from reference_stack.tcp.options import segment_timestamps
from reference_stack.tcp.seq import seq_add, seq_ge, seq_lt
from reference_stack.tcp.state import State
from reference_stack.tcp.states import TABLES
from reference_stack.tcp.tcb import T_TIME_WAIT, Tcb
from reference_stack.trace import ACCEPT, DROP
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpRepr

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections


def linux_time_wait(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> None:
    flags = seg.flags
    trace = layer.trace
    ts = segment_timestamps(layer.profile.last_timestamps_option, seg) if tcb.ts_ok else None
    paws_reject = ts is not None and not flags & RST and seq_lt(ts[0], tcb.ts_recent)
    length = seg.segment_len
    restart = now + layer.profile.time_wait
    if not paws_reject and seg.seq == tcb.rcv_nxt and (length == 0 or flags & RST):
        if flags & RST and layer.profile.time_wait_ignores_rst:
            # RFC 1337 3 (F1) against TIME-WAIT assassination: the RST is ignored, the timer
            # left as it is (Linux tcp_timewait_state_process with net.ipv4.tcp_rfc1337 = 1)
            trace.add("tcp", DROP, "LINUX-tcp_timewait_state_process-rfc1337")
            if ts is not None:
                tcb.ts_recent = ts[0]  # (the in-window path goes on to take its TSval)
            return
        if flags & RST:
            layer.transition(tcb, TABLES[State.TIME_WAIT].rst, now)
            return
        tcb.timers.set(T_TIME_WAIT, restart)
        trace.add("tcp", ACCEPT, "LINUX-tcp_timewait_state_process-bare-ack",
                  "TIME-WAIT timer restarted")
        return
    if flags & RST:
        trace.add("tcp", DROP, "LINUX-tcp_timewait_state_process-rst-ignored")
        return
    if paws_reject or flags & ACK:
        tcb.timers.set(T_TIME_WAIT, restart)
    if flags & FIN and seq_add(seg.seq, length) == tcb.rcv_nxt:
        rule = TABLES[State.TIME_WAIT].fin.rule  # the retransmitted FIN, as in RFC 9293
        trace.add("tcp", ACCEPT, rule, "retransmitted FIN")
        layer.sender.send_ack(tcb, now, rule)
        return
    rule = "LINUX-tcp_timewait_state_process-ack"
    trace.add("tcp", DROP, rule, "answered with an ACK")
    layer.sender.oow_ack(tcb, seg, now, rule)


def in_fin_wait_2_minisock(profile: Profile, tcb: Tcb) -> bool:
    """An orphaned FIN-WAIT-2 that the profile keeps as Linux's minisocket."""
    return profile.fin_wait_2_minisock and tcb.orphan and tcb.state is State.FIN_WAIT_2


def linux_fin_wait_2(layer: Connections, tcb: Tcb, seg: TcpRepr) -> bool:
    """A RST or SYN in the window of an orphaned FIN-WAIT-2 (Linux tcp_timewait_state_process,
    tw_substate TCP_FIN_WAIT2): any such RST ends it without a challenge ACK (RFC 5961 3.2
    would challenge one not at RCV.NXT), a SYN at or beyond RCV.NXT draws a RST (TCP_TW_RST;
    RFC 5961 4.2 would challenge it) and ends it. True when it took the segment."""
    flags = seg.flags
    trace = layer.trace
    if flags & RST and seg.seq != tcb.rcv_nxt:  # (at RCV.NXT: RFC 9293's reset, the same)
        trace.add("tcp", "state", "LINUX-tcp_timewait_state_process-fin-wait-2-rst",
                  "RST in the window of an orphaned FIN-WAIT-2: closed")
        layer.delete(tcb)
        return True
    edge = tcb.rcv_edge if tcb.rcv_edge is not None else seq_add(tcb.rcv_nxt, tcb.rcv_wnd())
    if flags & SYN and seq_ge(seg.seq, tcb.rcv_nxt) and seq_lt(seg.seq, edge):
        # (tcp_in_window against the window last advertised, tw_rcv_wnd; beyond it the
        # out-of-window ACK, as the challenge ACK the caller sends)
        rule = "LINUX-tcp_timewait_state_process-fin-wait-2-syn"
        layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg, rule)
        trace.add("tcp", "state", rule, "SYN in an orphaned FIN-WAIT-2: reset, closed")
        layer.delete(tcb)
        return True
    return False
