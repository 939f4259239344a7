"""Building and sending segments: the SEND side of a TCB (RFC 9293 3.8, 3.10.2; RFC 6298 5;
RFC 1122 4.2.3.4 Nagle and sender SWS avoidance; RFC 5681 congestion window)."""

from __future__ import annotations

from collections.abc import Callable

from reference_stack.profiles import Profile
from reference_stack.tcp import ack_throttle, loss_probe, netstack_window, synack_tsval
from reference_stack.tcp.dont_fragment import connection_df, reply_df
from reference_stack.tcp.options import data_options, syn_options
from reference_stack.tcp.segment_template import SegmentTemplate
from reference_stack.tcp.seq import HALF, MOD, seq_add, seq_diff, seq_le, seq_lt
from reference_stack.tcp.state import SENDING_STATES, State
from reference_stack.tcp.tcb import T_LOSS_PROBE, T_PERSIST, T_RETRANSMIT, Tcb
from reference_stack.tcp.variance import segment_variance
from reference_stack.trace import EVENT, REPLY, Trace
from reference_stack.variance import AnyValue, Range
from reference_stack.wire.tcp import (
    ACK,
    CWR,
    ECE,
    FIN,
    PSH,
    RST,
    SYN,
    URG,
    TcpOptNop,
    TcpOptTimestamps,
    TcpRepr,
    flags_str,
)

DELAYED_ACK = Range(0, 500)
MAY_DELAY = {"timing.delay_ms": DELAYED_ACK}  # extra variance of a delayable ACK (read only)
DELAYED_ACK_S = DELAYED_ACK.hi / 1000
RULE_ROUTE_QUICKACK = "LINUX-tcp_in_quickack_mode-route-quickack"

RULE_NAGLE_NEW_DATA_ONLY = "GVISOR-maybe_send_segment-nagle-new-data-only"
OPENING_STATES = (State.SYN_SENT, State.SYN_RECEIVED)  # (a constant: Enum lookups are slow)


def _reply_detail(flags: int, seq: int, ack: int, length: int) -> str:
    return f"[{flags_str(flags)}] seq={seq} ack={ack} len={length}"


# A segment for the IP layer: (src, dst, tcp, rule, variance, wire, df), with the rule that
# produced it and its allowed variance. Either `tcp` (a TcpRepr the IP layer emits) or `wire`
# (the segment's octets, written from the connection's template) is set; `variance` is a
# dict, or (function, args) that builds it (the IP layer builds it only if the prediction's
# variance is read); `df` None: the profile's tcp_df (tcp/dont_fragment.py). (A plain tuple:
# a named tuple's constructor runs a Python-level __new__, per segment sent.)
OutSegment = tuple[bytes, bytes, "TcpRepr | None", str, "dict | tuple[Callable, tuple]",
                   "bytes | None", "bool | None"]


def _template_variance(profile: Profile, view: SegmentTemplate, seq: int, ack: int, flags: int,
                       window: int, ts: tuple[int, int] | None, payload: bytes,
                       extra_variance: dict | None) -> dict:
    """The variance of a segment written from a template, built when read: the segment's
    TcpRepr, then segment_variance as Sender.emit computes it for any other segment."""
    seg = TcpRepr(view.local_port, view.remote_port, seq=seq, ack=ack, flags=flags,
                  window=window, payload=payload, options=data_options(ts, ()))
    variance = segment_variance(profile, view, seg)
    if extra_variance:
        variance.update(extra_variance)
    return variance


RULE_SACK_ESTABLISHED_ONLY = "GVISOR-send_raw-sack-blocks-established-only"


def _sack_withheld(trace: Trace, tcb: Tcb) -> bool:
    """RFC 2018 4 reports held out-of-order data in every ACK; netstack's connect.go sendRaw
    adds SACK blocks only in ESTABLISHED (profile sack_blocks_established_only)."""
    trace.add("tcp", EVENT, RULE_SACK_ESTABLISHED_ONLY,
              f"out-of-order data held in {tcb.state.value}: no SACK blocks")
    return True


RULE_ACK_AT_SND_MAX = "GVISOR-send_empty_segment-ack-at-snd-max"


def _ack_at_snd_max(trace: Trace, tcb: Tcb) -> int:
    """netstack's empty ACK after an RTO (profile empty_ack_at_snd_max): snd.go sendAck sends
    at SndNxt, the highest sequence number sent, where RFC 9293 sends at SND.NXT, which the
    RTO brought back (RFC 6298 5.4)."""
    trace.add("tcp", EVENT, RULE_ACK_AT_SND_MAX,
              f"SEQ = SND.MAX {tcb.snd_max}, not SND.NXT {tcb.snd_nxt}")
    return tcb.snd_max


class Sender:
    """Emits segments of connections into an output list, recording each in the trace."""

    __slots__ = ("profile", "out", "trace", "minisock", "held")

    def __init__(self, profile: Profile, out: list[OutSegment], trace: Trace) -> None:
        self.profile = profile
        self.out = out
        self.trace = trace
        # True while a Linux timewait socket (TIME-WAIT, FIN-WAIT-2) handles a segment: what
        # it sends leaves from the control socket (tcp/dont_fragment.py)
        self.minisock = False
        # With the profile's nic_holds_last_frame: the connection and sequence number of the
        # segment the interface sent last when it carried sequence space (None: another
        # frame went after it: emit, or other_frame_sent).
        self.held: tuple[Tcb, int] | None = None

    # -- segments of a connection --------------------------------------------------------

    def emit(self, tcb: Tcb, flags: int, seq: int, now: float, rule: str,
             payload: bytes = b"", extra_variance: dict | None = None) -> None:
        # (Every segment sent comes here: the helpers of the common segment are inline.)
        p = self.profile
        syn = flags & SYN
        ts = None
        if tcb.ts_ok or (syn and not tcb.negotiated and p.timestamps):
            # RFC 7323 5.4: TSval, tcb.ts_now(now) inline.
            ts = ((tcb.ts_offset + int(now * 1000)) & 0xFFFFFFFF,
                  tcb.ts_recent if flags & ACK else 0)
        opts = None
        if syn:
            window = tcb.syn_window
            opts = syn_options(
                tcb.adv_mss,
                tcb.rcv_wscale if (tcb.ws_ok or not tcb.negotiated) and
                p.window_scaling else None,
                tcb.sack_ok or (not tcb.negotiated and p.sack), ts)
        else:
            if p.window_align_up:
                # The window field as Linux picks it: RCV.WND rounded up to the scale unit
                # (__tcp_select_window's ALIGN; RFC 7323 2.3 leaves the rounding free).
                # (Linux's tcp_select_window also never moves the advertised edge back,
                # which this does not model: the oracle's RCV.WND is free buffer space, not
                # Linux's rcv_ssthresh.)
                shift = tcb.rcv_wscale
                window = (tcb.rcv_wnd() + (1 << shift) - 1) >> shift
                if window > 0xFFFF:
                    window = 0xFFFF
            elif p.window_edge_held:
                window = netstack_window.advertise(tcb)  # (gVisor: rcv.go getSendParams)
            else:
                window = tcb.advertised_window()
            if (tcb.sack_ok and (tcb.recv.ooo or tcb.dsack)
                    and not (p.sack_blocks_established_only
                             and tcb.state is not State.ESTABLISHED
                             and _sack_withheld(self.trace, tcb))):
                limit = 3 if ts is not None else 4  # RFC 2018 3: room in 40 option bytes
                dsack = tcb.dsack
                # Linux's SACK blocks count the peer's out-of-order FIN (profile
                # sack_edge_counts_fin: tcp_data_queue_ofo queues its segment with its end_seq).
                blocks = tcb.recv.sack_blocks(tcb.rcv_nxt, limit - (dsack is not None))
                if dsack is not None:
                    # RFC 2883 4: the D-SACK block comes first, once.
                    blocks = (dsack,) + blocks
                    tcb.dsack = None
                if blocks:
                    opts = data_options(ts, blocks)  # (else: timestamps at most)
        urgent = 0
        up = tcb.snd_up
        if up is not None and not syn and flags & ACK and 0 < seq_diff(up, seq) < 0x10000:
            # RFC 9293 3.8.5 / RFC 6093: the urgent pointer is the offset of the octet that
            # follows the urgent data (MUST-30..31).
            flags |= URG
            urgent = seq_diff(up, seq)
        if flags & ACK:
            ack = tcb.last_ack_sent = tcb.rcv_nxt  # RFC 7323 4.3 Last.ACK.sent
            tcb.held_ack = None
            if p.window_align_up and tcb.rcv_wscale:
                # (Only with window scaling: an unscaled Linux window is rounded down to the
                # MSS, __tcp_select_window, which the oracle's RCV.WND does not follow.)
                tcb.rcv_edge = (ack + (window if syn else window << tcb.rcv_wscale)
                                ) & 0xFFFFFFFF  # (seq_add)
        else:
            ack = 0
        if opts is None and not urgent:
            # The common segment, written from the connection's template (the output hot
            # path, tcp/segment_template.py: the octets TcpRepr.emit writes); its variance is
            # built only when a prediction's variance is read (from values fixed now: the
            # same dict).
            template = tcb.out_template
            if template is None:
                # New, or dropped where the connection was renumbered (TcpLayer.rebase_isn,
                # rebase_port; the rest is fixed).
                template = tcb.out_template = SegmentTemplate(tcb)
            wire = template.segment(seq, ack, flags, window, ts, payload)
            self.out.append((
                tcb.local_ip, tcb.remote_ip, None, rule,
                (_template_variance, (p, template, seq, ack, flags, window, ts, payload,
                                      extra_variance)),
                wire, None if p.tcp_df and tcb.df is None else connection_df(
                    p, tcb, flags, len(wire) - 20, self.minisock, self.trace)))
            self.trace.records.append(("tcp", REPLY, rule, (_reply_detail, (
                flags, seq, ack, len(payload)))))  # (trace.note, inline)
            if p.nic_holds_last_frame:
                self._nic_sent(tcb, seq, bool(payload or flags & (SYN | FIN)))
            return
        if opts is None:
            opts = data_options(ts, ())
        seg = TcpRepr(tcb.local_port, tcb.remote_port, seq=seq, ack=ack, flags=flags,
                      window=window, payload=payload, options=opts, urgent=urgent)
        variance = segment_variance(p, tcb, seg)
        if syn and ts is not None and flags & ACK and tcb.passive and p.reqsk_tsecr_check:
            # A request socket's SYN,ACK: its TSval kept for tcp_check_req's TSecr check,
            # the target's bound (Linux tcp_synack_options, tcp/synack_tsval.py).
            variance["tcp.opt.tsval"] = synack_tsval.sent(tcb, ts[0])
        if extra_variance:
            variance.update(extra_variance)
        df = None if self.profile.tcp_df and tcb.df is None else connection_df(
            self.profile, tcb, flags, len(seg.emit(tcb.local_ip, tcb.remote_ip)) - 20,
            self.minisock, self.trace)
        self._put(tcb.local_ip, tcb.remote_ip, seg, rule, variance, df)
        if p.nic_holds_last_frame:
            self._nic_sent(tcb, seq, bool(payload or flags & (SYN | FIN)))

    def _nic_sent(self, tcb: Tcb, seq: int, in_queue: bool) -> None:
        """What the NIC holds once this segment went (profile nic_holds_last_frame): its
        transmission freed the clone held before (free_old_xmit_skbs), and it holds this one's
        when the segment carries sequence space (a clone of the write queue's skb). Not for a
        retransmission of the very segment it held: that skb was still cloned, so Linux's
        __tcp_transmit_skb sent a copy of it (pskb_copy), which shares nothing with the queue
        (measured on the VM: data, FIN, the probe's FIN again, then the RTO's head [FP.])."""
        held = self.held
        again = held is not None and held[0] is tcb and held[1] == seq
        self.held = (tcb, seq) if in_queue and not again else None

    def other_frame_sent(self) -> None:
        """The interface sent a frame other than a segment emit sent (a RST of no connection,
        an ARP or ND answer; a target's frame the oracle did not predict, such as its own MLD
        report: ReferenceStack.other_frame_sent): with the profile's nic_holds_last_frame, the
        NIC freed the clone it held, whatever the frame's protocol (virtio_net's start_xmit
        calls free_old_xmit_skbs before it queues any skb), and holds none of ours."""
        self.held = None

    def send_ack(self, tcb: Tcb, now: float, rule: str, may_delay: bool = False) -> None:
        """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 9293 3.10.7.4).

        `may_delay`: RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2 let a receiver delay the ACK of
        in-order data by up to 0.5 s (and ACK only every second full-sized segment); the
        prediction says so with a `timing.delay_ms` entry (the frame may come later, or be
        merged into the next ACK). The oracle itself always acknowledges at once.
        """
        last_ack_sent, rcv_edge = tcb.last_ack_sent, tcb.rcv_edge
        if may_delay and tcb.route.quickack:
            # A route's quickack (RTAX_QUICKACK: tcp_in_quickack_mode, __tcp_ack_snd_check)
            # acknowledges at once what RFC 1122 4.2.3.2 would let wait.
            self.trace.add("tcp", "event", RULE_ROUTE_QUICKACK, "route quickack: ACK at once")
            may_delay = False
        seq = tcb.snd_nxt
        if self.profile.empty_ack_at_snd_max and seq_lt(seq, tcb.snd_max):
            seq = _ack_at_snd_max(self.trace, tcb)
        self.emit(tcb, ACK, seq, now, rule, b"", MAY_DELAY if may_delay else None)
        if may_delay and (last_ack_sent != tcb.last_ack_sent or rcv_edge != tcb.rcv_edge):
            # The target may not have sent it yet: its Last.ACK.sent (Linux's RCV.WUP) and
            # right edge may still be the prior ones for as long as the delay allows.
            tcb.held_ack = (last_ack_sent, rcv_edge, now + DELAYED_ACK_S)

    def oow_ack(self, tcb: Tcb, seg: TcpRepr, now: float, rule: str,
                may_delay: bool = False, exempt: bool = True) -> None:
        """The ACK answering an unacceptable segment (RFC 9293 3.10.7.4 first check, RFC 7323
        5.3), subject to the profile's ACK throttling (tcp/ack_throttle.py). `may_delay`: it
        may be merged into an ACK the target still holds back (send_ack). `exempt`: the
        profile's exemptions for a segment with text apply (False: this ACK is limited and
        arms the limit whatever the segment carries)."""
        if not ack_throttle.limited(self.profile, self.trace, tcb, seg if exempt else None,
                                    now, challenge=False):
            self.send_ack(tcb, now, rule, may_delay=may_delay)

    def challenge_ack(self, tcb: Tcb, seg: TcpRepr, now: float, rule: str,
                      may_delay: bool = False) -> None:
        """A challenge ACK (RFC 5961 3.2, 4.2, 5.2), subject to the profile's ACK throttling
        (RFC 5961 7; tcp/ack_throttle.py). `may_delay` as for oow_ack."""
        if not ack_throttle.limited(self.profile, self.trace, tcb, seg, now, challenge=True):
            self.send_ack(tcb, now, rule, may_delay=may_delay)

    # -- segments without a connection ---------------------------------------------------

    def reset(self, src: bytes, dst: bytes, seg: TcpRepr, rule: str,
              stamped: tuple[Tcb, float] | None = None) -> None:
        """RST for a segment that has no connection to go to (RFC 9293 3.10.7.1, 3.5.2):
        <SEQ=SEG.ACK><CTL=RST> if it had an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
        `stamped` (a connection and the time): the RST carries the connection's Timestamps
        option, which RFC 7323 3.2 allows on a RST (profile rst_carries_timestamps)."""
        if seg.flags & ACK:
            self.reset_of(src, dst, seg, seg.ack, 0, RST, rule, stamped)
        else:
            self.reset_of(src, dst, seg, 0, seq_add(seg.seq, seg.segment_len), RST | ACK, rule,
                          stamped)

    def reset_of(self, src: bytes, dst: bytes, seg: TcpRepr, seq: int, ack: int, flags: int,
                 rule: str, stamped: tuple[Tcb, float] | None = None) -> None:
        """A RST answering `seg` with the given sequence, acknowledgment and flags (`stamped`
        as for reset)."""
        opts: tuple = ()
        if stamped is not None and stamped[0].ts_ok:
            tcb, now = stamped
            opts = (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(tcb.ts_now(now), tcb.ts_recent))
        rst = TcpRepr(seg.dst_port, seg.src_port, seq=seq, ack=ack, flags=flags, options=opts)
        variance = segment_variance(self.profile, None, rst)
        if opts:
            variance["tcp.opt.tsval"] = AnyValue()  # RFC 7323 5.4: any clock
        df = None if self.profile.tcp_df else reply_df(self.profile, self.trace)
        self._put(src, dst, rst, rule, variance, df)
        self.other_frame_sent()

    def abort_reset(self, tcb: Tcb, seg: TcpRepr, now: float, rule: str) -> None:
        """The RST that aborts connection `tcb` on segment `seg` (new data after close, RFC
        1122 4.2.2.13, which fixes no form): the reset a segment without a connection draws
        (RFC 9293 3.10.7.1, <SEQ=SEG.ACK><CTL=RST>: Linux's tcp_v4_send_reset), or, with the
        profile's abort_rst_from_connection, one sent from the connection."""
        if not self.profile.abort_rst_from_connection:
            self.reset(tcb.local_ip, tcb.remote_ip, seg, rule)
            return
        # gVisor transport/tcp/connect.go resetConnectionLocked: sendEmptyRaw(ACK|RST, seq,
        # RCV.NXT, 0) through sendRaw (the connection's Timestamps option); seq = SND.NXT, or
        # SND.UNA + SND.WND when the peer's window shrank below SND.NXT (as Linux's
        # tcp_acceptable_seq). The window field is 0 (free for a RST, RFC 9293 3.10.7.1).
        seq = tcb.snd_nxt
        wnd_end = seq_add(tcb.snd_una, tcb.snd_wnd)
        if seq_lt(wnd_end, seq):
            seq = wnd_end
        self.trace.add("tcp", EVENT, "GVISOR-reset_connection_locked-rst-from-connection",
                       f"RST,ACK at {seq}, ACK = RCV.NXT {tcb.rcv_nxt}")
        self.emit(tcb, RST | ACK, seq, now, rule)

    def _put(self, src: bytes, dst: bytes, seg: TcpRepr, rule: str, variance: dict,
             df: bool | None = None) -> None:
        self.out.append((src, dst, seg, rule, variance, None, df))
        self.trace.note("tcp", REPLY, rule, _reply_detail, seg.flags, seg.seq, seg.ack,
                        len(seg.payload))

    # -- the transmit loop ---------------------------------------------------------------

    def transmit(self, tcb: Tcb, now: float, probe: bool = False, head: bool = False,
                 corked: bool = False, no_push: bool = False) -> None:
        """Send what the state, windows and Nagle allow (RFC 9293 3.8.6, RFC 1122 4.2.3.4);
        `probe`: one segment at most, as a tail loss probe (RFC 8985 7.3); `head`: one
        segment at most too, of sequence space sent before only (profile
        rto_retransmits_head); `corked`: this call's partial segment waits as under TCP_CORK
        (a SEND with MSG_MORE); `no_push`: no PSH on this call's segments (profile
        msg_more_clears_psh)."""
        probe = probe or head
        corked = corked or tcb.cork
        held = None  # (a head retransmission: where a segment the NIC holds begins)
        cork_held = False
        state = tcb.state
        if state in OPENING_STATES:
            if tcb.snd_nxt == tcb.iss:
                if state is State.SYN_SENT:
                    p = self.profile
                    if p.ecn_request and not (tcb.retries and p.ecn_fallback):
                        # RFC 3168 6.1.1: an ECN-setup SYN (Linux tcp_ecn_send_syn, tcp_ecn
                        # = 1); tcp_ecn_clear_syn sends a retransmission without ECE/CWR.
                        # It sets the connection's ECN mode (TCP_INFO's TCPI_OPT_ECN) until
                        # the peer's SYN says otherwise (tcp/segment_arrival.syn_sent).
                        tcb.ecn_ok = True
                        self.emit(tcb, SYN | ECE | CWR, tcb.iss, now,
                                  "LINUX-tcp_ecn_send_syn-ecn-setup")
                    else:
                        self.emit(tcb, SYN, tcb.iss, now, "RFC9293-3.10.1-MUST-active-open-syn")
                else:
                    # RFC 3168 6.1.1: ECE in the SYN-ACK once ECN is agreed (tcb.ecn_ok).
                    self.emit(tcb, SYN | ACK | (ECE if tcb.ecn_ok else 0), tcb.iss, now,
                              "RFC9293-3.10.7.2-MUST-listen-syn")
                self._sent(tcb, tcb.iss, 1, now)
            self._arm_timers(tcb, now)
            return
        if state not in SENDING_STATES:
            return
        mss = tcb.mss
        send = tcb.send
        sent_new = False
        while True:
            # (The sequence arithmetic below is seq_diff's and SendBuffer.end's, inline: this
            # loop runs for every segment sent. d = (a - b) mod 2**32 is a - b when d <= HALF.)
            end = (send.base + len(send.data)) & 0xFFFFFFFF
            snd_nxt = tcb.snd_nxt
            unsent = (end - snd_nxt) & 0xFFFFFFFF
            if 0 < unsent <= HALF:
                # SND.UNA + SND.WND - SND.NXT
                usable = (tcb.snd_una + tcb.snd_wnd - snd_nxt) & 0xFFFFFFFF
                if usable > HALF:
                    usable -= MOD
                if not probe:
                    # RFC 5681; RFC 8985 7.3 sends a probe's new segment whatever the
                    # congestion window (Linux tcp_write_xmit, push_one == 2).
                    flight = (snd_nxt - tcb.snd_una) & 0xFFFFFFFF  # (in_flight(), inline)
                    if flight > HALF:
                        flight -= MOD
                    # (RFC 6675 pipe: what the scoreboard says left the network is not
                    # in flight, tcp/recovery.py)
                    room = tcb.cwnd - flight + tcb.left_out
                    if room < usable:
                        usable = room
                n = mss if mss < unsent else unsent
                if usable < n:
                    n = usable
                if tcb.writes:
                    n = self._within_begun_write(tcb, n)
                if head and seq_lt(tcb.snd_nxt, tcb.snd_max):
                    n = min(n, seq_diff(tcb.snd_max, tcb.snd_nxt))
                    sent = tcb.sent_at.get(snd_nxt)
                    if sent is not None and self.profile.rto_resends_head_segment:
                        n = min(n, seq_diff(sent[0], snd_nxt))  # (its boundaries as sent)
                    held = self._held_by_nic(tcb, snd_nxt)
                    if held is not None:
                        n = min(n, seq_diff(held, snd_nxt))
                if n <= 0:
                    break
                if corked and n < mss and n == unsent and not probe and not tcb.fin_queued:
                    # RFC 1122 4.2.2.2: SENDs without PUSH (TCP_CORK, MSG_MORE) may be
                    # aggregated: the partial tail waits, full segments go (Linux
                    # tcp_nagle_check, TCP_NAGLE_CORK). A CLOSE implies PUSH (RFC 793 3.8), so
                    # the segment that carries the FIN goes (tcp_nagle_test).
                    cork_held = True
                    break
                # RFC 1122 4.2.3.4: send a partial segment only if it holds all the queued
                # data and Nagle allows it (nothing unacknowledged, or TCP_NODELAY), or it
                # fills at least half the largest window the peer offered. A probe skips it
                # (RFC 8985 7.3 sends "a previously unsent segment" if the window allows:
                # Linux tcp_send_loss_probe -> tcp_write_xmit with TCP_NAGLE_OFF), and so
                # does a retransmitted head segment, which is not new data.
                if n < mss and not probe and not (
                        (n == unsent and (tcb.nodelay or self._nagle_idle(tcb)
                                          or self._fin_exempt(tcb)))
                        or 2 * n >= tcb.max_snd_wnd > 0 or self._resent_exempt(tcb, n)):
                    break
                seq = tcb.snd_nxt
                last = n == unsent
                # (gVisor: "Netstack queues FIN segments without data", snd.go: its own.)
                fin = (last and tcb.fin_queued and not self._fin_apart(tcb, seq)
                       and not self.profile.fin_own_segment and held != end)
                flags = ACK | (PSH if last and not no_push else 0) | (FIN if fin else 0)
                if fin:
                    tcb.fin_seq = end
                # (seq_lt(seq, SND.MAX), whose common case, new data, is SND.NXT = SND.MAX)
                rule = ("RFC9293-3.8.1-MUST-retransmit"
                        if seq != tcb.snd_max and seq_lt(seq, tcb.snd_max)
                        else "RFC9293-3.10.2-MUST-send-data")
                self.emit(tcb, flags, seq, now, rule, tcb.send.chunk(seq, n))
                self._sent(tcb, seq, n + fin, now)
                if n < mss:
                    tcb.snd_sml = seq_add(seq, n)  # Linux tcp_minshall_update
                sent_new = True
                if probe:
                    break
                if not last:
                    continue
                # (All queued data is sent: the next turn would find nothing unsent and come
                # to the FIN below, which it goes to at once.)
            if tcb.fin_queued and not tcb.fin_sent():
                if self.profile.fin_obeys_cwnd and not probe and self._cwnd_full(tcb):
                    # Linux: the FIN waits for room in the congestion window
                    self.trace.add("tcp", "event", "LINUX-tcp_cwnd_test-fin-held",
                                   "segments in flight fill the congestion window")
                    break
                if self.profile.fin_obeys_send_window and seq_diff(
                        seq_add(end, 1), seq_add(tcb.snd_una, tcb.snd_wnd)) > 0:
                    # Linux: the FIN waits for the peer's window to cover it (a zero window
                    # is probed meanwhile, _arm_timers)
                    self.trace.add("tcp", "event", "LINUX-tcp_snd_wnd_test-fin-held",
                                   f"FIN at {end} beyond SND.UNA {tcb.snd_una} + SND.WND "
                                   f"{tcb.snd_wnd}")
                    break
                # RFC 9293 3.10.4: the FIN follows all preceding SENDs.
                tcb.fin_seq = end
                self.emit(tcb, FIN | ACK, end, now, "RFC9293-3.10.4-MUST-send-fin")
                self._sent(tcb, end, 1, now)
                sent_new = True
            break
        self._arm_timers(tcb, now, cork_held)
        if sent_new and not probe:
            loss_probe.arm(self.profile, tcb, now, advancing=False)

    def retransmit_tail(self, tcb: Tcb, now: float, rule: str) -> None:
        """The last segment sent, again (RFC 8985 7.3: the probe when no new data can go)."""
        seq = tcb.tail_seq
        if seq is None or seq_lt(seq, tcb.snd_una):
            seq = tcb.snd_una
        if seq != tcb.snd_una and not seq_lt(seq, seq_add(tcb.snd_una, tcb.snd_wnd)):
            return  # Linux __tcp_retransmit_skb: nothing beyond the peer's window
        end = tcb.snd_nxt
        fin = tcb.fin_sent() and seq_le(seq, tcb.fin_seq)
        n = seq_diff(end, seq) - fin
        flags = ACK | (PSH if n else 0) | (FIN if fin else 0)
        self.emit(tcb, flags, seq, now, rule, tcb.send.chunk(seq, n))
        self._sent(tcb, seq, n + fin, now)

    def retransmit_range(self, tcb: Tcb, seq: int, end: int, now: float, rule: str) -> None:
        """The segment [seq, end) sent before, again (loss recovery, tcp/recovery.py)."""
        fin = tcb.fin_sent() and seq_lt(seq, end) and seq_add(tcb.fin_seq, 1) == end
        n = seq_diff(end, seq) - fin
        flags = ACK | (PSH if n and (fin or end == tcb.snd_max) else 0) | (FIN if fin else 0)
        self.emit(tcb, flags, seq, now, rule, tcb.send.chunk(seq, n))
        nxt = tcb.snd_nxt
        self._sent(tcb, seq, n + fin, now)
        tcb.snd_nxt = nxt

    @staticmethod
    def _cwnd_full(tcb: Tcb) -> bool:
        """Linux tcp_cwnd_test: the segments in flight fill the congestion window (both
        counted in segments of the MSS)."""
        mss = tcb.mss
        return -(-tcb.in_flight() // mss) >= max(1, tcb.cwnd // mss)

    def _fin_apart(self, tcb: Tcb, seq: int) -> bool:
        """A retransmission (from `seq`) before the FIN was ever sent does not carry it where
        the profile queues the FIN as a segment of its own (fin_obeys_cwnd: Linux retransmits
        a segment of the retransmission queue, tcp_retransmit_skb; the FIN, still in the
        write queue, goes after it as new data, subject to tcp_cwnd_test)."""
        return (self.profile.fin_obeys_cwnd and tcb.fin_seq is None
                and seq_lt(seq, tcb.snd_max))

    def _held_by_nic(self, tcb: Tcb, head: int) -> int | None:
        """Where the segment the NIC still holds begins, when it is this connection's and
        follows the retransmitted head at ``head`` (profile nic_holds_last_frame): Linux's
        tcp_retrans_try_collapse stops at an skb still cloned (tcp_can_collapse: skb_cloned),
        and a driver that frees a sent skb only at its next transmission (virtio_net without
        TX NAPI: start_xmit -> free_old_xmit_skbs) holds the clone of the last frame it sent
        until another frame goes. RFC 9293 3.8.1 lets a retransmission be repacketized or
        not; recorded."""
        held = self.held
        if held is None or held[0] is not tcb or not seq_lt(head, held[1]):
            return None
        self.trace.add("tcp", EVENT, "LINUX-tcp_can_collapse-skb-cloned",
                       f"the segment at {held[1]}, the last frame sent, is still the NIC's: "
                       "not collapsed into the head")
        return held[1]

    def _fin_held(self, tcb: Tcb) -> bool:
        """A FIN the profile holds back for the peer's window (fin_obeys_send_window): the
        zero window is probed for it as for data (Linux tcp_check_probe_timer)."""
        return (self.profile.fin_obeys_send_window and tcb.fin_queued
                and not tcb.fin_sent())

    def _fin_exempt(self, tcb: Tcb) -> bool:
        """The last segment carries the FIN and the profile lets it pass Nagle (Linux
        tcp_nagle_test), recorded."""
        if not (tcb.fin_queued and self.profile.nagle_exempts_fin):
            return False
        self.trace.add("tcp", EVENT, "LINUX-tcp_nagle_test-fin-not-held",
                       "the segment carrying the FIN is not held by Nagle")
        return True

    def _within_begun_write(self, tcb: Tcb, n: int) -> int:
        """gVisor (snd.go maybeSendSegment): a SEND is one segment of the write list, given
        its sequence number when its first octets go and then split as the window allows;
        the rest of a SEND begun is never merged with the next SEND: the segment at SND.NXT
        ends at its SEND's end. (``tcb.writes``, kept for profile nagle_new_data_only.)"""
        writes, snd_nxt = tcb.writes, tcb.snd_nxt
        while writes and seq_le(writes[0][1], snd_nxt):
            del writes[0]
        if writes and seq_lt(writes[0][0], snd_nxt):
            return min(n, seq_diff(writes[0][1], snd_nxt))
        return n

    def _resent_exempt(self, tcb: Tcb, n: int) -> bool:
        """The partial segment is sequence space sent before, or the rest of a SEND begun,
        and the profile lets it pass Nagle (gVisor snd.go maybeSendSegment: Nagle only before
        a segment is assigned its sequence number, so a piece split off a segment sent
        before goes; a SEND is assigned one when its first octets go), recorded."""
        writes = tcb.writes
        begun = bool(writes) and seq_lt(writes[0][0], tcb.snd_nxt)
        if not (self.profile.nagle_new_data_only
                and (begun or seq_le(seq_add(tcb.snd_nxt, n), tcb.snd_max))):
            return False
        self.trace.add("tcp", EVENT, RULE_NAGLE_NEW_DATA_ONLY,
                       "a partial segment of data sent before is not held by Nagle")
        return True

    def _nagle_idle(self, tcb: Tcb) -> bool:
        """Nagle lets a partial segment go: RFC 1122 4.2.3.4 when nothing is unacknowledged;
        Minshall's variant (Linux tcp_minshall_check) when no earlier partial segment is."""
        if self.profile.nagle_minshall:
            sml = tcb.snd_sml
            return sml is None or not (seq_lt(tcb.snd_una, sml) and seq_le(sml, tcb.snd_nxt))
        return tcb.in_flight() == 0

    def _sent(self, tcb: Tcb, seq: int, length: int, now: float) -> None:
        end = (seq + length) & 0xFFFFFFFF  # (seq_add)
        # (every segment's send time: tail loss probes, RACK and the SACK scoreboard)
        loss_probe.sent(tcb, seq, end, now)
        snd_max = tcb.snd_max
        if seq != snd_max and seq_lt(seq, snd_max):  # (new data: SND.MAX)
            # Karn (RFC 6298 3): never take an RTT sample across a retransmission.
            tcb.rtt_seq = None
            tail = tcb.tail_seq
            if end == snd_max and tail is not None and seq_lt(tail, seq):
                # RFC 8985 7.3 probes with "the last segment": a retransmission that ends at
                # SND.MAX but starts inside the last segment split it (after a Packet Too Big
                # lowered the MSS: Linux __tcp_retransmit_skb -> tcp_fragment, gVisor snd.go
                # maybeSendSegment -> splitSeg), and its last piece is the last segment now.
                tcb.tail_seq = seq
        else:
            tcb.tail_seq = seq
            if tcb.rtt_seq is None:
                tcb.rtt_seq = seq
                tcb.rtt_start = now
        tcb.snd_nxt = end
        if ((snd_max - end) & 0xFFFFFFFF) > HALF:  # (seq_lt(SND.MAX, end), inline)
            tcb.snd_max = end

    def _arm_timers(self, tcb: Tcb, now: float, cork_held: bool = False) -> None:
        # RFC 6298 5.1: start the timer when data is sent and it is not running.
        if 0 < ((tcb.snd_nxt - tcb.snd_una) & 0xFFFFFFFF) <= HALF:  # (in_flight() > 0)
            timers = tcb.timers
            if T_RETRANSMIT not in timers and T_LOSS_PROBE not in timers:  # (is_set)
                timers[T_RETRANSMIT] = now + tcb.rto.rto  # (set)
            timers.pop(T_PERSIST, None)  # (cancel: a C call)
        elif (tcb.state in SENDING_STATES and (cork_held or tcb.snd_wnd == 0 and (
                seq_diff(tcb.send.end(), tcb.snd_nxt) > 0 or self._fin_held(tcb)))
              and not tcb.timers.is_set(T_PERSIST)):
            # RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: probe a zero window. Data a cork holds
            # with nothing in flight is not held for ever either (RFC 1122 4.2.2.2): Linux
            # arms the same probe timer for both (tcp_check_probe_timer, max(RTO, 200 ms)).
            tcb.timers.set(T_PERSIST, now + tcb.persist_interval(self.profile.rto_min))
