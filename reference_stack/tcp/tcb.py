"""The transmission control block (RFC 9293 3.3.1) of one connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reference_stack.clock import Timers
from reference_stack.route_metrics import NO_ROUTE_METRICS, RouteMetrics
from reference_stack.tcp.buffers import ReceiveBuffer, SendBuffer
from reference_stack.tcp.rto import RtoEstimator
from reference_stack.tcp.seq import HALF, MOD, seq_diff
from reference_stack.tcp.state import State

# Timer names.
T_RETRANSMIT = "retransmit"
T_PERSIST = "persist"
T_TIME_WAIT = "time_wait"
T_FIN_WAIT_2 = "fin_wait_2"
T_LOSS_PROBE = "loss_probe"
T_KEEPALIVE = "keepalive"
T_REORDER = "reorder"  # RACK's reordering timer (RFC 8985 6.3)

ConnKey = tuple[bytes, int, bytes, int]  # local ip, local port, remote ip, remote port


@dataclass(slots=True, eq=False)
class Tcb:
    local_ip: bytes
    local_port: int
    remote_ip: bytes
    remote_port: int
    state: State
    iss: int
    rto: RtoEstimator
    send: SendBuffer
    recv: ReceiveBuffer
    passive: bool = False  # came from LISTEN (RFC 9293 3.10.7.4: RST/SYN in SYN-RECEIVED)
    listener: object | None = None  # the listening socket that spawned it
    # Send sequence variables (RFC 9293 3.3.1).
    snd_una: int = 0
    snd_nxt: int = 0
    snd_max: int = 0  # highest sequence number sent (retransmissions lie below it)
    snd_wnd: int = 0
    max_snd_wnd: int = 0  # RFC 5961 5.2
    bytes_acked: int = 0  # sequence space the peer acknowledged (Linux tcp_snd_una_update)
    snd_wl1: int = 0
    snd_wl2: int = 0
    # Receive sequence variables.
    irs: int = 0
    rcv_nxt: int = 0
    # Negotiated options.
    mss: int = 536  # effective send MSS (RFC 6691: option bytes deducted)
    snd_wscale: int = 0
    rcv_wscale: int = 0
    ts_ok: bool = False
    ts_recent: int = 0
    ts_offset: int = 0
    last_ack_sent: int = 0
    # (Last.ACK.sent and rcv_edge before an ACK the target may still hold back, a delayed
    # ACK; until when)
    held_ack: tuple[int, int | None, float] | None = None
    rcv_edge: int | None = None  # RCV.WUP + the window last advertised (profile.window_align_up)
    # gVisor's receiver (profile window_edge_held, tcp/netstack_window.py): the unscaled window
    # last advertised (None: the SYN's, from IRS+1), RCV.NXT then, and the unread octets then.
    nst_wnd: int | None = None
    nst_wup: int = 0
    nst_unread: int = 0
    # A window field the next segment carries as is, nothing recorded: the handshake's ACK of
    # an active open (netstack_window.handshake_ack).
    nst_once: int | None = None
    sack_ok: bool = False
    ecn_ok: bool = False  # RFC 3168 6.1.1: ECN negotiated (profile.ecn_accept)
    dsack: tuple[int, int] | None = None  # a duplicate range to report first (RFC 2883)
    negotiated: bool = False  # options settled by the peer's SYN
    ws_ok: bool = False
    adv_mss: int = 536  # the MSS option we send
    # The path MTU less the fixed headers (the route's mtu, at most the link's, and any
    # TCP_MAXSEG): what bounds the segments we send besides the peer's MSS (tcp_sync_mss)
    path_mss: int = 536
    route: RouteMetrics = NO_ROUTE_METRICS  # the route to the peer's family (route_metrics)
    cookie_mss: int = 0  # the peer's MSS a SYN cookie keeps (tcp/syn_cookie.py); 0: none
    syn_window: int = 0  # the window of our SYN or SYN-ACK (never scaled, RFC 7323 2.2)
    rcv_wnd_clamp: int = 0xFFFF  # the receive window we offer at most
    ephemeral: bool = False  # local port chosen by the stack
    orphan: bool = False  # the user closed the socket; the connection lives on
    # An orphan's FIN acknowledged by a segment that carries a FIN: Linux keeps the full socket
    # in FIN-WAIT-2 (tcp_rcv_state_process), not its minisocket (tcp/time_wait.py).
    fin_wait_2_full: bool = False
    # Keep-alives (tcp/keepalive.py): (idle, interval, probes) while SO_KEEPALIVE is on.
    keepalive: tuple[int, int, int] | None = None
    keepalive_probes_out: int = 0
    keepalive_probe_at: float = float("inf")  # when the last probe went out
    last_rcv: float = 0.0  # when a segment last arrived (Linux tp->rcv_tstamp)
    isn_name: str = ""  # the variance name of our ISN, fixed at creation (tcp.variance)
    # FIN bookkeeping.
    fin_queued: bool = False  # the user closed the sending direction
    fin_seq: int | None = None  # seq of our FIN once its place is fixed
    peer_fin_seq: int | None = None  # seq of the peer's FIN, possibly beyond RCV.NXT
    # The peer's FIN taken in order and not yet met by a read (Linux: its segment stays in
    # sk_receive_queue until tcp_recvmsg reaches it or close() purges the queue).
    peer_fin_unread: bool = False
    # Urgent data (RFC 9293 3.8.5, RFC 6093): SND.UP and RCV.UP point just past it.
    snd_up: int | None = None
    rcv_up: int | None = None
    oob_seq: int | None = None  # the out-of-band byte taken out of the stream (tcp/urgent.py)
    oob_read: bool = False  # recv(MSG_OOB) took it (Linux urg_data = TCP_URG_READ)
    # Congestion control (RFC 5681) and RTT timing (Karn, RFC 6298 3).
    cwnd: int = 0
    ssthresh: int = 1 << 30
    rtt_seq: int | None = None
    rtt_start: float = 0.0
    retries: int = 0
    retrans_stamp: float = 0.0  # when the first of `retries` went out (Linux tp->retrans_stamp)
    user_timeout: float = 0.0  # TCP_USER_TIMEOUT, s (0: none; RFC 1122 4.2.3.5 R2 by time)
    dupacks: int = 0  # consecutive duplicate ACKs (RFC 5681 2)
    # Loss recovery (tcp/recovery.py): the scoreboard while it holds anything, the octets in
    # flight it says have left the network (SACKed, or lost and not sent again: RFC 6675
    # pipe = SND.NXT - SND.UNA - left_out), and RFC 6582's "recover".
    board: Any = None
    left_out: int = 0
    recover: int | None = None
    rto_end: int | None = None  # SND.MAX at the last retransmission timeout (lwIP's rto_end)
    ooo_acks: int = 0  # ACKs sent for out-of-order data at RCV.NXT = ooo_acks_at
    ooo_acks_at: int | None = None  # (tcp/sack_compression.py)
    persist_backoff: int = 0
    last_oow_ack: float | None = None
    # A request socket's SYN,ACK TSvals, the first and the last sent (Linux snt_tsval_first,
    # snt_tsval_last), and whether they are the target's (tcp/synack_tsval.py)
    synack_tsvals: tuple[int, int] | None = None
    synack_tsvals_adopted: bool = False
    nodelay: bool = False
    cork: bool = False  # TCP_CORK: partial segments wait (RFC 1122 4.2.2.2, tcp/output.py)
    df: bool | None = None  # the DF IP_MTU_DISCOVER gives the socket's datagrams (None: profile)
    snd_sml: int | None = None  # end of the last partial segment sent (Minshall's Nagle)
    # Each SEND's (start, end) sequence numbers until SND.NXT passes its end, for profiles
    # whose Nagle holds only a SEND none of which was sent (nagle_new_data_only: gVisor).
    writes: list[tuple[int, int]] = field(default_factory=list)
    tail_seq: int | None = None  # start of the last new segment sent (RFC 8985 7.3 probe)
    tlp_high: int | None = None  # SND.NXT when a tail loss probe went out (RFC 8985 7.3)
    # Each segment in flight by its first sequence number: its end and when it was last
    # (re)transmitted (profiles with tail_loss_probe: Linux times the RTO from the head's,
    # tcp_rto_delta_us).
    sent_at: dict[int, tuple[int, float]] = field(default_factory=dict)
    error: int = 0  # pending error for the socket (ECONNRESET, ECONNREFUSED, ETIMEDOUT)
    timers: Timers = field(default_factory=Timers)
    out_template: object | None = None  # tcp/segment_template.py, made on the first segment

    @property
    def key(self) -> ConnKey:
        return (self.local_ip, self.local_port, self.remote_ip, self.remote_port)

    def rcv_wnd(self) -> int:
        """RCV.WND: free receive buffer space, as far as the window field can express it."""
        # (ReceiveBuffer.window inline: called for every segment sent and received.)
        # (min(max(free, 0), clamp, 0xFFFF << scale), without the builtin calls)
        recv = self.recv
        window = recv.capacity - len(recv.ready)
        if window > self.rcv_wnd_clamp:
            window = self.rcv_wnd_clamp
        limit = 0xFFFF << self.rcv_wscale
        if window > limit:
            window = limit
        return window if window > 0 else 0

    def persist_interval(self, floor: float) -> float:
        """The zero-window probe's timer (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17): the RTO, at
        least ``floor`` (Linux tcp_probe0_base: TCP_RTO_MIN, whatever a route's rto_min),
        backed off per probe, at most the RTO's maximum (tcp_probe0_when)."""
        return min(max(self.rto.rto, floor) * (1 << self.persist_backoff), self.rto.rto_max)

    def advertised_window(self) -> int:
        """The window field for RCV.WND (RFC 7323 2.3: scaled down). rcv_wnd() is at most
        0xFFFF << scale, so the field fits without a clamp."""
        return self.rcv_wnd() >> self.rcv_wscale

    def syn_acked(self) -> bool:
        return seq_diff(self.snd_una, self.iss) > 0

    def fin_acked(self) -> bool:
        return self.fin_seq is not None and seq_diff(self.snd_una, self.fin_seq) > 0

    def fin_sent(self) -> bool:
        return self.fin_seq is not None and seq_diff(self.snd_nxt, self.fin_seq) > 0

    def in_flight(self) -> int:
        d = (self.snd_nxt - self.snd_una) & 0xFFFFFFFF  # seq_diff inline (a hot call)
        return d - MOD if d > HALF else d

    def unsent(self) -> int:
        """Bytes written by the user and not sent yet."""
        return max(0, seq_diff(self.send.end(), self.snd_nxt))

    def ts_now(self, now: float) -> int:
        """TSval: a millisecond clock with a per-connection random offset (RFC 7323 5.4)."""
        return (self.ts_offset + int(now * 1000)) & 0xFFFFFFFF  # seq_add


def is_request(tcb: Tcb) -> bool:
    """A passive SYN-RECEIVED connection still waiting in its listener's request queue (no
    child socket yet: Linux's request socket, tcp/request_sock.py, or a SYN cookie,
    tcp/syn_cookie.py)."""
    lst = tcb.listener
    return (tcb.state is State.SYN_RECEIVED and tcb.passive and lst is not None
            and tcb.key in lst.pending)
