"""POSIX-shaped socket calls on the reference stack (non-blocking: the oracle never waits).

Each call returns a `CallResult`: a value or an errno (errno module constants), plus the
`Reaction` holding the frames the call emitted (a connect's SYN, a send's segments). API misuse
(wrong argument types, unknown option levels' value shapes) raises; a peer's behaviour never
does, it surfaces as an errno or in the trace.
"""

from __future__ import annotations

import errno
import select
import socket as pysock
from dataclasses import dataclass
from typing import Any

from reference_stack import socket_family as family_addr
from reference_stack.iface import ipsec
from reference_stack.iface.interface import Interface
from reference_stack.iface.state import Output
from reference_stack.iface.udp_sockets import UdpEndpoint
from reference_stack.socket_family import AF_INET6, IPPROTO_IPV6, IPV6_V6ONLY
from reference_stack.sockopt import (
    IP_MTU_DISCOVER,
    IP_PMTUDISC_DONT,
    IP_PMTUDISC_OMIT,
    IP_PMTUDISC_WANT,
    IPPROTO_IP,
    MSG_DONTWAIT,
    MSG_MORE,
    MSG_NOSIGNAL,
    MSG_PEEK,
    MSG_WAITALL,
    TCP_CORK,
    TCP_INFO,
    TCP_USER_TIMEOUT,
    Linger,
    Unsupported,
    as_value,
    kind,
    option_name,
    refuse_flags,
)
from reference_stack.tcp import info, keepalive, send_buffer, urgent
from reference_stack.tcp.dont_fragment import pmtudisc_df
from reference_stack.tcp.layer import ANY
from reference_stack.tcp.listener import ConnOptions, Listener
from reference_stack.tcp.seq import seq_diff, seq_gt
from reference_stack.tcp.state import State
from reference_stack.tcp.tcb import Tcb
from reference_stack.trace import DROP, EVENT, STATE

# A send buffer without a bound (the profile's send_buffer_unbounded: pytcp's)
UNBOUNDED = 1 << 62

# lwIP's socket layer (the `lwip` profile; suites/requirements/lwip.toml)
RULE_CLOSE_UNREAD_NO_RESET = "LWIP-tcp_close_shutdown-unread-no-reset-when-closing"
RULE_RECV_ERROR_TWICE = "LWIP-netconn_recv_data-error-reported-twice"
AF_INET = pysock.AF_INET
SOCK_STREAM = pysock.SOCK_STREAM
SOCK_DGRAM = pysock.SOCK_DGRAM
SOL_SOCKET = pysock.SOL_SOCKET
IPPROTO_TCP = pysock.IPPROTO_TCP
SO_REUSEADDR = pysock.SO_REUSEADDR
SO_RCVBUF = pysock.SO_RCVBUF
SO_SNDBUF = pysock.SO_SNDBUF
SO_LINGER = pysock.SO_LINGER
SO_ERROR = pysock.SO_ERROR
TCP_NODELAY = pysock.TCP_NODELAY
TCP_MAXSEG = pysock.TCP_MAXSEG
SO_KEEPALIVE = pysock.SO_KEEPALIVE
SO_OOBINLINE = pysock.SO_OOBINLINE
TCP_KEEPIDLE = pysock.TCP_KEEPIDLE
TCP_KEEPINTVL = pysock.TCP_KEEPINTVL
TCP_KEEPCNT = pysock.TCP_KEEPCNT
SHUT_RD, SHUT_WR, SHUT_RDWR = pysock.SHUT_RD, pysock.SHUT_WR, pysock.SHUT_RDWR
MSG_OOB = int(pysock.MSG_OOB)  # a plain int: IntFlag arithmetic is slow on the send path

SEND_FLAGS = MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE
RECV_FLAGS = MSG_PEEK | MSG_OOB | MSG_DONTWAIT | MSG_WAITALL | MSG_NOSIGNAL

# States in which the peer has closed its direction (a read returns end of file).
PEER_CLOSED = (State.CLOSE_WAIT, State.LAST_ACK, State.CLOSING, State.TIME_WAIT)
# (State tuples as constants: an Enum member's attribute lookup is slow on the hot paths.)
SEND_STATES = (State.ESTABLISHED, State.CLOSE_WAIT, State.SYN_SENT, State.SYN_RECEIVED)
OPENING = (State.SYN_SENT, State.SYN_RECEIVED)
SHUTDOWN_TX_STATES = (State.SYN_RECEIVED, State.ESTABLISHED, State.CLOSE_WAIT)  # lwIP tcp_shutdown
BYTES_LIKE = (bytes, bytearray, memoryview)  # a tuple: `bytes | bytearray` is built per call
Addr = tuple[str, int]


@dataclass(slots=True, eq=False)
class Socket:
    fd: int
    type: int
    family: int = AF_INET
    # IPV6_V6ONLY (RFC 3493 5.3): off by default, as Linux's net.ipv6.bindv6only = 0: an
    # AF_INET6 socket also speaks IPv4 through IPv4-mapped addresses (RFC 4291 2.5.5.2).
    v6only: bool = False
    local: tuple[bytes, int] | None = None
    listener: Listener | None = None
    tcb: Tcb | None = None
    udp: UdpEndpoint | None = None
    reuseaddr: bool = False
    rcvbuf: int = 0
    sndbuf: int = 0
    nodelay: bool = False
    cork: bool = False  # TCP_CORK (RFC 1122 4.2.2.2: SENDs without PUSH; tcp/output.py)
    pmtudisc: int | None = None  # IP_MTU_DISCOVER as set (None: the profile's default)
    oobinline: bool = False  # SO_OOBINLINE: urgent data stays in the stream (tcp/urgent.py)
    maxseg: int | None = None
    linger: Linger = Linger(0, 0)
    # RFC 1122 4.2.3.6: keep-alives MUST default to off; the idle interval MUST default to no
    # less than two hours. The options are kept; keep-alive probes themselves are not modelled.
    keepalive: bool = False
    keepidle: int | None = None
    keepintvl: int | None = None
    keepcnt: int | None = None
    user_timeout: int = 0  # TCP_USER_TIMEOUT, ms (RFC 1122 4.2.3.5: R2 set by the application)
    shut_rd: bool = False
    shut_wr: bool = False
    eof_reported: bool = False  # recv() returned the end of file once
    # lwIP's receive mailbox (profile recv_error_twice): the error err_tcp posted to it, not
    # read yet, and whether err_tcp closed it (NETCONN_FLAG_MBOXCLOSED).
    mbox_error: int = 0
    mbox_closed: bool = False
    pcb_released: bool = False  # lwIP's netconn let its pcb go (shutdown_closing_enotconn)
    connect_reported: bool = False
    rcvbuf_locked: bool = False  # SO_RCVBUF set by the user (Linux SOCK_RCVBUF_LOCK)
    sndbuf_locked: bool = False  # SO_SNDBUF set by the user (Linux SOCK_SNDBUF_LOCK)
    # the send buffer's accounting (profile send_buffer_accounting: tcp/send_buffer.py)
    wmem: send_buffer.SendMemory | None = None

    def conn_options(self) -> ConnOptions:
        return ConnOptions(self.rcvbuf, self.sndbuf, self.nodelay, self.maxseg,
                           self.rcvbuf_locked, self.cork, pmtudisc_df(self.pmtudisc))


class SocketApi:
    """The calls themselves; `ReferenceStack` wraps each in a Reaction."""

    def __init__(self, iface: Interface, out: Output) -> None:
        """`iface`: the interface (and through it the TCP and UDP layers, the profile and the
        random source); `out`: where the frames a call emits go (the stack's output)."""
        self.iface = iface
        self.tcp = iface.tcp
        self.udp = iface.udp
        self.out = out
        self.sockets: dict[int, Socket] = {}
        self.next_fd = 3

    # -- helpers ---------------------------------------------------------------------------

    def get(self, fd: int) -> Socket | None:
        return self.sockets.get(fd)

    def _port_in_use(self, ip: bytes, port: int, reuse: bool, sock_type: int,
                     v6only: bool = False) -> bool:
        for s in self.sockets.values():
            if s.type != sock_type or s.local is None or s.local[1] != port:
                continue
            if not family_addr.overlaps(s.local[0], s.v6only, ip, v6only):
                continue
            # Linux inet_csk_bind_conflict: both SO_REUSEADDR and the holder not listening.
            if not (reuse and s.reuseaddr and s.listener is None):
                return True
        if sock_type == SOCK_STREAM and not reuse:
            # Connections outliving their socket (TIME-WAIT, orphans) keep the port.
            return any(key[1] == port for key in self.tcp.conns)
        return False

    def _ephemeral(self, ip: bytes, sock_type: int, v6only: bool = False) -> int | None:
        lo, hi = self.iface.profile.ephemeral_ports
        rng = self.iface.rng
        for _ in range(64):
            port = rng.randint(lo, hi)
            if not self._port_in_use(ip, port, False, sock_type, v6only):
                return port
        return None

    def _autobind(self, s: Socket) -> int:
        if s.local is not None:
            return 0
        wild = family_addr.wildcard(s.family)
        port = self._ephemeral(wild, s.type, s.v6only)
        if port is None:
            return errno.EAGAIN
        s.local = (wild, port)
        if s.type == SOCK_DGRAM:
            s.udp = self._udp_endpoint(s)
        return 0

    def _udp_endpoint(self, s: Socket) -> UdpEndpoint:
        ep = UdpEndpoint(s.local[0], s.local[1], s.rcvbuf, v6only=s.v6only)
        self.udp.endpoints[s.local] = ep
        return ep

    # -- calls -----------------------------------------------------------------------------

    def _addr(self, s: Socket, addr: tuple) -> tuple[bytes | None, int]:
        """The raw address of a call's ``addr`` for the socket's family (socket_family)."""
        return family_addr.parse(s.family, addr[0], s.v6only)

    def _our_ip(self, remote: bytes) -> bytes:
        """Our address of the remote address's family."""
        return self.iface.ip if len(remote) == 4 else self.iface.ip6.ip

    def socket(self, family: int, sock_type: int) -> tuple[Any, int]:
        if family not in (AF_INET, AF_INET6) or (family == AF_INET6 and self.iface.ip6 is None):
            return None, errno.EAFNOSUPPORT
        if sock_type not in (SOCK_STREAM, SOCK_DGRAM):
            return None, errno.EPROTONOSUPPORT
        p = self.iface.profile
        fd = self.next_fd
        self.next_fd += 1
        self.sockets[fd] = Socket(fd, sock_type, family, rcvbuf=p.recv_buffer,
                                  sndbuf=UNBOUNDED if p.send_buffer_unbounded
                                  else p.send_buffer)
        return fd, 0

    def bind(self, fd: int, addr: tuple[bytes | str, int]) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        ip, err = self._addr(s, addr)
        if err:
            return None, err
        port = int(addr[1])
        if s.local is not None:
            return None, errno.EINVAL
        ip6 = self.iface.ip6
        if ip not in (ANY, self.iface.ip) and not (
                s.family == AF_INET6 and ip in (family_addr.ANY6, ip6.ip)):
            return None, errno.EADDRNOTAVAIL
        if port == 0:
            port = self._ephemeral(ip, s.type, s.v6only)
            if port is None:
                return None, errno.EADDRINUSE
        elif self._port_in_use(ip, port, s.reuseaddr, s.type, s.v6only):
            return None, errno.EADDRINUSE
        s.local = (ip, port)
        if s.type == SOCK_DGRAM:
            s.udp = self._udp_endpoint(s)
        return 0, 0

    def listen(self, fd: int, backlog: int) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if s.type != SOCK_STREAM:
            return None, errno.EOPNOTSUPP
        if s.tcb is not None:
            return None, errno.EINVAL
        if s.listener is not None:
            s.listener.backlog = backlog
            return 0, 0
        err = self._autobind(s)
        if err:
            return None, err
        lst = Listener(s.local[0], s.local[1], max(0, backlog), s.conn_options(),
                       v6only=s.v6only)
        self.tcp.listeners[s.local] = lst
        s.listener = lst
        self.tcp.trace.add("socket", STATE, "RFC9293-3.10.1-MUST-passive-open",
                                 "CLOSED -> LISTEN")
        return 0, 0

    def accept(self, fd: int) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if s.listener is None:
            return None, errno.EINVAL
        while s.listener.accept_queue:
            tcb = s.listener.accept_queue.popleft()
            child = self.sockets[self.socket(s.family, SOCK_STREAM)[0]]
            child.local = (tcb.local_ip, tcb.local_port)
            child.tcb = tcb
            child.connect_reported = True
            child.rcvbuf, child.sndbuf = s.rcvbuf, s.sndbuf
            child.sndbuf_locked = s.sndbuf_locked  # (sk_clone_lock copies sk_userlocks)
            if not self.tcp.profile.listener_sndbuf_inherited:  # (gVisor's accept.go)
                child.sndbuf = tcb.send.capacity = self.tcp.profile.send_buffer
                child.sndbuf_locked = False
            child.nodelay, child.maxseg, child.cork = s.nodelay, s.maxseg, s.cork
            child.pmtudisc = s.pmtudisc  # (sk_clone_lock copies inet->pmtudisc)
            child.oobinline = s.oobinline
            child.user_timeout = s.user_timeout  # (inet_csk_clone_lock copies it)
            tcb.user_timeout = s.user_timeout / 1000
            tcb.listener = None
            return (child.fd, family_addr.text(s.family, tcb.remote_ip, tcb.remote_port)), 0
        return None, errno.EAGAIN

    def connect(self, fd: int, addr: tuple[bytes | str, int], now: float) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        ip, err = self._addr(s, addr)
        if err:
            return None, err
        port = int(addr[1])
        if s.type == SOCK_DGRAM:
            err = self._autobind(s)
            if err:
                return None, err
            s.udp.connected = (ip, port)
            return 0, 0
        if s.listener is not None:
            return None, errno.EINVAL
        if s.tcb is not None:
            tcb = s.tcb
            if tcb.state in (State.SYN_SENT, State.SYN_RECEIVED):
                return None, errno.EALREADY
            if tcb.state is State.CLOSED:
                err, tcb.error = tcb.error, 0
                s.tcb = None
                return None, err or errno.ECONNABORTED
            if not s.connect_reported:
                s.connect_reported = True
                return 0, 0
            return None, errno.EISCONN
        err = self._autobind(s)
        if err:
            return None, err
        local_ip = self._our_ip(ip) if s.local[0] in (ANY, family_addr.ANY6) else s.local[0]
        if len(local_ip) != len(ip):
            return None, errno.ENETUNREACH  # bound to an address of the other family
        if (local_ip, s.local[1], ip, port) in self.tcp.conns:
            return None, errno.EADDRNOTAVAIL
        if self.iface.ipsec is not None:  # the route's SPD-O decision (iface/ipsec.py)
            err = ipsec.route_errno(self.iface, local_ip, ip, pysock.IPPROTO_TCP, s.local[1],
                                    port, self.tcp.trace)
            if err:
                return None, err
        tcb = self.tcp.open_active(local_ip, s.local[1], ip, port, now,
                                         s.conn_options(), ephemeral=True)
        s.tcb = tcb
        tcb.user_timeout = s.user_timeout / 1000
        return None, errno.EINPROGRESS

    def send(self, fd: int, data: bytes, now: float, flags: int = 0,
             take: int | None = None) -> tuple[Any, int]:
        """``take``: the count a target's send() returned (0: EAGAIN), adopted where the
        profile's send-buffer accounting allows it (tcp/send_buffer.py)."""
        if not isinstance(data, BYTES_LIKE):
            raise TypeError("send() takes bytes")
        if flags & ~SEND_FLAGS:
            refuse_flags(flags, SEND_FLAGS, "the reference stack's send")
        s = self.sockets.get(fd)  # (get, inline: the data path's calls)
        if s is None:
            return None, errno.EBADF
        if s.type == SOCK_DGRAM:
            if flags & MSG_MORE:  # (Linux corks the datagram, udp_sendmsg: not modelled)
                raise Unsupported("the reference stack does not model MSG_MORE on a UDP socket")
            if s.udp is None or s.udp.connected is None:
                return None, errno.EDESTADDRREQ
            return self.sendto(fd, bytes(data), s.udp.connected, now)
        tcb = s.tcb
        if tcb is None:
            return None, errno.ENOTCONN
        if tcb.error:  # (_post_error does nothing without one: not called on every send)
            self._post_error(s, tcb)
            err, tcb.error = tcb.error, 0
            return None, err
        if s.shut_wr or tcb.state not in SEND_STATES:
            # POSIX send(): EPIPE once the sending side is shut (RFC 9293 3.10.2: "connection
            # closing"); lwIP's tcp_write_checks refuses: ERR_CONN, ENOTCONN
            return None, (errno.ENOTCONN if self.tcp.profile.send_closed_enotconn
                          else errno.EPIPE)
        if tcb.state in OPENING:
            return None, errno.EAGAIN
        if data and self.tcp.profile.send_buffer_accounting:
            mem = s.wmem
            n = len(data)
            cut = tcb.mss
            w = tcb.max_snd_wnd
            if w:
                w = w >> 1 if w > 536 else w
                if w < cut:
                    cut = w
            if (n <= cut and mem is not None and not tcb.send.data and not flags & MSG_OOB
                    and (take is None or take == n)):
                # (send_buffer's whole path, inline for its common case: the queue empty and
                # one segment asked for: one skb, within the size goal (at least `cut`),
                # always taken)
                mem.skbs = [[mem.written, mem.written + n]]
                mem.written += n
                mem.calls = 1
                mem.min_goal = cut
                tcb.send.capacity = n
            else:
                count = self._accounted(s, tcb, n, flags & MSG_OOB != 0, take)
                if not count:
                    return None, errno.EAGAIN
                data = data[:count]
                tcb.send.capacity = len(tcb.send.data) + count  # (the accounting decided)
        if type(data) is not bytes:  # (bytes(data) returns bytes as they are: no call then)
            data = bytes(data)
        n = self.tcp.send(tcb, data, now, flags & MSG_OOB != 0, flags & MSG_MORE != 0)
        if n == 0 and data:
            return None, errno.EAGAIN
        return n, 0

    def _sndbuf(self, s: Socket, tcb: Tcb) -> tuple[int, int]:
        p = self.tcp.profile
        return send_buffer.sndbuf_bounds(s.sndbuf, s.sndbuf_locked, tcb, p.sndbuf_expand,
                                         p.send_buffer_max, p.dupthresh, p.max_tcp_header)

    def _accounted(self, s: Socket, tcb: Tcb, asked: int, urgent: bool,
                   take: int | None) -> int:
        """What a SEND of ``asked`` octets takes by Linux's send-buffer accounting (RFC 9293
        3.10.2 leaves the buffer to the implementation; tcp/send_buffer.py): the oracle's own
        count, or a target's count ``take`` inside the bound no skb layout exceeds."""
        if s.wmem is None:
            s.wmem = send_buffer.SendMemory(self.tcp.profile.skb_truesize)
        mem = s.wmem
        bounds = self._sndbuf(s, tcb)
        sent = send_buffer.sync(mem, tcb)
        goal = send_buffer.size_goal(tcb, urgent)
        count = send_buffer.own_count(mem, tcb, sent, asked, bounds[0], goal)
        detail = f"{asked} octets asked, sndbuf {bounds[0]}: takes {count}"
        if take is not None and take != count:
            allowed = send_buffer.allowance(mem, tcb, asked, bounds)
            if allowed.allows(take or None):
                detail = (f"{asked} octets asked, sndbuf {bounds[0]}..{bounds[1]}: the "
                          f"target's {take or 'EAGAIN'} is inside EAGAIN={allowed.eagain}, "
                          f"{allowed.least}..{allowed.most}")
                count = take
            self.tcp.trace.add("socket", EVENT, send_buffer.RULE_ACCOUNT, detail)
        elif count < asked:  # (a decision worth its record: the buffer is full)
            self.tcp.trace.add("socket", EVENT, send_buffer.RULE_ACCOUNT, detail)
        send_buffer.record(mem, sent, count, goal)
        return count

    def _room(self, s: Socket, tcb: Tcb, record: bool) -> bool:
        """Room to write (poll's POLLOUT): more free octets than the profile's low-water mark
        (lwIP's TCP_SNDLOWAT; 0: any), or Linux's writeable test."""
        if not self.tcp.profile.send_buffer_accounting:
            return tcb.send.free() > self.tcp.profile.pollout_low_water
        if s.wmem is None:
            s.wmem = send_buffer.SendMemory(self.tcp.profile.skb_truesize)
        sndbuf = self._sndbuf(s, tcb)[0]
        room = send_buffer.writeable(s.wmem, tcb, sndbuf)
        if record:
            self.tcp.trace.add("socket", EVENT, send_buffer.RULE_WRITEABLE,
                               f"sndbuf {sndbuf}, queued "
                               f"{send_buffer.model_queued(s.wmem, tcb)}: POLLOUT {room}")
        return room

    def sendto(self, fd: int, data: bytes, addr: tuple[bytes | str, int],
               now: float) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if s.type != SOCK_DGRAM:
            return self.send(fd, data, now)
        if len(data) > 65507:
            return None, errno.EMSGSIZE
        dst, err = self._addr(s, addr)
        if err:
            return None, err
        err = self._autobind(s)
        if err:
            return None, err
        if self.iface.ipsec is not None:  # the route's SPD-O decision (iface/ipsec.py)
            local_ip = self._our_ip(dst) if s.local[0] in (ANY, family_addr.ANY6) \
                else s.local[0]
            err = ipsec.route_errno(self.iface, local_ip, dst, pysock.IPPROTO_UDP, s.local[1],
                                    int(addr[1]), self.tcp.trace)
            if err:
                return None, err
        self.iface.send_udp(s.local[1], dst, int(addr[1]), bytes(data), now,
                            self.tcp.trace, self.out)
        if self.iface.ipsec is not None and self.iface.ipsec.send_errno:
            return None, self.iface.ipsec.send_errno  # the SA's output failed (iface/ipsec.py)
        return len(data), 0

    def recv(self, fd: int, n: int, now: float, flags: int = 0) -> tuple[Any, int]:
        """`flags`: MSG_PEEK reads without consuming; MSG_OOB reads the out-of-band byte;
        MSG_DONTWAIT and MSG_WAITALL change nothing in a call that never waits (a blocking
        MSG_WAITALL is the caller's: it retries until `n` octets are ready)."""
        if n < 0:
            raise ValueError("recv() size must be >= 0")
        if flags:
            refuse_flags(flags, RECV_FLAGS, "the reference stack's recv")
        s = self.sockets.get(fd)  # (get, inline: the data path's calls)
        if s is None:
            return None, errno.EBADF
        if flags & (MSG_PEEK | MSG_OOB) and s.tcb is not None:
            return self._recv_special(s, s.tcb, n, flags)
        if s.type == SOCK_DGRAM:
            res, err = self.recvfrom(fd, n)
            return (res[0] if res is not None else None), err
        tcb = s.tcb
        if tcb is None:
            return None, errno.ENOTCONN
        if tcb.oob_seq is not None and tcb.recv.ready:  # (before_read keeps n without one)
            n = urgent.before_read(tcb, n, s.oobinline)
        if tcb.recv.ready:
            if n > len(tcb.recv.ready):
                tcb.peer_fin_unread = False  # (Linux tcp_recvmsg reads on into the FIN, if queued)
            data = self.tcp.receive(tcb, n, now)
            if tcb.rcv_up is not None and seq_diff(tcb.rcv_nxt, tcb.rcv_up) >= len(
                    tcb.recv.ready):
                tcb.rcv_up = None  # read past the urgent mark
            return data, 0
        self._post_error(s, tcb)
        if s.mbox_error:
            # lwIP's netconn_recv_data reads the mailbox first: the error err_tcp posted
            err, s.mbox_error = s.mbox_error, 0
            self.tcp.trace.add("socket", STATE, RULE_RECV_ERROR_TWICE,
                               f"recv() reads errno {err} from lwIP's receive mailbox")
            return None, err
        if tcb.error:
            err, tcb.error = tcb.error, 0
            return None, err
        if s.mbox_closed:
            # lwIP: the mailbox closed and empty, no pending error: netconn_recv_data ERR_CONN
            return None, errno.ENOTCONN
        tcb.peer_fin_unread = False  # an end of file reads the FIN
        if s.shut_rd:
            return b"", 0
        if tcb.state in PEER_CLOSED or tcb.state is State.CLOSED or (
                tcb.peer_fin_seq is not None and seq_gt(tcb.rcv_nxt, tcb.peer_fin_seq)):
            # the FIN taken in order (RFC 9293 3.10.7.4 eighth check), not one still beyond
            # RCV.NXT (out of order: more data may come before it)
            return self._end_of_file(s)
        return None, errno.EAGAIN

    def _post_error(self, s: Socket, tcb: Tcb) -> None:
        """POSIX: a pending error is reported once (SO_ERROR is cleared). lwIP's err_tcp keeps
        it in conn->pending_err (taken by the next call that asks, netconn_err) and posts it
        to the receive mailbox as well, closing the mailbox (api_msg.c): recv() reads the
        mailbox's message first, then the pending error if no other call took it, then
        fails with ERR_CONN, ENOTCONN (api_lib.c netconn_recv_data; profile
        recv_error_twice)."""
        if self.tcp.profile.recv_error_twice and tcb.error and not s.mbox_closed:
            s.mbox_error, s.mbox_closed = tcb.error, True

    def _end_of_file(self, s: Socket) -> tuple[Any, int]:
        """POSIX recv() returns 0 at the end of file, every time (RFC 9293 3.10.3: "connection
        closing"); lwIP's netconn_recv_data_tcp frees its receive mailbox once it reported
        the FIN, so a later recv fails with ERR_CONN, ENOTCONN (recv_after_eof_enotconn)."""
        if s.eof_reported and self.tcp.profile.recv_after_eof_enotconn:
            return None, errno.ENOTCONN
        s.eof_reported = True
        return b"", 0

    def _recv_special(self, s: Socket, tcb: Tcb, n: int, flags: int) -> tuple[Any, int]:
        """recv with MSG_OOB or MSG_PEEK on a TCP socket."""
        if flags & MSG_OOB:
            return urgent.read_oob(tcb, s.oobinline, peek=bool(flags & MSG_PEEK))
        ready = tcb.recv.ready
        if ready:
            start, end = urgent.peek_span(tcb, n, s.oobinline)
            return bytes(ready[start:end]), 0
        if tcb.error:  # (Linux tcp_recvmsg: sock_error takes it, peeking or not)
            err, tcb.error = tcb.error, 0
            return None, err
        if s.shut_rd or tcb.state in PEER_CLOSED or tcb.state is State.CLOSED:
            return b"", 0
        return None, errno.EAGAIN

    def getsockname(self, fd: int) -> tuple[Any, int]:
        """The local address; a connection's own address when bound to the wildcard."""
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if s.tcb is not None:
            return family_addr.text(s.family, s.tcb.local_ip, s.tcb.local_port), 0
        ip, port = s.local if s.local is not None else (family_addr.wildcard(s.family), 0)
        return family_addr.text(s.family, ip, port), 0

    def getpeername(self, fd: int) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        tcb = s.tcb
        if s.udp is not None and s.udp.connected is not None:
            return family_addr.text(s.family, *s.udp.connected), 0
        if tcb is None or tcb.state in (State.CLOSED, State.SYN_SENT):
            return None, errno.ENOTCONN  # (Linux inet_getname: TCPF_CLOSE | TCPF_SYN_SENT)
        return family_addr.text(s.family, tcb.remote_ip, tcb.remote_port), 0

    def recvfrom(self, fd: int, n: int) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if s.udp is None:
            return None, errno.EAGAIN
        if s.udp.error:
            err, s.udp.error = s.udp.error, 0
            return None, err
        item = s.udp.read()
        if item is None:
            return None, errno.EAGAIN
        src, sport, data = item
        return (data[:n], family_addr.text(s.family, src, sport)), 0

    def shutdown(self, fd: int, how: int, now: float) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if how not in (SHUT_RD, SHUT_WR, SHUT_RDWR):
            return None, errno.EINVAL
        if s.type == SOCK_STREAM and (s.tcb is None or s.tcb.state is State.CLOSED):
            return None, errno.ENOTCONN
        if (s.tcb is not None and s.tcb.state is State.TIME_WAIT
                and self.tcp.profile.time_wait_minisock):
            # RFC 9293 3.10.4 answers a CLOSE in TIME-WAIT with "connection closing"; Linux
            # hands the connection to a timewait socket (tcp_time_wait -> tcp_done: the socket
            # itself is TCP_CLOSE), so inet_shutdown fails with ENOTCONN.
            self.tcp.trace.add("socket", STATE, "LINUX-tcp_time_wait-socket-closed",
                               "TIME-WAIT is a timewait socket: shutdown() -> ENOTCONN")
            return None, errno.ENOTCONN
        if (how == SHUT_WR and self.tcp.profile.shutdown_closing_enotconn
                and s.tcb is not None and s.eof_reported):
            # Once recv() reported the end of file, lwIP's netconn_recv_data_tcp has shut the
            # receiving side (netconn_close_shutdown NETCONN_SHUT_RD: TF_RXCLOSED), and
            # api_msg.c lwip_netconn_do_close_internal turns shut_tx into tcp_close, which
            # succeeds in every state and releases the pcb (conn->pcb.tcp = NULL): a later
            # shutdown finds none (lwip_netconn_do_close: ERR_CONN, ENOTCONN).
            if s.pcb_released:
                return None, errno.ENOTCONN
            s.pcb_released = True
        elif (how == SHUT_WR and self.tcp.profile.shutdown_closing_enotconn
                and s.tcb is not None and s.tcb.state not in SHUTDOWN_TX_STATES):
            # RFC 9293 3.10.4: CLOSE in a closing state is "connection closing" (POSIX
            # shutdown() succeeds); lwIP's tcp_shutdown refuses shut_tx outside SYN_RCVD,
            # ESTABLISHED and CLOSE_WAIT with ERR_CONN, ENOTCONN
            return None, errno.ENOTCONN
        if how in (SHUT_RD, SHUT_RDWR):
            s.shut_rd = True
        if how in (SHUT_WR, SHUT_RDWR) and not s.shut_wr and s.tcb is not None:
            s.shut_wr = True
            self.tcp.close(s.tcb, now)
        return 0, 0

    def close_lingers(self, fd: int) -> bool:
        """Whether close(fd), made now, waits: SO_LINGER on with a positive time on a
        connection (RFC 9293 3.9.1.4: the interface's choice, a MAY; the caller waits until
        the FIN is acknowledged or the time is up). The lwip profile's close lingers only
        with data or a FIN in flight or unsent (linger_needs_data_in_flight)."""
        s = self.sockets.get(fd)
        if s is None or s.tcb is None or not (s.linger.onoff and s.linger.seconds > 0):
            return False
        if self.tcp.profile.linger_needs_data_in_flight:
            return s.tcb.in_flight() > 0 or s.tcb.unsent() > 0
        return True

    def close(self, fd: int, now: float) -> tuple[Any, int]:
        s = self.sockets.pop(fd, None)
        if s is None:
            return None, errno.EBADF
        tcp = self.tcp
        if s.listener is not None:
            tcp.drop_listener(s.listener, now)
        if s.udp is not None:
            self.udp.endpoints.pop(s.local, None)
        tcb = s.tcb
        if tcb is None or tcb.state is State.CLOSED:
            return 0, 0
        if tcb.recv.ready and self.tcp.profile.close_unread_resets_open_states_only and \
                tcb.state not in (State.ESTABLISHED, State.CLOSE_WAIT):
            # RFC 1122 4.2.2.13 (SHOULD send a RST); lwIP's tcp_close_shutdown resets only in
            # ESTABLISHED and CLOSE_WAIT: the unread data is discarded, nothing is sent.
            self.tcp.trace.add("socket", DROP, RULE_CLOSE_UNREAD_NO_RESET,
                               f"close() with unread data in {tcb.state.value}: no RST")
            tcb.recv.ready.clear()
        if tcb.recv.ready or (s.linger[0] and s.linger[1] == 0):
            # RFC 9293 3.10.4 / RFC 1122 4.2.2.13: closing with unread data, or SO_LINGER with
            # a zero timeout, aborts the connection with a RST.
            tcp.abort(tcb, now, "RFC1122-4.2.2.13-SHOULD-rst-on-close-with-data"
                      if tcb.recv.ready else "RFC9293-3.10.5-MUST-abort-rst",
                      unread=bool(tcb.recv.ready))
            return 0, 0
        tcb.orphan = True
        tcb.peer_fin_unread = False  # (Linux tcp_close purges the receive queue)
        if not s.shut_wr:
            tcp.close(tcb, now)
        else:
            tcp.arm_fin_wait_2(tcb, now)
        return 0, 0

    def setsockopt(self, fd: int, level: int, name: int, value: Any,
                   now: float) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if kind(level, name) is not None:  # a known option: its value (an int, a Linger),
            value = as_value(level, name, value)  # raw bytes accepted as a kernel takes them
        doubling = self.iface.profile.sockbuf_doubling
        if level == SOL_SOCKET and name == SO_REUSEADDR:
            s.reuseaddr = bool(value)
        elif level == SOL_SOCKET and name in (SO_RCVBUF, SO_SNDBUF):
            if not self._buffer_option(name):
                return None, errno.ENOPROTOOPT
            size = int(value) * (2 if doubling else 1)
            if name == SO_RCVBUF:
                s.rcvbuf = size
                s.rcvbuf_locked = True
                if s.udp is not None:
                    s.udp.rcvbuf = size
            else:
                if self.iface.profile.send_buffer_accounting:
                    size = max(size, send_buffer.SOCK_MIN_SNDBUF)  # sk_setsockopt
                s.sndbuf = size
                s.sndbuf_locked = True
                if s.tcb is not None:
                    s.tcb.send.capacity = size
        elif level == SOL_SOCKET and name == SO_KEEPALIVE:
            s.keepalive = bool(value)
            self._keepalive(s, now)
        elif level == SOL_SOCKET and name == SO_OOBINLINE:
            s.oobinline = bool(value)
        elif level == IPPROTO_TCP and name == TCP_KEEPIDLE and s.type == SOCK_STREAM:
            if not 1 <= int(value) <= 32767:  # Linux MAX_TCP_KEEPIDLE
                return None, errno.EINVAL
            s.keepidle = int(value)
            self._keepalive(s, now)
        elif level == IPPROTO_TCP and name == TCP_KEEPINTVL and s.type == SOCK_STREAM:
            if not 1 <= int(value) <= 32767:  # Linux MAX_TCP_KEEPINTVL
                return None, errno.EINVAL
            s.keepintvl = int(value)
            self._keepalive(s, now)
        elif level == IPPROTO_TCP and name == TCP_KEEPCNT and s.type == SOCK_STREAM:
            if not 1 <= int(value) <= 127:  # Linux MAX_TCP_KEEPCNT
                return None, errno.EINVAL
            s.keepcnt = int(value)
            self._keepalive(s, now)
        elif level == SOL_SOCKET and name == SO_LINGER:
            s.linger = Linger(value.onoff, max(0, value.seconds))
        elif level == IPPROTO_TCP and name == TCP_USER_TIMEOUT and s.type == SOCK_STREAM:
            if int(value) < 0:  # (Linux do_tcp_setsockopt: EINVAL)
                return None, errno.EINVAL
            s.user_timeout = int(value)
            if s.tcb is not None:
                s.tcb.user_timeout = s.user_timeout / 1000
        elif level == IPPROTO_TCP and name == TCP_NODELAY and s.type == SOCK_STREAM:
            s.nodelay = bool(value)
            if s.tcb is not None:
                s.tcb.nodelay = s.nodelay
                self.tcp.sender.transmit(s.tcb, now)
        elif level == IPPROTO_TCP and name == TCP_CORK and s.type == SOCK_STREAM:
            # Linux __tcp_sock_set_cork: uncorking pushes what waits (tcp_push_pending_frames)
            s.cork = bool(value)
            if s.tcb is not None:
                s.tcb.cork = s.cork
                if not s.cork:
                    self.tcp.sender.transmit(s.tcb, now)
        elif level == IPPROTO_IP and name == IP_MTU_DISCOVER and s.type == SOCK_STREAM:
            if not IP_PMTUDISC_DONT <= int(value) <= IP_PMTUDISC_OMIT:  # do_ip_setsockopt
                return None, errno.EINVAL
            s.pmtudisc = int(value)
            if s.tcb is not None:
                s.tcb.df = pmtudisc_df(s.pmtudisc)
        elif level == IPPROTO_TCP and name == TCP_MAXSEG and s.type == SOCK_STREAM:
            if not 88 <= int(value) <= 32767:  # Linux TCP_MIN_MSS .. MAX_TCP_WINDOW
                return None, errno.EINVAL
            s.maxseg = int(value)
        elif level == IPPROTO_IPV6 and name == IPV6_V6ONLY and s.family == AF_INET6:
            if s.local is not None:
                return None, errno.EINVAL  # Linux do_ipv6_setsockopt: not once bound
            s.v6only = bool(value)
        else:
            return None, self._not_an_option("setsockopt", s, level, name)
        return 0, 0

    def _buffer_option(self, name: int) -> bool:
        """SO_SNDBUF / SO_RCVBUF exist in the profile's socket interface (pytcp has neither,
        lwIP no SO_SNDBUF: profiles.py sndbuf_option, rcvbuf_option)."""
        p = self.iface.profile
        return p.sndbuf_option if name == SO_SNDBUF else p.rcvbuf_option

    @staticmethod
    def _not_an_option(call: str, s: Socket, level: int, name: int) -> int:
        """ENOPROTOOPT for an option that is none (or none of this socket's protocol); an
        option the oracle knows by name but does not model raises, naming it."""
        if (kind(level, name) is None or (level == IPPROTO_TCP and s.type != SOCK_STREAM)
                or (level == IPPROTO_IPV6 and s.family != AF_INET6)):
            return errno.ENOPROTOOPT
        raise Unsupported(f"the reference stack does not model {call} {option_name(level, name)}")

    def _keepalive(self, s: Socket, now: float) -> None:
        """SO_KEEPALIVE or a keep-alive time changed on a connected socket: (re)start its
        keep-alive timer (RFC 1122 4.2.3.6; Linux tcp_set_keepalive, tcp_sock_set_keepidle)."""
        if s.tcb is None:
            return
        p = self.iface.profile
        settings = (s.keepidle or p.keepalive_idle, s.keepintvl or p.keepalive_interval,
                    s.keepcnt or p.keepalive_probes) if s.keepalive else None
        keepalive.configure(s.tcb, settings, now)

    def getsockopt(self, fd: int, level: int, name: int) -> tuple[Any, int]:
        s = self.get(fd)
        if s is None:
            return None, errno.EBADF
        if level == SOL_SOCKET:
            if name == SO_REUSEADDR:
                return int(s.reuseaddr), 0
            if name in (SO_RCVBUF, SO_SNDBUF) and not self._buffer_option(name):
                return None, errno.ENOPROTOOPT
            if name == SO_RCVBUF:
                return s.rcvbuf, 0
            if name == SO_SNDBUF:
                if (s.tcb is not None and not s.sndbuf_locked and s.tcb.state is not State.SYN_SENT
                        and self.tcp.profile.send_buffer_accounting):
                    # tcp_init_buffer_space -> tcp_sndbuf_expand at ESTABLISHED
                    return self._sndbuf(s, s.tcb)[0], 0
                return s.sndbuf, 0
            if name == SO_LINGER:
                return s.linger, 0
            if name == SO_KEEPALIVE:
                return int(s.keepalive), 0
            if name == SO_ERROR:
                err = 0
                if s.tcb is not None:
                    self._post_error(s, s.tcb)
                    err, s.tcb.error = s.tcb.error, 0
                elif s.udp is not None:
                    err, s.udp.error = s.udp.error, 0
                return err, 0
        if level == IPPROTO_IPV6 and name == IPV6_V6ONLY and s.family == AF_INET6:
            return int(s.v6only), 0
        if level == IPPROTO_IP and name == IP_MTU_DISCOVER and s.type == SOCK_STREAM:
            if s.pmtudisc is not None:
                return s.pmtudisc, 0
            # Linux inet_create: IP_PMTUDISC_DONT where net.ipv4.ip_no_pmtu_disc is set
            return IP_PMTUDISC_WANT if self.iface.profile.tcp_df else IP_PMTUDISC_DONT, 0
        if level == IPPROTO_TCP and s.type == SOCK_STREAM:
            if name == TCP_NODELAY:
                return int(s.nodelay), 0
            if name == TCP_CORK:
                return int(s.cork), 0
            if name == TCP_KEEPIDLE:
                return s.keepidle or self.iface.profile.keepalive_idle, 0
            if name == TCP_KEEPINTVL:  # Linux keepalive_intvl_when
                return s.keepintvl or self.iface.profile.keepalive_interval, 0
            if name == TCP_KEEPCNT:  # Linux keepalive_probes
                return s.keepcnt or self.iface.profile.keepalive_probes, 0
            if name == TCP_USER_TIMEOUT:
                return s.user_timeout, 0
            if name == TCP_INFO:  # (Linux tcp_get_info)
                return self._tcp_info(s), 0
            if name == TCP_MAXSEG:
                if s.tcb is not None and s.tcb.negotiated:
                    return s.tcb.mss, 0
                return s.maxseg or self.iface.profile.mss, 0
        return None, self._not_an_option("getsockopt", s, level, name)

    def _tcp_info(self, s: Socket) -> info.TcpInfo:
        record = self._tcp_info_linux(s)
        if self.iface.profile.tcp_info_partial:
            return info.netstack_subset(record)
        return record

    def _tcp_info_linux(self, s: Socket) -> info.TcpInfo:
        p = self.iface.profile
        cwnd = self.tcp.initial_cwnd(p.mss) // p.mss  # (segments, as Linux reports it)
        if s.listener is not None:
            return info.of_listener(len(s.listener.accept_queue), s.listener.backlog, cwnd)
        if s.tcb is None:
            return info.of_unconnected(p.rto_initial, cwnd)
        return info.of_tcb(s.tcb, cwnd, p.timestamps)

    def poll(self, fd: int) -> tuple[Any, int]:
        """poll(2) as a call (RFC 9293 3.9.1.10 STATUS): its readiness, the choices recorded."""
        if self.get(fd) is None:
            return None, errno.EBADF
        return self.poll_events(fd, record=True), 0

    def poll_events(self, fd: int, record: bool = False) -> int:
        """poll(2) readiness without waiting or consuming: POLLIN, POLLPRI (urgent data
        pending, RFC 9293 3.10.7.4), POLLOUT, POLLERR, POLLHUP; POLLNVAL for a bad fd.
        `record`: a call's (a trace is open), not a driver's look."""
        s = self.get(fd)
        if s is None:
            return select.POLLNVAL
        if s.listener is not None:
            return select.POLLIN if s.listener.accept_queue else 0
        if s.udp is not None:
            return (select.POLLIN if s.udp.queue else 0) | select.POLLOUT | (
                select.POLLERR if s.udp.error else 0)
        tcb = s.tcb
        if tcb is None:
            return select.POLLOUT | select.POLLHUP
        ev = 0
        if tcb.recv.ready or tcb.state in PEER_CLOSED or tcb.state is State.CLOSED or s.shut_rd:
            ev |= select.POLLIN
        if tcb.rcv_up is not None:
            ev |= select.POLLPRI
        if tcb.state in (State.ESTABLISHED, State.CLOSE_WAIT) and self._room(s, tcb, record):
            ev |= select.POLLOUT
        if tcb.error:
            ev |= select.POLLERR
        if tcb.state is State.CLOSED:
            ev |= select.POLLHUP
        if (s.shut_wr or tcb.state is State.CLOSED) and self.iface.profile.poll_out_after_shutdown:
            ev |= select.POLLOUT  # (POSIX: never with POLLHUP)
            if record:
                self.tcp.trace.add("socket", STATE, "LINUX-tcp_poll-pollout-when-shut",
                                   "sending side shut: POLLOUT")
        return ev

    def rebase_port(self, remote_port: int, port: int) -> None:
        """The target chose `port` where the oracle chose an ephemeral port: follow it."""
        tcb = self.tcp.rebase_port(remote_port, port)
        if tcb is None:
            return
        for s in self.sockets.values():
            if s.tcb is tcb:
                s.local = (s.local[0], port)

    def tcp_state(self, fd: int) -> State | None:
        s = self.get(fd)
        if s is None:
            return None
        if s.listener is not None:
            return State.LISTEN
        return s.tcb.state if s.tcb is not None else State.CLOSED

