"""getsockopt(TCP_INFO) as a typed record: Linux's ``struct tcp_info`` (include/uapi/linux/
tcp.h, filled by tcp_get_info in net/ipv4/tcp.c) and the same record from the oracle's TCB.

Times are microseconds, windows and counts are segments, as in the kernel's struct. The
oracle knows what its model fixes (the state, the MSS values, the segments in flight, the
retransmission count, the congestion window); what depends on the wall clock (``rtt``,
``rto`` once sampled) it reports from its virtual clock, which the lockstep does not compare
(:data:`COMPARED`).
"""

from __future__ import annotations

import struct
from dataclasses import astuple, dataclass, fields
from typing import TYPE_CHECKING

from reference_stack.tcp.seq import seq_gt, seq_lt
from reference_stack.tcp.state import State

if TYPE_CHECKING:  # (the agents import this module: they start fast without the TCB's)
    from reference_stack.tcp.tcb import Tcb

# Linux's sk_state numbers (include/net/tcp_states.h).
LINUX_STATES: dict[State, int] = {
    State.ESTABLISHED: 1, State.SYN_SENT: 2, State.SYN_RECEIVED: 3, State.FIN_WAIT_1: 4,
    State.FIN_WAIT_2: 5, State.TIME_WAIT: 6, State.CLOSED: 7, State.CLOSE_WAIT: 8,
    State.LAST_ACK: 9, State.LISTEN: 10, State.CLOSING: 11,
}
STATE_OF_NUMBER = {n: s for s, n in LINUX_STATES.items()}

# The fields the lockstep compares: fixed by the model, not by the wall clock. The congestion
# window and ssthresh are not among them until the oracle models Linux's congestion control
# (issue 12 item 5: tcp_cong_avoid grows the window on the handshake's and a FIN's ACK).
COMPARED = ("state", "retransmits", "options", "snd_wscale", "rcv_wscale", "snd_mss", "advmss",
            "unacked", "sacked")

# The struct up to tcpi_total_retrans: 8 octets, then 24 __u32 (the record reads this prefix;
# later kernels append fields after it).
_LAYOUT = struct.Struct("=8B24I")


@dataclass(frozen=True, slots=True)
class TcpInfo:
    state: str  # the RFC 9293 name ("ESTABLISHED"), from tcpi_state
    ca_state: int
    retransmits: int  # icsk_retransmits: the current timeout's retransmissions
    probes: int
    backoff: int
    options: int
    snd_wscale: int
    rcv_wscale: int
    rto: int  # us
    ato: int
    snd_mss: int  # tp->mss_cache
    rcv_mss: int
    unacked: int  # segments in flight (tp->packets_out)
    sacked: int
    lost: int
    retrans: int
    fackets: int
    last_data_sent: int
    last_ack_sent: int
    last_data_recv: int
    last_ack_recv: int
    pmtu: int
    rcv_ssthresh: int
    rtt: int  # us, smoothed
    rttvar: int
    snd_ssthresh: int
    snd_cwnd: int  # segments
    advmss: int
    reordering: int
    rcv_rtt: int
    rcv_space: int
    total_retrans: int

    SIZE = _LAYOUT.size

    @classmethod
    def parse(cls, raw: bytes) -> TcpInfo:
        """Linux's struct tcp_info (at least :attr:`SIZE` octets)."""
        if len(raw) < _LAYOUT.size:
            raise ValueError(f"struct tcp_info needs {_LAYOUT.size} octets, got {len(raw)}")
        v = list(_LAYOUT.unpack_from(raw))
        state = STATE_OF_NUMBER.get(v[0])
        wscale = v[6]
        head = [state.value if state else str(v[0]), *v[1:6], wscale & 0xF, wscale >> 4]
        return cls(*head, *v[8:])

    def to_bytes(self) -> bytes:
        """The struct's prefix, as the kernel writes it (a stack answering TCP_INFO)."""
        v = list(astuple(self))
        state = next((n for s, n in LINUX_STATES.items() if s.value == v[0]), 0)
        return _LAYOUT.pack(state, *v[1:6], v[6] | (v[7] << 4), 0, *v[8:])

    def compared(self) -> dict[str, int | str]:
        return {name: getattr(self, name) for name in COMPARED}


FIELD_NAMES = tuple(f.name for f in fields(TcpInfo))
OPT_TIMESTAMPS, OPT_SACK, OPT_WSCALE, OPT_ECN = 1, 2, 4, 8  # tcpi_options bits


INFINITE_SSTHRESH = 0x7FFFFFFF  # Linux TCP_INFINITE_SSTHRESH
DEFAULT_MSS = 536  # RFC 9293 3.7.1 (Linux TCP_MSS_DEFAULT)
TS_OPTION_LEN = 12  # NOP, NOP, Timestamps (Linux TCPOLEN_TSTAMP_ALIGNED)


def blank(state: State, **values: int) -> TcpInfo:
    """A record of zeros in ``state``, with ``values`` set."""
    zeros = dict.fromkeys(FIELD_NAMES[1:], 0)
    return TcpInfo(state=state.value, **{**zeros, **values})


def of_listener(queued: int, backlog: int, initial_cwnd: int) -> TcpInfo:
    """A listener's: Linux tcp_get_info reports the accept queue's length as ``unacked`` and
    the backlog as ``sacked`` (measured on 6.18, the rest zero but cwnd and reordering)."""
    return blank(State.LISTEN, unacked=queued, sacked=backlog, snd_cwnd=initial_cwnd,
                 reordering=3)


def of_unconnected(initial_rto: float, initial_cwnd: int) -> TcpInfo:
    """A socket neither listening nor connected (Linux TCP_CLOSE: tcp_init_sock's values,
    TCP_MSS_DEFAULT 536, mdev TCP_TIMEOUT_INIT / 4)."""
    return blank(State.CLOSED, rto=round(initial_rto * 1e6), snd_mss=536,
                 rttvar=round(initial_rto * 1e6) // 4, snd_ssthresh=INFINITE_SSTHRESH,
                 snd_cwnd=initial_cwnd, reordering=3)


def _in_flight(tcb: Tcb, mss: int) -> int:
    """Segments sent and not acknowledged (Linux tp->packets_out): those of the TCB's
    record that overlap [SND.UNA, SND.NXT), else the octets in flight in MSS-sized ones."""
    una, nxt = tcb.snd_una, tcb.snd_nxt
    flying = sum(1 for start, (end, _) in tcb.sent_at.items()
                 if seq_gt(end, una) and seq_lt(start, nxt))
    return flying or -(-tcb.in_flight() // mss)


def of_tcb(tcb: Tcb, initial_cwnd: int, timestamps: bool) -> TcpInfo:
    """A connection's, from its TCB: segments, not octets, as Linux counts (tcp_get_info).
    Before the peer's SYN settled the options (SYN-SENT), the MSS values are Linux's
    tcp_connect_init ones: the 536-octet default less the timestamps the SYN offers
    (``timestamps``), the window still the initial one (tcp_init_sock)."""
    rto = tcb.rto
    ts_len = TS_OPTION_LEN if (tcb.ts_ok if tcb.negotiated else timestamps) else 0
    snd_mss = tcb.mss if tcb.negotiated else min(tcb.mss, DEFAULT_MSS) - ts_len
    advmss = tcb.adv_mss - (ts_len if tcb.negotiated else 0)
    mss = max(tcb.mss, 1)
    unacked = _in_flight(tcb, mss)
    options = ((OPT_TIMESTAMPS if tcb.ts_ok else 0) | (OPT_SACK if tcb.sack_ok else 0)
               | (OPT_WSCALE if tcb.ws_ok else 0)
               # (tcp_get_info: the connection's ECN mode, set by an ECN-setup SYN sent or
               # answered, RFC 3168 6.1.1)
               | (OPT_ECN if tcb.ecn_ok else 0))
    ssthresh = INFINITE_SSTHRESH if tcb.ssthresh >= 1 << 30 else tcb.ssthresh // mss
    return blank(
        tcb.state, retransmits=tcb.retries, options=options,
        snd_wscale=tcb.snd_wscale if tcb.ws_ok else 0,
        rcv_wscale=tcb.rcv_wscale if tcb.ws_ok else 0, rto=round(rto.rto * 1e6),
        snd_mss=snd_mss, unacked=unacked, rtt=round((rto.srtt or 0.0) * 1e6),
        rttvar=round(rto.rttvar * 1e6), snd_ssthresh=ssthresh,
        snd_cwnd=tcb.cwnd // mss if tcb.cwnd else initial_cwnd,
        advmss=advmss, reordering=3,
    )


# gVisor's sentry (pkg/sentry/socket/netstack/netstack.go, getsockopt TCP_INFO) translates only
# these fields of netstack's tcpip.TCPInfoOption into struct tcp_info ("TODO: Translate fields
# once they are added"); reord_seen is not in the prefix this record reads.
NETSTACK_FIELDS = ("state", "ca_state", "rto", "rtt", "rttvar", "snd_ssthresh", "snd_cwnd")


def netstack_subset(record: TcpInfo) -> TcpInfo:
    """``record`` as gVisor reports it (profile tcp_info_partial): the other fields zero."""
    return blank(STATE_OF_NAME[record.state],
                 **{name: getattr(record, name) for name in NETSTACK_FIELDS[1:]})


STATE_OF_NAME = {s.value: s for s in LINUX_STATES}
