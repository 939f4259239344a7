"""Linux's TIME-WAIT minisocket (tcp_timewait_state_process), which a profile with
`time_wait_minisock` follows instead of RFC 9293 3.10.7.4 in TIME-WAIT:

* a bare ACK at RCV.NXT restarts the timer and is not answered;
* a RST at RCV.NXT ends TIME-WAIT (as in RFC 9293) unless PAWS refuses it (`paws_rejects`);
  any other RST is ignored (no challenge ACK);
* any other segment is answered with an ACK (rate-limited), and restarts the timer if it
  carries an ACK or fails PAWS.

A new SYN that may reopen the connection (`new_syn`) is handed to the listener before, by
`time_wait_reopen`; without a listener it is answered with an ACK that is not rate-limited
(`time_wait_syn_ack_unlimited`).

An orphaned FIN-WAIT-2 is the same minisocket in Linux (tcp_time_wait(sk, TCP_FIN_WAIT2, ..)
once its FIN is acknowledged, with `fin_wait_2_minisock`): `linux_fin_wait_2` takes every
segment as tcp_timewait_state_process does in that substate, not as RFC 9293 3.10.7.4 would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.profiles import Profile
from reference_stack.tcp.options import segment_timestamps
from reference_stack.tcp.seq import seq_add, seq_ge, seq_gt, seq_lt
from reference_stack.tcp.state import State
from reference_stack.tcp.states import TABLES
from reference_stack.tcp.tcb import T_TIME_WAIT, Tcb
from reference_stack.trace import ACCEPT, DROP
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpRepr

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections

RULE_OFO_FREED = "LINUX-tcp_time_wait-fin-wait-2-ofo-freed"
RULE_NEW_SYN_ACK = "LINUX-tcp_v4_rcv-time-wait-syn-ack-unlimited"


def linux_time_wait(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> None:
    flags = seg.flags
    trace = layer.trace
    paws_reject = paws_rejects(layer.profile, tcb, seg)
    ts = segment_timestamps(layer.profile.last_timestamps_option, seg) if tcb.ts_ok else None
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
        if ts is not None:
            tcb.ts_recent = ts[0]  # (tw_ts_recent follows an accepted bare ACK)
        trace.add("tcp", ACCEPT, "LINUX-tcp_timewait_state_process-bare-ack",
                  "TIME-WAIT timer restarted")
        return
    if flags & RST:
        rule = ("LINUX-tcp_timewait_state_process-paws-rst" if paws_reject
                else "LINUX-tcp_timewait_state_process-rst-ignored")
        trace.add("tcp", DROP, rule)
        return
    if paws_reject or flags & ACK:
        tcb.timers.set(T_TIME_WAIT, restart)
    if layer.profile.time_wait_syn_ack_unlimited and new_syn(layer.profile, tcb, seg):
        # Linux tcp_v4_rcv / tcp_v6_rcv: a new SYN (TCP_TW_SYN) that finds no listener falls
        # through "to ACK" (tcp_v4_timewait_ack) past tcp_timewait_check_oow_rate_limit: the
        # ACK is not limited and leaves the limit alone (RFC 5961 7 limits every such ACK).
        # (With a listener, the connection layer reopened it: time_wait_reopen.)
        trace.add("tcp", DROP, RULE_NEW_SYN_ACK, "new SYN, no listener: an ACK, unlimited")
        layer.sender.send_ack(tcb, now, RULE_NEW_SYN_ACK)
        return
    if flags & FIN and seq_add(seg.seq, length) == tcb.rcv_nxt:
        rule = TABLES[State.TIME_WAIT].fin.rule  # the retransmitted FIN, as in RFC 9293
        trace.add("tcp", ACCEPT, rule, "retransmitted FIN")
        layer.sender.send_ack(tcb, now, rule)
        return
    rule = "LINUX-tcp_timewait_state_process-ack"
    trace.add("tcp", DROP, rule, "answered with an ACK")
    layer.sender.oow_ack(tcb, seg, now, rule)


def new_syn(profile: Profile, tcb: Tcb, seg: TcpRepr) -> str | None:
    """A SYN in TIME-WAIT that may open a new incarnation (why, else None). RFC 1122 4.2.2.13
    (MAY) and RFC 6191 2: with timestamps on both incarnations, one whose TSval is newer than
    TS.Recent; else one above the old sequence space. Linux tcp_timewait_state_process
    (TCP_TW_SYN): SYN without ACK or RST, not PAWS-rejected, and after RCV.NXT or with a TSval
    newer than TS.Recent."""
    if seg.flags & (SYN | ACK | RST) != SYN:
        return None
    ts = segment_timestamps(profile.last_timestamps_option, seg) if tcb.ts_ok else None
    if ts is not None and seq_lt(ts[0], tcb.ts_recent):
        return None  # PAWS (RFC 7323 5.3): an old duplicate
    if seq_gt(seg.seq, tcb.rcv_nxt):
        return "new SYN above the old sequence space"
    if ts is not None and seq_gt(ts[0], tcb.ts_recent):
        return f"new SYN with TSval {ts[0]} newer than TS.Recent {tcb.ts_recent} (RFC 6191)"
    return None


def in_fin_wait_2_minisock(profile: Profile, tcb: Tcb) -> bool:
    """An orphaned FIN-WAIT-2 that the profile keeps as Linux's minisocket."""
    return (profile.fin_wait_2_minisock and tcb.orphan and tcb.state is State.FIN_WAIT_2
            and not tcb.fin_wait_2_full)


def in_minisock(profile: Profile, tcb: Tcb) -> bool:
    """A connection Linux keeps as a timewait socket (sk_state TCP_TIME_WAIT, in either
    substate): tcp_v4_rcv hands its segments to tcp_timewait_state_process alone."""
    return ((tcb.state is State.TIME_WAIT and profile.time_wait_minisock)
            or in_fin_wait_2_minisock(profile, tcb))


def full_socket_freed(layer: Connections, tcb: Tcb) -> None:
    """The full socket an orphaned FIN-WAIT-2 minisocket replaces is freed (Linux
    tcp_time_wait -> tcp_done), its out-of-order queue with it: the minisocket's ACKs
    (tcp_v4_timewait_ack) carry no SACK block for data it held (RFC 2018 4 would report it).
    Recorded when it drops something."""
    if not (tcb.recv.ooo or tcb.dsack):
        return
    held = sum(len(d) or 1 for d in tcb.recv.ooo.values())
    tcb.recv.ooo.clear()
    tcb.dsack = None
    layer.trace.add("tcp", DROP, RULE_OFO_FREED,
                    f"{held} out-of-order octets freed with the full socket: no SACK")


def paws_rejects(profile: Profile, tcb: Tcb, seg: TcpRepr) -> bool:
    """tcp_timewait_state_process's PAWS (tcp_paws_reject, window 0): a TSval older than
    TS.Recent is refused. RFC 7323 5.3 R1 exempts a RST; the minisocket refuses it too with
    profile `time_wait_paws_rst` (Linux lifts that once TS.Recent is TCP_PAWS_MSL, 60 s, old:
    a connection the oracle does not keep that long, not modelled)."""
    ts = segment_timestamps(profile.last_timestamps_option, seg) if tcb.ts_ok else None
    if ts is None or not tcb.ts_recent or not seq_lt(ts[0], tcb.ts_recent):
        return False
    return not seg.flags & RST or profile.time_wait_paws_rst


def _in_window(seq: int, end: int, start: int, edge: int) -> bool:
    """Linux tcp_in_window (tcp_minisocks.c): the segment [seq, end) starts at RCV.NXT,
    overlaps [RCV.NXT, edge), or is empty at the edge."""
    if seq == start:
        return True
    if seq_gt(end, start) and seq_lt(seq, edge):
        return True
    return seq == edge and seq == end


def linux_fin_wait_2(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> None:
    """An orphaned FIN-WAIT-2 as Linux's minisocket (tcp_timewait_state_process, tw_substate
    TCP_FIN_WAIT2, "just repeat all the checks of tcp_rcv_state_process()" in its own order):
    no ACK processing, and each segment is one of:

    * PAWS-rejected (paws_rejects) or outside the window last advertised (tw_rcv_wnd):
      answered with an ACK, rate-limited (RFC 9293 3.10.7.4 first check, RFC 7323 5.3);
    * a RST: ends it, at any sequence number in the window (RFC 5961 3.2 would challenge one
      not at RCV.NXT);
    * a SYN at or beyond RCV.NXT: a RST (TCP_TW_RST; RFC 5961 4.2 would challenge it);
    * without ACK, or empty at RCV.NXT: dropped without a reply (a SYN before RCV.NXT too);
    * new data, or a FIN not ending at RCV.NXT + 1: a RST (RFC 1122 4.2.2.13), it ends;
    * the FIN: TIME-WAIT, acknowledged (RFC 9293 3.10.7.4 eighth check)."""
    trace = layer.trace
    flags = seg.flags
    end = seq_add(seg.seq, seg.segment_len)
    edge = tcb.rcv_edge if tcb.rcv_edge is not None else seq_add(tcb.rcv_nxt, tcb.rcv_wnd())
    if paws_rejects(layer.profile, tcb, seg):
        rule = "LINUX-tcp_timewait_state_process-paws-rst" if flags & RST else \
            "RFC7323-5.3-MUST-paws"
        trace.add("tcp", DROP, rule, f"TSval older than TS.Recent {tcb.ts_recent}")
        layer.sender.oow_ack(tcb, seg, now, rule)
        return
    if not _in_window(seg.seq, end, tcb.rcv_nxt, edge):
        rule = "LINUX-tcp_timewait_state_process-fin-wait-2-oow"
        trace.add("tcp", DROP, rule, f"seq={seg.seq} end={end} outside [{tcb.rcv_nxt}, {edge})")
        layer.sender.oow_ack(tcb, seg, now, rule)
        return
    if flags & RST:
        if seg.seq == tcb.rcv_nxt:
            layer.transition(tcb, TABLES[State.FIN_WAIT_2].rst, now)
            return
        trace.add("tcp", "state", "LINUX-tcp_timewait_state_process-fin-wait-2-rst",
                  "RST in the window of an orphaned FIN-WAIT-2: closed")
        layer.delete(tcb)
        return
    if flags & SYN and seq_ge(seg.seq, tcb.rcv_nxt):
        rule = "LINUX-tcp_timewait_state_process-fin-wait-2-syn"
        layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg, rule)
        trace.add("tcp", "state", rule, "SYN in an orphaned FIN-WAIT-2: reset, closed")
        layer.delete(tcb)
        return
    if not flags & ACK or not seq_gt(end, tcb.rcv_nxt) or end == seg.seq:
        trace.add("tcp", DROP, "LINUX-tcp_timewait_state_process-fin-wait-2-drop",
                  "no ACK bit, or nothing new: dropped without a reply")
        return
    if not flags & FIN or end != seq_add(tcb.rcv_nxt, 1):
        rule = ("RFC1122-4.2.2.13-SHOULD-rst-data-after-close" if seg.payload
                else "LINUX-tcp_timewait_state_process-fin-wait-2-fin-gap")
        layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg, rule)
        trace.add("tcp", "state", rule, "new data or a FIN after a gap: reset, closed")
        layer.delete(tcb)
        return
    # The FIN (RFC 9293 3.10.7.4 eighth check): the true TIME-WAIT, the same minisocket (its
    # ACK-throttling timestamp kept); TS.Recent taken from it.
    throttle = tcb.last_oow_ack
    tcb.rcv_nxt = end
    ts = segment_timestamps(layer.profile.last_timestamps_option, seg) if tcb.ts_ok else None
    if ts is not None:
        tcb.ts_recent = ts[0]
    arm = TABLES[State.FIN_WAIT_2].fin
    layer.transition(tcb, arm, now)
    tcb.last_oow_ack = throttle
    layer.sender.send_ack(tcb, now, arm.rule)
