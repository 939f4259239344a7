"""Linux's SYN cookie connections (net.ipv4.tcp_syncookies; tcp_conn_request, cookie_v4_check,
net/ipv4/syncookies.c): a passive open answered with a cookie keeps no request socket, so a
segment of its SYN-RECEIVED goes to the listener, for a profile with `syncookies`.

RFC 9293 3.10.7.4 processes a segment in SYN-RECEIVED with the connection's state; Linux has
none: the listener (tcp_v4_do_rcv -> tcp_v4_cookie_check) takes an ACK without RST or SYN
whose acknowledgment and sequence number decode to a valid cookie (SEG.ACK = ISS + 1 and
SEG.SEQ = IRS + 1: __cookie_v4_check hashes both) as the third segment of the handshake and
makes the child socket from it; anything else is the listener's (RFC 9293 3.10.7.2): another
ACK draws <SEQ=SEG.ACK><CTL=RST>, a RST is ignored, a SYN is a new SYN answered with a new
cookie, a segment with none of these is dropped. The cookie's SYN,ACK is never retransmitted
(tcp/layer.py).

The cookie's low bits are the index of the MSS it keeps (msstab), added to a hash: an ACK up
to that index below ISS + 1 decodes to a valid cookie with a smaller MSS (check_tcp_syn_cookie
subtracts the hash and reads what is left), one up to the table's last index above it to a
larger MSS, and the child's ISS is SEG.ACK - 1 (treq->snt_isn = cookie): measured on Linux
6.18, SEG.ACK = ISS completes the handshake, and over IPv6 (MSS 1440, index 2 of 4)
SEG.ACK = ISS + 2 does, silently, where IPv4's 1460 (the last index) draws the RST.

The child's receive window is chosen again from the cookie (cookie_v4_check / cookie_v6_check
call tcp_select_initial_window with req->mss, the table's MSS): the buffer space rounded down
to that MSS, where the SYN,ACK's (tcp_openreq_init_rwin) was rounded down to our MSS less the
timestamps: 64240 = 44 * 1460 after a SYN,ACK offering 65160 = 45 * 1448 (measured on Linux
6.18). RFC 9293 3.10.7.4 lets the receiver choose RCV.WND freely (RFC 7323 2.3 for the edge).

`check_cookie` returns True when the listener consumed the segment; on False the caller
carries on with the child, as after a request socket (tcp/request_sock.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.route_metrics import route_mss
from reference_stack.tcp.options import segment_timestamps, send_option_reserve
from reference_stack.tcp.request_sock import accept_queue_full
from reference_stack.tcp.seq import seq_add, seq_diff
from reference_stack.tcp.state import State
from reference_stack.tcp.tcb import Tcb, is_request
from reference_stack.trace import DROP, EVENT, Trace
from reference_stack.wire.tcp import ACK, FIN, RST, SYN, TcpRepr

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections
    from reference_stack.tcp.listener import Listener

RULE_BAD_COOKIE = "LINUX-cookie_v4_check-listener-answers"
RULE_MSS = "LINUX-cookie_v4_init_sequence-mss-table"
RULE_MSS_IPV6 = "LINUX-cookie_v6_init_sequence-mss-table"
RULE_OFF_BY = "LINUX-check_tcp_syn_cookie-ack-below-iss"
RULE_ABOVE = "LINUX-check_tcp_syn_cookie-ack-above-iss"
RULE_OVERFLOW = "LINUX-tcp_get_cookie_sock-listen-overflow"
RULE_WINDOW = "LINUX-cookie_v4_check-window-from-cookie-mss"
RULE_ABOVE_USER_MSS = "LINUX-tcp_create_openreq_child-cookie-mss-over-user-mss"
# msstab (net/ipv4/syncookies.c): the peer's MSS a cookie can carry, in two bits
COOKIE_MSS = (536, 1300, 1440, 1460)
# msstab (net/ipv6/syncookies.c): 1280 - 60 (IPV6_MIN_MTU), 1480 - 60, 1500 - 60, 9000 - 60
COOKIE_MSS_IPV6 = (1220, 1420, 1440, 8940)


def _table(tcb: Tcb) -> tuple[int, ...]:
    return COOKIE_MSS_IPV6 if len(tcb.remote_ip) == 16 else COOKIE_MSS


def table_mss(peer_mss: int, ipv6: bool = False) -> int:
    """The peer's MSS rounded down to the cookie table of the family (its first entry at
    least; __cookie_v4_init_sequence, __cookie_v6_init_sequence)."""
    table = COOKIE_MSS_IPV6 if ipv6 else COOKIE_MSS
    return max((m for m in table if m <= peer_mss), default=table[0])


def cookie_mss(trace: Trace, tcb: Tcb, peer_mss: int, user_mss: int | None) -> int:
    """The peer's MSS as the cookie keeps it (table_mss), after the listener's TCP_MAXSEG
    (``user_mss``) clamped it (tcp_parse_options: in_mss = user_mss; measured on Linux 6.18:
    TCP_MAXSEG 600 or 1000 and a peer's 1460 give 536). RFC 9293 3.7.1 sends at most the
    peer's MSS: a smaller one is allowed."""
    table = _table(tcb)
    clamped = min(peer_mss, user_mss) if user_mss else peer_mss
    kept = table_mss(clamped, table is COOKIE_MSS_IPV6)
    if kept != peer_mss:
        trace.add("tcp", EVENT, RULE_MSS_IPV6 if table is COOKIE_MSS_IPV6 else RULE_MSS,
                  f"peer MSS {peer_mss} kept as {kept} by the cookie")
    return kept


def send_limit(trace: Trace, tcb: Tcb, mtu: int, user_mss: int | None) -> int:
    """What bounds a cookie child's send MSS besides the cookie's: the path, and the
    listener's TCP_MAXSEG (``user_mss``) only as far as the cookie kept it. Linux reads the
    user's MSS once, clamping the SYN's (tcp_conn_request, tcp_parse_options); the cookie's
    table entry then becomes the child's mss_clamp (cookie_tcp_reqsk_alloc: req->mss,
    tcp_create_openreq_child: rx_opt.mss_clamp = req->mss), and tcp_sync_mss does not read
    user_mss again. Where the table has nothing as small (IPv6's first entry is 1220) the
    child sends segments above TCP_MAXSEG: measured on 6.18, TCP_MAXSEG 600 over IPv6 gives
    1208-octet segments (1220 less the timestamps). RFC 9293 3.7.1 lets the user's MSS bound
    what is sent (a MAY)."""
    if not user_mss or tcb.cookie_mss <= user_mss:
        return tcb.path_mss
    trace.add("tcp", EVENT, RULE_ABOVE_USER_MSS,
              f"the cookie's MSS {tcb.cookie_mss} bounds the segments, not TCP_MAXSEG {user_mss}")
    return route_mss(tcb.route, mtu, len(tcb.remote_ip) == 16)[1]


def is_cookie(tcb: Tcb) -> bool:
    """A passive SYN-RECEIVED connection answered with a SYN cookie (no request socket)."""
    return is_request(tcb) and tcb.listener.pending[tcb.key] is True


def _index(tcb: Tcb) -> int:
    table = _table(tcb)
    return table.index(tcb.cookie_mss) if tcb.cookie_mss in table else 0


def _below(tcb: Tcb, seg: TcpRepr) -> int:
    """How far an ACK's cookie reads below the one sent: SEG.ACK below ISS + 1 plus SEG.SEQ
    beyond IRS + 1 (check_tcp_syn_cookie subtracts SEG.SEQ - 1 and the hash from SEG.ACK - 1;
    what is left is the MSS index, so both offsets land in it)."""
    return seq_diff(seq_add(tcb.iss, 1), seg.ack) + seq_diff(seg.seq, seq_add(tcb.irs, 1))


def decodes(tcb: Tcb, seg: TcpRepr) -> bool:
    """Whether an ACK (no RST, no SYN) carries a valid cookie for ``tcb``'s SYN,ACK: what it
    reads is an index of the table (the one sent less how far the ACK reads below it)."""
    return (seg.flags & (RST | SYN | ACK) == ACK
            and 0 <= _index(tcb) - _below(tcb, seg) < len(_table(tcb)))


def remember(lst: Listener, tcb: Tcb, syn: TcpRepr) -> None:
    """A cookie SYN,ACK sent: the listener, which keeps no state, still takes an ACK carrying
    the cookie later, while the cookie is valid (two minutes, longer than a test)."""
    lst.cookies[(tcb.remote_ip, tcb.remote_port)] = (syn, tcb)


def remembered(layer: Connections, lst: Listener, src: bytes, dst: bytes, seg: TcpRepr,
               now: float) -> tuple[Tcb, TcpRepr] | None:
    """An ACK to the listener that decodes to a cookie it sent, its connection gone since
    (reset, closed): cookie_v4_check makes a new connection from it, as from the first one.
    A new SYN-RECEIVED connection with the cookie's ISS and the SYN's negotiation, to take the
    ACK; with the SYN to negotiate from (tcp/segment_arrival.py)."""
    record = lst.cookies.get((src, seg.src_port))
    if record is None or not layer.profile.syncookies:
        return None
    syn, old = record
    if old.key in layer.conns or not decodes(old, seg):
        return None
    layer.trace.add("tcp", EVENT, RULE_BAD_COOKIE,
                    "an ACK carrying an earlier cookie: a new connection (cookie_v4_check)")
    tcb = layer.new_tcb(dst, lst.port, src, seg.src_port, State.SYN_RECEIVED, now,
                        opts=lst.opts, iss=old.iss)
    tcb.isn_name = old.isn_name
    tcb.snd_nxt = tcb.snd_max = seq_add(old.iss, 1)
    tcb.passive = True
    tcb.listener = lst
    lst.pending[tcb.key] = True
    return tcb, syn


def check_cookie(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> bool:
    """The listener's handling of a segment to a cookie connection; True if it consumed it."""
    flags = seg.flags
    trace = layer.trace
    if decodes(tcb, seg):
        if accept_queue_full(layer, tcb):
            # tcp_get_cookie_sock: syn_recv_sock makes no child, cookie_v4_check returns
            # NULL: the ACK is dropped whatever net.ipv4.tcp_abort_on_overflow says
            trace.add("tcp", DROP, RULE_OVERFLOW, "accept queue full: the cookie's ACK dropped")
            return True
        if seg.ack != seq_add(tcb.iss, 1) or seg.seq != seq_add(tcb.irs, 1):
            _off_by(layer, tcb, seg, _table(tcb)[_index(tcb) - _below(tcb, seg)], trace)
        _child_window(layer, tcb)
        layer.established_passive(tcb)  # cookie_v4_check: the child socket, from the ACK
        return False
    if flags & RST:
        trace.add("tcp", DROP, "RFC9293-3.10.7.2-MUST-listen-rst-ignore",
                  "no request socket: the listener ignores a RST")
    elif flags & ACK:
        trace.add("tcp", DROP, RULE_BAD_COOKIE, "not the cookie's ACK: the listener's RST")
        layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg,
                           "RFC9293-3.10.7.2-MUST-listen-ack-rst")
    elif flags & SYN and flags & FIN and layer.profile.listen_drop_syn_fin:
        trace.add("tcp", DROP, "LINUX-tcp_rcv_state_process-syn-fin",
                  "a SYN+FIN to the listener: dropped")
    elif flags & SYN:
        # a new SYN to the listener: another cookie (the same ISN for the same SEG.SEQ
        # within the cookie's minute, secure_tcp_syn_cookie), echoing this SYN's TSval
        trace.add("tcp", DROP, RULE_BAD_COOKIE, "a SYN to the listener: a new cookie")
        tcb.irs = seg.seq
        tcb.rcv_nxt = seq_add(seg.seq, 1)
        ts = segment_timestamps(layer.profile.last_timestamps_option, seg) if tcb.ts_ok else None
        if ts is not None:
            tcb.ts_recent = ts[0]
        tcb.snd_nxt = tcb.iss
        layer.sender.transmit(tcb, now)
    else:
        trace.add("tcp", DROP, "RFC9293-3.10.7.2-MUST-listen-other-drop")
    return True


def _child_window(layer: Connections, tcb: Tcb) -> None:
    """The child's receive window, chosen again from the cookie's MSS (see the module
    docstring): it bounds what the child offers and accepts, as the SYN,ACK's window bounds a
    request socket's child (tcp_create_openreq_child: rcv_wnd, rcv_ssthresh)."""
    window = layer.initial_window(tcb, tcb.cookie_mss)
    if window != tcb.rcv_wnd_clamp:
        layer.trace.add("tcp", EVENT, RULE_WINDOW,
                        f"window {window} from the cookie's MSS {tcb.cookie_mss} "
                        f"(the SYN,ACK offered {tcb.rcv_wnd_clamp})")
    tcb.rcv_wnd_clamp = window


def _off_by(layer: Connections, tcb: Tcb, seg: TcpRepr, mss: int, trace: Trace) -> None:
    """An ACK other than the cookie's own that still decodes (see the module docstring): the
    child's ISS is SEG.ACK - 1 (treq->snt_isn), its IRS SEG.SEQ - 1 (treq->rcv_isn), its
    peer MSS the table's entry the cookie then reads."""
    trace.add("tcp", EVENT, RULE_ABOVE if mss > tcb.cookie_mss else RULE_OFF_BY,
              f"ACK {seg.ack} SEQ {seg.seq} decode: ISS {seq_add(seg.ack, -1)}, "
              f"IRS {seq_add(seg.seq, -1)}, peer MSS {mss}")
    layer.rebase_isn(tcb.isn_name, seq_add(seg.ack, -1))
    tcb.isn_name += "'"  # another ISS than the SYN,ACK's: a variable of its own
    tcb.irs = seq_add(seg.seq, -1)
    tcb.rcv_nxt = tcb.last_ack_sent = seg.seq
    p = layer.profile
    tcb.cookie_mss = mss
    reserve = send_option_reserve(tcb.ts_ok, tcb.sack_ok, p.mss_reserves_sack)
    tcb.mss = max(1, min(mss, tcb.path_mss) - reserve)
