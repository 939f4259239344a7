"""The TCP layer of the stack: connection and listener tables, demultiplexing (RFC 9293
3.10.7), user calls (RFC 9293 3.10.1-3.10.6) and timers (3.10.8)."""

from __future__ import annotations

import errno
import random

from reference_stack.profiles import Profile
from reference_stack.route_metrics import NO_ROUTE_METRICS, RouteMetrics, describe, route_mss
from reference_stack.tcp import (
    auth_options,
    keepalive,
    loss_probe,
    option_framing,
    recovery,
    segment_arrival,
    synack_tsval,
    time_wait,
)
from reference_stack.tcp.buffers import ReceiveBuffer, SendBuffer
from reference_stack.tcp.listener import ConnOptions, Listener
from reference_stack.tcp.options import send_option_reserve
from reference_stack.tcp.output import OutSegment, Sender
from reference_stack.tcp.rto import RtoEstimator
from reference_stack.tcp.seq import HALF, MOD, seq_add, seq_diff, seq_le
from reference_stack.tcp.state import Arm, State
from reference_stack.tcp.states import TABLES
from reference_stack.tcp.states._common import RST_CLOSE
from reference_stack.tcp.tcb import (
    T_FIN_WAIT_2,
    T_KEEPALIVE,
    T_LOSS_PROBE,
    T_PERSIST,
    T_REORDER,
    T_RETRANSMIT,
    T_TIME_WAIT,
    ConnKey,
    Tcb,
)
from reference_stack.trace import DELIVER, DROP, EVENT, STATE, Trace
from reference_stack.wire.tcp import ACK, RST, TcpRepr

ANY = b"\0\0\0\0"
ANY6 = bytes(16)  # the IPv6 unspecified address (RFC 4291 2.5.2)
IPV6_EXTRA_HEADER = 20  # the IPv6 header's 40 octets against IPv4's 20
IPV6_MIN_MTU = 1280  # RFC 8200 5
RULE_PTB_REDUCE = "RFC8201-4-MUST-reduce-on-packet-too-big"
RULE_SLOW_START_L2 = "LWIP-tcp_receive-slow-start-two-segments"
RULE_UTO_FROM_HEAD = "GVISOR-retransmit_timer_expired-user-timeout-from-head-send"
RULE_RESET_CLOSING_ECONNRESET = "LINUX-tcp_reset-closing-econnreset"
RULE_CWND_WHOLE_SEGMENTS = "GVISOR-handle_rcvd_segment-cwnd-whole-segments"
# States whose receiver announces a reopened window after a read (receive()); a constant
# tuple, as an Enum member's attribute lookup is slow on the hot path.
WINDOW_UPDATE_STATES = (State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2)


JIFFY = 0.004  # Linux's timer granularity at HZ = 250 (the kernel's "fire ASAP": 1 jiffy)


class TcpLayer:
    def __init__(self, profile: Profile, rng: random.Random) -> None:
        self.profile = profile
        self.rng = rng
        self.conns: dict[ConnKey, Tcb] = {}
        self.listeners: dict[tuple[bytes, int], Listener] = {}
        self.trace = Trace()
        self.sender = Sender(profile, [], self.trace)

    def bind(self, trace: Trace, out: list[OutSegment]) -> None:
        """Direct this call's decisions and segments to `trace` and `out`."""
        self.trace = trace
        self.sender.out = out
        self.sender.trace = trace

    # -- construction ----------------------------------------------------------------------

    def new_tcb(self, local_ip: bytes, local_port: int, remote_ip: bytes, remote_port: int,
                state: State, now: float, opts: ConnOptions, iss: int | None = None) -> Tcb:
        p = self.profile
        if iss is None:
            iss = self.rng.getrandbits(32)  # RFC 9293 3.4.1 / RFC 6528: an unpredictable ISN
        route = p.route_to(remote_ip)
        tcb = Tcb(local_ip, local_port, remote_ip, remote_port, state, iss,
                  rto=RtoEstimator(p.rto_initial, p.rto_min if route.rto_min is None
                                   else route.rto_min, p.rto_max),
                  send=SendBuffer(seq_add(iss, 1), opts.sndbuf),
                  recv=ReceiveBuffer(opts.rcvbuf), route=route)
        tcb.snd_una = tcb.snd_nxt = tcb.snd_max = iss
        if p.recover_from_iss:  # RFC 6582 3.2 step 1 (recovery.py: recover lies one beyond)
            tcb.recover = seq_add(iss, 1)
        tcb.isn_name = f"isn:{local_port}>{remote_port}"
        tcb.ts_offset = self.rng.getrandbits(32)
        tcb.rcv_wscale = p.window_scale if p.window_scaling else 0
        if opts.rcvbuf_locked and p.rcvbuf_lock_window:
            self._locked_rcvbuf(tcb, opts.rcvbuf)
        tcb.nodelay = opts.nodelay
        tcb.cork = opts.cork
        tcb.df = opts.df
        # RFC 9293 3.7.1 (RFC 6691): the MSS we announce is the MTU less the fixed IP and TCP
        # headers: 20 octets more of IP header over IPv6 (RFC 8200 3); the route's attributes
        # choose it (route_metrics.announced_mss), the path MTU bounds what we send.
        mss, limit = route_mss(route, p.mtu, len(remote_ip) == 16)
        tcb.adv_mss = min(mss, opts.maxseg) if opts.maxseg else mss
        tcb.path_mss = min(limit, opts.maxseg) if opts.maxseg else limit
        if route is not NO_ROUTE_METRICS:
            self._route_chose(route, mss, limit)
        tcb.syn_window = self.initial_window(tcb)
        tcb.rcv_wnd_clamp = tcb.syn_window
        self.conns[tcb.key] = tcb
        return tcb

    def _route_chose(self, route: RouteMetrics, mss: int, limit: int) -> None:
        """Record what the route to the peer set (reference_stack/route_metrics.py)."""
        trace = self.trace
        if route.mtu or route.advmss:
            trace.add("tcp", EVENT, "LINUX-tcp_advertise_mss-route-metrics",
                      f"route {describe(route)}: MSS {mss} announced, segments of {limit} "
                      "at most (tcp_sync_mss)")
        if route.rto_min is not None:
            trace.add("tcp", EVENT, "LINUX-tcp_rto_min-route-rto-min",
                      f"route rto_min {route.rto_min:g} s: the RTO's floor")

    def _locked_rcvbuf(self, tcb: Tcb, rcvbuf: int) -> None:
        """RFC 9293 3.8.6.2.2: the window reflects the buffer the user set. Linux offers half
        the (doubled) SO_RCVBUF (tcp_win_from_space at TCP_DEFAULT_SCALING_RATIO) and scales
        the window no further than that space needs (tcp_select_initial_window)."""
        space = rcvbuf // 2
        tcb.recv.capacity = space
        if tcb.rcv_wscale:
            tcb.rcv_wscale = max(0, min(tcb.rcv_wscale, space.bit_length() - 1 - 15))
        self.trace.add("tcp", "event", "LINUX-tcp_select_initial_window-rcvbuf-lock",
                       f"SO_RCVBUF set: window space {space}, wscale {tcb.rcv_wscale}")

    def initial_window(self, tcb: Tcb, mss: int | None = None) -> int:
        """The window of our SYN or SYN-ACK: at most 65535 (RFC 7323 2.2: never scaled).
        Rounded down to ``mss`` (default: our MSS less the timestamps option) where the
        profile rounds (tcp_select_initial_window)."""
        p = self.profile
        space = min(p.initial_window_space, tcb.recv.capacity)
        if p.initial_window_mss_segments:
            # gVisor endpoint.go initialReceiveWindow: at most 2 * InitialCwnd segments of the
            # advertised MSS, rounded down to the window scale (RFC 9293 3.10.7.2: free).
            shift = tcb.rcv_wscale if p.window_scaling else 0
            space = min(space, p.initial_window_mss_segments * tcb.adv_mss) >> shift << shift
        if p.round_initial_window_to_mss:
            if mss is None:
                mss = tcb.adv_mss - (12 if tcb.ts_ok else 0)
            if space > mss:
                space -= space % mss
        if tcb.route.initrwnd:
            # RFC 9293 3.8.6.2.2 leaves the window to the receiver; a route's initrwnd bounds
            # the SYN's to that many segments (tcp_select_initial_window: init_rcv_wnd * mss).
            space = min(space, tcb.route.initrwnd * (mss or tcb.adv_mss))
            self.trace.add("tcp", EVENT, "LINUX-tcp_select_initial_window-route-initrwnd",
                           f"route initrwnd {tcb.route.initrwnd}: window {space} at most")
        return min(space, 0xFFFF)

    def initial_cwnd(self, mss: int, route_segments: int | None = None) -> int:
        """RFC 5681 3.1 (IW by SMSS), or the profile's segment count (RFC 6928), or the
        route's initcwnd (``route_segments``: tcp_init_cwnd takes RTAX_INITCWND first)."""
        n = self.profile.initial_cwnd_segments
        if route_segments:
            self.trace.add("tcp", EVENT, "LINUX-tcp_init_cwnd-route-initcwnd",
                           f"route initcwnd {route_segments}: initial window of "
                           f"{route_segments} segments")
            n = route_segments
        if n is None:
            n = 2 if mss > 2190 else (3 if mss > 1095 else 4)
        return n * mss

    # -- transitions -----------------------------------------------------------------------

    def transition(self, tcb: Tcb, arm: Arm, now: float) -> None:
        """Apply a decision-table arm: record it, move state, report errors, start timers."""
        old = tcb.state
        if arm.next is not None:
            tcb.state = arm.next
        self.trace.add("tcp", STATE, arm.rule, f"{old.value} -> {tcb.state.value}")
        if arm.errno:
            tcb.error = arm.errno
            if old is State.CLOSE_WAIT and arm.errno == errno.ECONNRESET and \
                    self.profile.reset_close_wait_epipe:
                # RFC 9293 3.10.7.4 signals "connection reset"; Linux tcp_reset reports EPIPE
                # for a reset in CLOSE-WAIT (the peer had already closed its side).
                tcb.error = errno.EPIPE
                self.trace.add("tcp", "event", "LINUX-tcp_reset-close-wait-epipe",
                               "reset in CLOSE-WAIT: EPIPE")
        elif (arm is RST_CLOSE and old in (State.CLOSING, State.LAST_ACK)
              and self.profile.reset_closing_econnreset):
            # RFC 9293 3.10.7.4 (CLOSING, LAST-ACK): a RST closes the connection without a
            # "connection reset" to the user; Linux tcp_reset sets sk_err = ECONNRESET in
            # every state but SYN-SENT, CLOSE-WAIT and CLOSED (stateful fuzz finding
            # 9cddc6abd461: send() after it fails with ECONNRESET, not EPIPE).
            tcb.error = errno.ECONNRESET
            self.trace.add("tcp", EVENT, RULE_RESET_CLOSING_ECONNRESET,
                           f"reset in {old.value}: ECONNRESET")
        if arm.send_fin:
            tcb.fin_queued = True
        if tcb.state is State.TIME_WAIT and old is not State.TIME_WAIT:
            segment_arrival.time_wait_entered(self, tcb, now)
        elif tcb.state is State.FIN_WAIT_2:
            self.arm_fin_wait_2(tcb, now)
        if tcb.state is State.CLOSED:
            self.delete(tcb)

    def arm_fin_wait_2(self, tcb: Tcb, now: float) -> None:
        """An orphaned connection (its socket closed) waits in FIN-WAIT-2 only so long; RFC
        9293 sets no limit, Linux uses tcp_fin_timeout."""
        limit = self.profile.fin_wait_2_timeout
        if tcb.orphan and limit is not None and tcb.state is State.FIN_WAIT_2:
            tcb.timers.set(T_FIN_WAIT_2, now + limit)
        if time_wait.in_fin_wait_2_minisock(self.profile, tcb):
            # Linux tcp_time_wait(sk, TCP_FIN_WAIT2, ..): the minisocket's own ACK-throttling
            # timestamp starts unarmed (tw_last_oow_ack_time = 0; RFC 5961 7).
            tcb.last_oow_ack = None
            time_wait.full_socket_freed(self, tcb)

    def delete(self, tcb: Tcb) -> None:
        tcb.state = State.CLOSED
        tcb.timers.clear()
        self.conns.pop(tcb.key, None)
        lst = tcb.listener
        if isinstance(lst, Listener):
            lst.pending.pop(tcb.key, None)

    def established_passive(self, tcb: Tcb) -> None:
        lst = tcb.listener
        if isinstance(lst, Listener) and tcb.key in lst.pending:
            lst.pending.pop(tcb.key, None)
            lst.accept_queue.append(tcb)
            # RFC 9293 3.10.1: the passive OPEN's connection is handed to the user (accept()).
            self.trace.add("socket", DELIVER, "RFC9293-3.10.1-MUST-passive-open-complete",
                           f"accept queue {len(lst.accept_queue)}/{lst.backlog}")

    def acknowledge(self, tcb: Tcb, ack: int, now: float) -> None:
        """SND.UNA < SEG.ACK =< SND.NXT: advance SND.UNA (RFC 9293 3.10.7.4 fifth check)."""
        # (seq_diff, seq_lt and seq_gt inline: every ACK that acknowledges new data)
        acked = (ack - tcb.snd_una) & 0xFFFFFFFF
        if acked > HALF:
            acked -= MOD
        grow = acked - (tcb.snd_una == tcb.iss)  # (the SYN's octet is no data: RFC 5681 3.1)
        if grow > 0 and self.profile.slow_start_whole_segments:
            grow = loss_probe.segments_acked(tcb, ack) * tcb.mss
            if not grow:
                self.trace.add("tcp", EVENT, RULE_CWND_WHOLE_SEGMENTS,
                               "part of a segment acknowledged: cwnd unchanged")
        tcb.bytes_acked += acked
        tcb.send.acknowledge(ack)
        tcb.snd_una = ack
        snd_nxt = tcb.snd_nxt
        if snd_nxt != ack and ((snd_nxt - ack) & 0xFFFFFFFF) > HALF:  # (common: all acked)
            tcb.snd_nxt = snd_nxt = ack
        rtt_seq = tcb.rtt_seq
        if rtt_seq is not None and 0 < ((ack - rtt_seq) & 0xFFFFFFFF) <= HALF:
            tcb.rto.sample(now - tcb.rtt_start)  # RFC 6298 2.2-2.3, Karn-valid sample
            tcb.rtt_seq = None
        tcb.retries = 0
        if tcb.snd_up is not None and seq_diff(ack, tcb.snd_up) >= 0:
            tcb.snd_up = None  # the urgent data is acknowledged: urgent mode ends
        tcb.dupacks = 0
        board = tcb.board
        if grow > 0 and (board is None or board.high is None):
            self._grow_cwnd(tcb, grow)  # (fast recovery sets cwnd: tcp/recovery.py)
        # RFC 6298 5.2-5.3: stop the timer when all is acknowledged, else restart it.
        if tcb.tlp_high is not None:
            loss_probe.acknowledged(tcb, ack)
        if tcb.sent_at:
            loss_probe.forget_sent(tcb, ack)
        if snd_nxt == ack:  # (in_flight() == 0: SND.UNA is `ack`)
            tcb.timers.pop(T_RETRANSMIT, None)  # (cancel: a C call)
            tcb.timers.pop(T_LOSS_PROBE, None)  # (cancel: a C call)
        else:
            tcb.timers.set(T_RETRANSMIT, now + tcb.rto.rto)
            loss_probe.arm(self.profile, tcb, now, advancing=True)

    def _grow_cwnd(self, tcb: Tcb, acked: int) -> None:
        """RFC 5681 3.1: slow start below ssthresh (cwnd += min(N, SMSS), or every segment
        acknowledged: profile slow_start_counts_segments), congestion avoidance above (about
        one SMSS per RTT, never more)."""
        mss = tcb.mss
        if tcb.cwnd < tcb.ssthresh:
            counts_segments = self.profile.slow_start_counts_segments
            if counts_segments:
                # Linux tcp_slow_start, gVisor updateSlowStart: cwnd = min(cwnd + acked
                # segments, ssthresh) (below ssthresh here: comparisons, not builtin calls, on
                # every ACK of new data)
                cwnd = tcb.cwnd + -(-acked // mss) * mss
                tcb.cwnd = cwnd if cwnd < tcb.ssthresh else tcb.ssthresh
                if acked > mss:
                    self.trace.add("tcp", EVENT, counts_segments,
                                   f"slow start: cwnd {tcb.cwnd // mss} segments")
            else:
                tcb.cwnd += min(acked, self._slow_start_limit(tcb, acked) * mss)
        else:
            tcb.cwnd += max(1, mss * mss // max(tcb.cwnd, 1))

    def _slow_start_limit(self, tcb: Tcb, acked: int) -> int:
        """RFC 3465 2.2's L, in segments, for this ACK: the profile's (RFC 5681 3.1: 1), but
        1 while the data sent before a timeout is unacknowledged (lwIP's TF_RTO: SND.UNA
        before this ACK is below SND.MAX at the timeout, rto_end), recorded when above 1."""
        limit = self.profile.slow_start_limit_segments
        if limit == 1:
            return 1
        rto_end = tcb.rto_end
        if rto_end is not None and seq_diff((tcb.snd_una - acked) & 0xFFFFFFFF, rto_end) < 0:
            return 1
        if acked > tcb.mss:
            self.trace.add("tcp", EVENT, RULE_SLOW_START_L2,
                           f"slow start: cwnd += min(acked, {limit} * SMSS)")
        return limit

    # -- following the target's choices ----------------------------------------------------

    def rebase_isn(self, isn_name: str, isn: int) -> bool:
        """Renumber a connection's send sequence space so that its ISS is `isn` (the ISN the
        target chose, RFC 9293 3.4.1 leaves it free): frames crafted against the target's
        numbers then mean the same to the oracle."""
        for tcb in self.conns.values():
            if tcb.isn_name == isn_name:
                delta = (isn - tcb.iss) & 0xFFFFFFFF
                for name in ("iss", "snd_una", "snd_nxt", "snd_max", "snd_wl2"):
                    setattr(tcb, name, seq_add(getattr(tcb, name), delta))
                tcb.send.base = seq_add(tcb.send.base, delta)
                if tcb.fin_seq is not None:
                    tcb.fin_seq = seq_add(tcb.fin_seq, delta)
                if tcb.board is not None:
                    tcb.board.shift(delta)
                for name in ("rtt_seq", "snd_sml", "tail_seq", "tlp_high", "recover"):
                    if getattr(tcb, name) is not None:
                        setattr(tcb, name, seq_add(getattr(tcb, name), delta))
                # (the segments in flight too: loss_probe reads them in sequence order)
                tcb.sent_at = {seq_add(start, delta): (seq_add(end, delta), at)
                               for start, (end, at) in tcb.sent_at.items()}
                tcb.out_template = None  # (its ISS: Sender.emit makes it again)
                return True
        return False

    def adopt_synack_tsval(self, name: str, tsval: int) -> None:
        """The target's TSval in the SYN,ACK of the request socket `name` binds
        (tcp/synack_tsval.py): its TSecr check then judges the target's clock."""
        for tcb in self.conns.values():
            if tcb.passive and synack_tsval.binding(tcb) == name:
                synack_tsval.adopt(tcb, tsval)
                return

    def rebase_port(self, remote_port: int, port: int) -> Tcb | None:
        """Move the connection whose local port the stack chose (RFC 6056) to `port`, the one
        the target chose, keeping the connection table keyed right."""
        for key, tcb in list(self.conns.items()):
            if tcb.ephemeral and tcb.remote_port == remote_port:
                if tcb.local_port != port:
                    del self.conns[key]
                    tcb.local_port = port
                    tcb.out_template = None  # (its port: Sender.emit makes it again)
                    self.conns[tcb.key] = tcb
                return tcb
        return None

    # -- input -----------------------------------------------------------------------------

    def input(self, src: bytes, dst: bytes, seg: TcpRepr, now: float) -> None:
        tcb = self.conns.get((dst, seg.dst_port, src, seg.src_port))
        reopen_above = None
        if tcb is not None and tcb.state is State.TIME_WAIT and self._listener(dst, seg) \
                and segment_arrival.time_wait_reopen(self, tcb, seg):
            reopen_above = seq_add(tcb.snd_nxt, 0xFFFF + 2)  # Linux: tw snd_nxt + 65535 + 2
            tcb = None
        if self.profile.bad_option_length_drops and option_framing.drops(seg):
            self.trace.add("tcp", DROP, option_framing.RULE, "illegal option length")
            return
        if self.profile.inbound_auth_check and seg.options and not (
                tcb is not None and time_wait.in_minisock(self.profile, tcb)):
            rule = auth_options.check(seg, self.profile.auth_framing_checked)
            if rule is not None:
                # Linux tcp_inbound_hash, before any state processing (tcp/auth_options.py);
                # without a socket tcp_v4_send_reset sends no RST either.
                if tcb is None and self._listener(dst, seg) is None:
                    rule = auth_options.RULE_NO_RST
                self.trace.add("tcp", DROP, rule, "TCP MD5 option unexpected or broken framing")
                return
        if tcb is not None:
            tcb.last_rcv = now
            self.trace.note("tcp", "accept", "RFC9293-3.10.7-MUST-demux", "connection in {}",
                            tcb.state.value)
            if tcb.state is State.SYN_SENT:
                segment_arrival.syn_sent(self, tcb, seg, now)
            elif time_wait.in_minisock(self.profile, tcb):
                # Linux's timewait socket answers from the control socket (its DF:
                # tcp/dont_fragment.py)
                self.sender.minisock = True
                try:
                    if tcb.state is State.TIME_WAIT:
                        time_wait.linux_time_wait(self, tcb, seg, now)
                    else:
                        time_wait.linux_fin_wait_2(self, tcb, seg, now)
                finally:
                    self.sender.minisock = False
            else:
                segment_arrival.synchronized(self, tcb, seg, now)
            return
        lst = self._listener(dst, seg)
        if lst is not None:
            self.trace.add("tcp", "accept", "RFC9293-3.10.7.2-MUST-demux-listen")
            segment_arrival.listen(self, lst, src, dst, seg, now, iss=reopen_above)
            return
        segment_arrival.closed(self, src, dst, seg)

    def _listener(self, dst: bytes, seg: TcpRepr) -> Listener | None:
        port = seg.dst_port
        if len(dst) == 16:
            return self.listeners.get((dst, port)) or self.listeners.get((ANY6, port))
        lst = self.listeners.get((dst, port)) or self.listeners.get((ANY, port))
        if lst is None:
            # RFC 4291 2.5.5.2 (RFC 3493 3.7): a listener on the IPv6 unspecified address
            # without IPV6_V6ONLY takes IPv4 connections too, as IPv4-mapped peers.
            lst = self.listeners.get((ANY6, port))
            if lst is not None and lst.v6only:
                return None
        return lst

    # -- timers (RFC 9293 3.10.8, RFC 6298 5) ----------------------------------------------

    def poll_at(self) -> float | None:
        best = None
        for tcb in self.conns.values():
            t = tcb.timers.earliest()
            if t is not None and (best is None or t < best):
                best = t
        return best

    def poll(self, now: float) -> None:
        for tcb in list(self.conns.values()):
            for name in tcb.timers.pop_due(now):
                if tcb.state is State.CLOSED:
                    break
                if name == T_RETRANSMIT:
                    if tcb.timers.is_set(T_RETRANSMIT):
                        continue  # re-armed by a loss probe that fired at the same time
                    self._retransmit_timeout(tcb, now)
                elif name == T_LOSS_PROBE:
                    loss_probe.fire(self.sender, tcb, now)
                elif name == T_REORDER:
                    recovery.reorder_timeout(self, tcb, now)
                elif name == T_KEEPALIVE:
                    keepalive.fire(self, tcb, now)
                elif name == T_PERSIST:
                    self._persist_timeout(tcb, now)
                elif name == T_TIME_WAIT:
                    self.transition(tcb, TABLES[State.TIME_WAIT].timeout, now)
                elif name == T_FIN_WAIT_2:
                    self.trace.add("tcp", STATE, "LINUX-tcp_fin_timeout",
                                   "orphaned FIN-WAIT-2 connection dropped")
                    self.delete(tcb)

    def _retransmit_timeout(self, tcb: Tcb, now: float) -> None:
        p = self.profile
        rule = "RFC9293-3.8.3-MUST-r2-abort"
        if tcb.state is State.SYN_RECEIVED and tcb.passive:
            lst = tcb.listener
            if isinstance(lst, Listener) and lst.pending.get(tcb.key):
                # a SYN cookie's SYN,ACK (Linux tcp_conn_request, no request socket): never
                # retransmitted; the ACK that echoes the cookie may still complete it
                self.trace.add("tcp", EVENT, "LINUX-tcp_conn_request-syn-cookie",
                               "no retransmission of a cookie SYN,ACK")
                return
            limit = p.synack_retries
        elif tcb.state is State.SYN_SENT:
            # RFC 9293 3.8.3 R2; Linux tcp_write_timeout: in SYN-SENT, max_retransmits =
            # tcp_syn_retries + tcp_syn_linear_timeouts (the linear ones come on top)
            limit = p.syn_retries + p.syn_linear_timeouts
            if p.syn_linear_timeouts:
                rule = "LINUX-tcp_write_timeout-syn-linear-retries"
        elif tcb.state is State.SYN_RECEIVED:
            limit = p.syn_retries
        elif tcb.orphan and p.orphan_retries is not None:
            # RFC 9293 3.8.3 R2; Linux tcp_write_timeout bounds an orphan by
            # tcp_orphan_retries() (net.ipv4.tcp_orphan_retries)
            limit, rule = p.orphan_retries, "LINUX-tcp_write_timeout-orphan-retries"
        else:
            limit = p.data_retries
            if p.retries_by_time:
                rule = "LINUX-retransmits_timed_out-r2-by-time"
        expired = self._given_up(tcb, limit, now)
        if tcb.user_timeout and tcb.retries == 0 and p.user_timeout_from_head_send:
            # gVisor snd.go retransmitTimerExpired: the user timeout runs from the head
            # segment's last transmission (firstRetransmittedSegXmitTime), checked now too
            tcb.retrans_stamp = loss_probe.head_sent(tcb, now)
            self.trace.add("tcp", EVENT, RULE_UTO_FROM_HEAD,
                           f"user timeout counted from {tcb.retrans_stamp:g}s")
        if tcb.user_timeout and (tcb.retries or p.user_timeout_from_head_send) and \
                now - tcb.retrans_stamp >= tcb.user_timeout - 1e-9:
            # RFC 1122 4.2.3.5: the application sets R2 for its connection; RFC 9293 3.9.1.1
            # OPEN's timeout: data not delivered within it aborts the connection (Linux
            # retransmits_timed_out with icsk_user_timeout, any state)
            rule, expired = "RFC1122-4.2.3.5-MUST-r2-settable", True
        if expired:
            self.trace.add("tcp", STATE, rule,
                           f"{tcb.retries} retransmissions: connection timed out")
            tcb.error = errno.ETIMEDOUT
            self.delete(tcb)
            return
        tcb.retries += 1
        if tcb.retries == 1 and not (tcb.user_timeout and p.user_timeout_from_head_send):
            tcb.retrans_stamp = now
        loss_probe.cancel(tcb)
        # RFC 6298 5.5: back off (a profile may keep a SYN's first timeouts linear, Linux
        # tcp_syn_linear_timeouts); RFC 5681 3.1 eq. 4: ssthresh, cwnd = 1 segment.
        if tcb.state is State.SYN_SENT and tcb.retries <= p.syn_linear_timeouts:
            self.trace.add("tcp", EVENT, "LINUX-tcp_retransmit_timer-syn-linear",
                           f"SYN timeout {tcb.retries} of {p.syn_linear_timeouts}: no backoff")
        else:
            tcb.rto.backoff()
        if tcb.retries == 1:
            # RFC 5681 3.1: ssthresh on the first timeout of a segment (eq. 4, or the
            # profile's multiplicative decrease), cwnd = the loss window, one segment
            tcb.ssthresh = recovery.ssthresh_after_loss(p, tcb)
            self.trace.add("tcp", EVENT, recovery.RULE_CUBIC if p.recovery_beta is not None
                           else "RFC5681-3.1-MUST-ssthresh-on-rto",
                           f"ssthresh {tcb.ssthresh // tcb.mss} segments")
        tcb.cwnd = tcb.mss
        tcb.rto_end = tcb.snd_max
        recovery.timeout(tcb)
        self.trace.add("tcp", EVENT, "RFC6298-5.4-MUST-retransmit-earliest",
                       f"RTO expired, retry {tcb.retries}, next RTO {tcb.rto.rto:g}s")
        tcb.snd_nxt = tcb.snd_una  # retransmit from the earliest unacknowledged segment
        if p.rto_retransmits_head:
            # Linux tcp_retransmit_timer -> tcp_retransmit_skb: the head of the retransmission
            # queue alone (later segments sent before collapsed into it up to an MSS), never
            # data not sent before, and nothing new.
            self.trace.add("tcp", EVENT, "LINUX-tcp_retransmit_timer-head-only",
                           "one segment, of sequence space sent before")
        if p.rto_resends_head_segment:
            # gVisor snd.go retransmitTimerExpired -> sendData: the head segment as sent, in a
            # congestion window of one packet.
            self.trace.add("tcp", EVENT, "GVISOR-retransmit_timer_expired-head-segment",
                           "the head segment alone, its boundaries as sent")
        self.sender.transmit(tcb, now, head=p.rto_retransmits_head or p.rto_resends_head_segment)
        # RFC 6298 5.6: restart the timer with the backed-off value.
        tcb.timers.set(T_RETRANSMIT, now + self._rto_within_user_timeout(tcb, now))

    def _rto_within_user_timeout(self, tcb: Tcb, now: float) -> float:
        """The backed-off RTO, cut to what is left of the user timeout (Linux
        tcp_clamp_rto_to_user_timeout: the connection is given up when the user timeout
        passes, not at the next full RTO; one jiffy once it has passed)."""
        rto = tcb.rto.rto
        if not tcb.user_timeout or not self.profile.user_timeout_clamps_rto:
            return rto
        remaining = tcb.user_timeout - (now - tcb.retrans_stamp)
        if remaining >= rto:
            return rto
        self.trace.add("tcp", EVENT, "LINUX-tcp_clamp_rto_to_user_timeout",
                       f"RTO {rto:g}s cut to the user timeout's remaining {max(remaining, 0):g}s")
        return max(remaining, JIFFY)

    def _given_up(self, tcb: Tcb, limit: int, now: float) -> bool:
        """RFC 9293 3.8.3 R2: `limit` retransmissions made. A profile with retries_by_time
        (Linux retransmits_timed_out) compares, in synchronized states, the time since the
        first retransmission with what `limit` backed-off retransmissions from the minimum
        RTO take (tcp_model_timeout)."""
        p = self.profile
        if not p.retries_by_time or tcb.state in (State.SYN_SENT, State.SYN_RECEIVED):
            return tcb.retries >= limit
        if tcb.retries == 0:
            return False
        # tcp_model_timeout: doubling from rto_min up to rto_max, then rto_max each
        linear = 0
        while p.rto_min * (2 << linear) <= p.rto_max:
            linear += 1
        if limit <= linear:
            budget = ((2 << limit) - 1) * p.rto_min
        else:
            budget = ((2 << linear) - 1) * p.rto_min + (limit - linear) * p.rto_max
        return now - tcb.retrans_stamp >= budget - 1e-9

    def _persist_timeout(self, tcb: Tcb, now: float) -> None:
        """RFC 9293 3.8.6.1, RFC 1122 4.2.2.17: probe the zero window, backing off; in an
        open window, send what a cork held (RFC 1122 4.2.2.2)."""
        if tcb.snd_wnd and tcb.unsent() and not tcb.in_flight():
            # Linux tcp_send_probe0 -> tcp_write_wakeup: the held data goes, up to an MSS, as
            # far as the window allows, with PSH.
            self.trace.add("tcp", EVENT, "RFC1122-4.2.2.2-MUST-not-buffer-indefinitely",
                           "the probe timer sends the data a cork held")
            self.sender.transmit(tcb, now, probe=True)
            return
        if tcb.snd_wnd or (tcb.unsent() == 0 and not (
                self.profile.fin_obeys_send_window and tcb.fin_queued and not tcb.fin_sent())):
            return
        from reference_stack.profiles import PROBE_OLD_SEQ
        if self.profile.zero_window_probe == PROBE_OLD_SEQ:
            self.sender.emit(tcb, ACK, seq_add(tcb.snd_una, -1), now,
                             "RFC1122-4.2.2.17-MUST-zero-window-probe")
        else:
            self.sender.emit(tcb, ACK, tcb.snd_nxt, now,
                             "RFC1122-4.2.2.17-MUST-zero-window-probe",
                             tcb.send.chunk(tcb.snd_nxt, 1))
        tcb.persist_backoff += 1
        tcb.timers.set(T_PERSIST, now + tcb.persist_interval(self.profile.rto_min))

    # -- user calls (RFC 9293 3.10.1-3.10.6) -----------------------------------------------

    def open_active(self, local_ip: bytes, local_port: int, remote_ip: bytes,
                    remote_port: int, now: float, opts: ConnOptions,
                    ephemeral: bool = False) -> Tcb:
        tcb = self.new_tcb(local_ip, local_port, remote_ip, remote_port, State.SYN_SENT, now,
                           opts)
        tcb.ephemeral = ephemeral
        self.trace.add("tcp", STATE, "RFC9293-3.10.1-MUST-active-open", "CLOSED -> SYN-SENT")
        self.sender.transmit(tcb, now)
        return tcb

    def send(self, tcb: Tcb, data: bytes, now: float, urgent: bool = False,
             more: bool = False) -> int:
        """SEND (RFC 9293 3.10.2); `more`: a SEND without PUSH (MSG_MORE), whose partial
        segment waits for the next SEND (RFC 1122 4.2.2.2; Linux tcp_push, TCP_NAGLE_CORK for
        this call only)."""
        if self.profile.nagle_new_data_only:  # (gVisor: each SEND's bounds, tcp/output.py)
            start = tcb.send.end()
            n = tcb.send.write(data)
            if n:
                tcb.writes.append((start, tcb.send.end()))
        else:
            n = tcb.send.write(data)
        if urgent and n:
            tcb.snd_up = tcb.send.end()  # RFC 9293 3.10.2: SND.UP past the urgent data
        if more:
            p = self.profile
            self.sender.transmit(tcb, now, corked=p.msg_more_holds,
                                 no_push=p.msg_more_clears_psh)
        else:
            self.sender.transmit(tcb, now)
        return n

    def receive(self, tcb: Tcb, n: int, now: float) -> bytes:
        shift = tcb.rcv_wscale
        before = tcb.rcv_wnd() >> shift  # (advertised_window(), inline, here and below)
        data = tcb.recv.read(n)
        # RFC 9293 3.8.6.2.2 / RFC 1122 4.2.3.3: announce a window that reopened by at least
        # one MSS (or half the buffer) after the application read (receiver SWS avoidance).
        if data and tcb.state in WINDOW_UPDATE_STATES:
            mss, half = tcb.mss, tcb.recv.capacity // 2  # (min(), as a comparison)
            if before == 0 or ((tcb.rcv_wnd() >> shift) - before) << shift >= (
                    mss if mss < half else half):
                self.sender.send_ack(tcb, now, "RFC9293-3.8.6.2.2-SHOULD-window-update")
        return data

    def close(self, tcb: Tcb, now: float) -> int:
        arm = TABLES[tcb.state].close
        if arm is None or not arm.accept:
            return arm.errno if arm is not None else errno.ENOTCONN
        self.transition(tcb, arm, now)
        self.sender.transmit(tcb, now)
        return 0

    def abort(self, tcb: Tcb, now: float, rule: str = "RFC9293-3.10.5-MUST-abort-rst",
              unread: bool = False) -> None:
        """ABORT (RFC 9293 3.10.5): send <SEQ=SND.NXT><CTL=RST> in synchronized states.
        `unread`: a close() that discards unread data (RFC 1122 4.2.2.13)."""
        if unread and tcb.state in (State.CLOSING, State.LAST_ACK) and \
                self.profile.close_unread_resets_any_state:
            # RFC 9293 3.10.5 sends no RST in CLOSING or LAST-ACK; Linux tcp_close resets a
            # connection whose unread data it discards in any state (tcp_send_active_reset).
            self.trace.add("tcp", EVENT, "LINUX-tcp_close-unread-data-reset",
                           f"unread data discarded in {tcb.state.value}: RST")
            self.sender.emit(tcb, RST | ACK, tcb.snd_nxt, now, rule)
        elif tcb.state in (State.SYN_RECEIVED, State.ESTABLISHED, State.FIN_WAIT_1,
                           State.FIN_WAIT_2, State.CLOSE_WAIT):
            # RFC 9293 3.10.5: <SEQ=SND.NXT><CTL=RST>; the ACK bit is set as Linux does
            # (tcp_send_active_reset), which RFC 9293 3.5.2 permits.
            self.sender.emit(tcb, RST | ACK, tcb.snd_nxt, now, rule)
        self.trace.add("tcp", STATE, rule, f"{tcb.state.value} -> CLOSED")
        self.delete(tcb)

    def drop_listener(self, lst: Listener, now: float) -> None:
        """Closing a listener (RFC 9293 3.10.4 LISTEN): embryonic connections are forgotten,
        unaccepted established ones are aborted with a RST (Linux inet_csk_listen_stop)."""
        self.listeners.pop((lst.local_ip, lst.port), None)
        for key in list(lst.pending):
            tcb = self.conns.get(key)
            if tcb is not None:
                self.trace.add("tcp", STATE, "RFC9293-3.10.4-MUST-close-listen",
                               "embryonic connection dropped")
                self.delete(tcb)
        while lst.accept_queue:
            self.abort(lst.accept_queue.popleft(), now)
        self.trace.add("tcp", DROP, "RFC9293-3.10.4-MUST-close-listen")

    def packet_too_big(self, key: ConnKey, seq: int, mtu: int, now: float) -> None:
        """RFC 8201 4, 5.2: a Packet Too Big about a segment of connection `key` (sequence
        number `seq`) reporting `mtu`: the segment size shrinks to fit (MSS = MTU - 60, the
        options deducted as at the handshake), never below what 1280 allows, never up; what
        is in flight is sent again in segments that fit (Linux tcp_v6_mtu_reduced ->
        tcp_simple_retransmit, which leaves the congestion window as it is)."""
        p = self.profile
        tcb = self.conns.get(key)
        if tcb is None or tcb.state in (State.SYN_SENT, State.CLOSED) or not tcb.negotiated:
            self.trace.add("tcp", DROP, RULE_PTB_REDUCE, "no connection to tell")
            return
        if p.ptb_checks_sequence and not (seq_le(tcb.snd_una, seq) and seq_le(seq,
                                                                            tcb.snd_nxt)):
            self.trace.add("tcp", DROP, "LINUX-tcp_v6_err-sequence-check",
                           "quoted sequence number outside SND.UNA..SND.NXT")
            return
        if mtu < IPV6_MIN_MTU:
            if p.ptb_below_minimum_ignored:
                self.trace.add("tcp", DROP, "LINUX-tcp_v6_err-below-minimum",
                               f"MTU {mtu} below 1280: ignored")
                return
            self.trace.add("tcp", EVENT, "RFC8201-4-MUST-NOT-below-minimum-mtu",
                           f"MTU {mtu}: the estimate is 1280")
            mtu = IPV6_MIN_MTU
        reserve = send_option_reserve(tcb.ts_ok, tcb.sack_ok, p.mss_reserves_sack)
        mss = mtu - 60 - reserve
        if mss >= tcb.mss:
            self.trace.add("tcp", DROP, "RFC8201-4-MUST-NOT-increase-on-packet-too-big",
                           f"MTU {mtu} allows {mss}, the MSS is {tcb.mss}")
            return
        self.trace.add("tcp", EVENT, RULE_PTB_REDUCE, f"path MTU {mtu}: MSS {tcb.mss} -> {mss}")
        tcb.mss = mss
        if tcb.in_flight() > 0:
            self.trace.add("tcp", EVENT, "RFC8201-5.2-SHOULD-tcp-segments-fit-pmtu",
                           "what is in flight again, in segments that fit")
            tcb.snd_nxt = tcb.snd_una
            self.sender.transmit(tcb, now)
            tcb.timers.set(T_RETRANSMIT, now + tcb.rto.rto)

    def icmp_error(self, key: ConnKey, icmp_type: int, code: int, err: int | None,
                   hard: bool) -> None:
        """An ICMP or ICMPv6 error quoting a segment of connection `key` (RFC 1122 4.2.3.9,
        RFC 9293 3.9.2.2); `err`: the errno it converts to (Linux icmp_err_convert,
        icmpv6_err_convert; None: none), `hard`: Protocol or Port Unreachable (over IPv6:
        icmpv6_err_convert's fatal ones, iface/icmpv6_notify.py)."""
        tcb = self.conns.get(key)
        ipv6 = len(key[0]) == 16
        if tcb is not None and err is not None and tcb.state is State.SYN_SENT:
            if hard:
                self.trace.add("tcp", EVENT, "RFC1122-4.2.3.9-SHOULD-abort-on-hard-error",
                               "destination unreachable in SYN-SENT")
                tcb.error = err
                self.delete(tcb)
                return
            if self.profile.syn_sent_aborts_on_soft_error and (
                    not self.profile.soft_error_abort_host_only
                    or (not ipv6 and (icmp_type, code) == (3, 1))):
                # RFC 1122 4.2.3.9 (RFC 9293 3.9.2.2, ICMPv6 too) says a soft error MUST NOT
                # abort; Linux tcp_v4_err and tcp_v6_err end a connection attempt on any error
                # quoting the SYN (RFC 5461 4).
                self.trace.add("tcp", EVENT, ("LINUX-tcp_v6_err-syn-sent-abort" if ipv6
                                              else "LINUX-tcp_v4_err-syn-sent-abort"),
                               f"soft error (code {code}) in SYN-SENT")
                tcb.error = err
                self.delete(tcb)
                return
        self.trace.add("tcp", EVENT, "RFC1122-4.2.3.9-MUST-soft-error",
                       f"ICMP type {icmp_type} code {code}")
