"""Bringing a DUT connection into each RFC 9293 3.3.2 state, with the tester as the peer.

Each helper returns a :class:`Peer`: the tester's side of the connection (a TcpConnection
whose ``snd_nxt`` is the DUT's RCV.NXT and whose ``rcv_nxt`` is the DUT's SND.NXT) and the
DUT's socket descriptor. States the DUT enters by closing use ``shutdown(SHUT_WR)``, so the
descriptor stays open and the application can still read (and, in FIN-WAIT-2, Linux does not
start its orphan timer).
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.author.family import IPV4, Family
from conformance.author.tcp_connection import TcpConnection, seq_add
from conformance.author.templates import TCP
from reference_stack.wire import tcp as tcpw

LISTEN_PORT = 8080
PROBE_FAR = 1 << 20  # expect_closed's probe: this far beyond RCV.NXT
DUT_CLIENT_PORT = 47000  # the DUT's port when it opens a connection
TESTER_SERVER_PORT = 5001  # the tester's port the DUT connects to

SYNCHRONIZED = ("ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK")
ALL_SYNCHRONIZED = (*SYNCHRONIZED, "TIME-WAIT")
# States in which the DUT sent a FIN the tester has not acknowledged (it may retransmit it).
FIN_UNACKED = ("FIN-WAIT-1", "CLOSING", "LAST-ACK")
# States in which the DUT has received the tester's FIN: new text is not delivered.
FIN_RECEIVED = ("CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT")


@dataclass
class Peer:
    conn: TcpConnection
    fd: int | None
    state: str
    listener: int | None = None

    @property
    def dut_snd_nxt(self) -> int:
        """The DUT's SND.NXT (everything it sent has been seen by the tester)."""
        assert self.conn.rcv_nxt is not None
        return self.conn.rcv_nxt

    @property
    def tester_ack(self) -> int:
        """The ACK number the tester sends: everything received, except a FIN of the DUT that
        the state says is still unacknowledged (acknowledging it would change the state)."""
        if self.state in FIN_UNACKED:
            return seq_add(self.dut_snd_nxt, -1)
        return self.dut_snd_nxt

    def send(self, payload: bytes = b"", advance: bool = False, **fields: Any) -> bytes:
        """A tester segment on this connection (by default not advancing SND.NXT), with an ACK
        number that keeps the DUT in its state."""
        fields.setdefault("ack", self.tester_ack)
        return self.conn.send(payload, advance=advance, **fields)

    def expect_ack(self, **fields: Any) -> tcpw.TcpRepr:
        """An ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> from the DUT (RFC 9293 3.10.7.4)."""
        return self.conn.expect(flags="A", seq=self.dut_snd_nxt, ack=self.conn.snd_nxt, **fields)

    def expect_no_reply(self) -> None:
        """Nothing from the DUT on this connection, except a retransmission of its own FIN
        (in FIN-WAIT-1, CLOSING and LAST-ACK its FIN is unacknowledged and its retransmission
        timer may fire at any time)."""
        ex = self.conn.ex
        self.conn.ex.expect_nothing(
            ex.family.ip(src=ex.family.dut_ip(ex.bed.endpoints)),
            TCP(src_port=self.conn.dut_port, dst_port=self.conn.tester_port, flags=not_a_fin),
        )

    def expect_closed(self) -> None:
        """The DUT no longer has the connection: new data elicits <SEQ=SEG.ACK><CTL=RST>
        (RFC 9293 3.10.7.1, 3.10.7.2). The probe's SEG.SEQ lies far beyond RCV.NXT: it cannot
        repeat the handshake's last ACK, which a stateless listener (a SYN cookie, Linux
        net.ipv4.tcp_syncookies = 2) would take as a new connection (cookie_v4_check); on a
        connection still there it would draw an ACK, not a RST."""
        self.send(b"are you there?", flags="PA", seq=seq_add(self.conn.snd_nxt, PROBE_FAR))
        self.conn.expect(flags="R", seq=self.tester_ack, immediate=True)

    def expect_alive(self) -> None:
        """The connection survives: data in sequence is acknowledged (or, once the tester's
        FIN was received, the DUT still answers with an ACK rather than a RST)."""
        if self.state in FIN_RECEIVED:  # an old segment: its ACK is immediate
            self.send(b"x", flags="PA", seq=seq_add(self.conn.snd_nxt, -1))
            self.expect_ack(immediate=True)
            return
        self.send(b"still here", flags="PA", advance=True)
        self.expect_ack()


def not_a_fin(flags: int) -> bool:
    """a segment without FIN"""
    return not flags & tcpw.FIN


def has_rst(flags: int) -> bool:
    """a segment with RST"""
    return bool(flags & tcpw.RST)


def listen(dut: Any, endpoints: Any, port: int = LISTEN_PORT, backlog: int = 8,
           address: str | None = None, family: Family = IPV4) -> int:
    """A DUT socket of ``family`` listening on ``port``; returns its descriptor."""
    fd = dut.socket(family.socket_family, socket.SOCK_STREAM)
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    dut.bind(fd, (family.dut_host(endpoints) if address is None else address, port))
    dut.listen(fd, backlog)
    return fd


def passive_open(ex: Any, dut: Any, endpoints: Any, listener: int,
                 **conn_args: Any) -> tuple[TcpConnection, int]:
    """The tester connects to the DUT listener, the DUT accepts: (conn, fd)."""
    conn = ex.tcp(dut_port=LISTEN_PORT, **conn_args)
    conn.handshake()
    fd, peer = dut.accept(listener)
    assert peer == ex.family.peer(endpoints, conn.tester_port)
    return conn, fd


def is_syn(flags: int) -> bool:
    """a SYN, plain or ECN-setup (RFC 3168 6.1.1: ECE and CWR too; Linux with tcp_ecn=1)"""
    return flags & ~(tcpw.ECE | tcpw.CWR) == tcpw.SYN


def start_active_open(ex: Any, dut: Any, endpoints: Any, **conn_args: Any
                      ) -> tuple[TcpConnection, int, tcpw.TcpRepr]:
    """The DUT starts connecting to the tester (it is in SYN-SENT): (conn, fd, its SYN)."""
    family = ex.family
    fd = dut.socket(family.socket_family, socket.SOCK_STREAM)
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    dut.bind(fd, (family.dut_host(endpoints), DUT_CLIENT_PORT))
    conn = ex.tcp(dut_port=DUT_CLIENT_PORT, tester_port=TESTER_SERVER_PORT, **conn_args)
    dut.connect(fd, (family.tester_host(endpoints), TESTER_SERVER_PORT), timeout=0)
    syn = conn.expect(flags=is_syn, ack=0)
    return conn, fd, syn


def active_established(ex: Any, dut: Any, endpoints: Any, **conn_args: Any) -> Peer:
    """ESTABLISHED from the DUT's active open (the tester answers its SYN): no listener, so no
    SYN cookie whatever net.ipv4.tcp_syncookies says, and the DUT's first RTT sample is its
    SYN's (RFC 6298 2.2)."""
    conn, fd, _ = start_active_open(ex, dut, endpoints, **conn_args)
    conn.send(flags="SA", ack=conn.rcv_nxt)
    conn.expect(flags="A", ack=conn.snd_nxt)
    return Peer(conn, fd, "ESTABLISHED")


def connect_error(dut: Any, fd: int, timeout: float = 1.0) -> int:
    """Wait until the DUT's connect finished; its SO_ERROR (0: connected)."""
    dut.poll(fd, select.POLLOUT, timeout)
    return int(dut.getsockopt(fd, socket.SOL_SOCKET, socket.SO_ERROR))


# -- synchronized states -----------------------------------------------------------------

def _established(ex: Any, dut: Any, endpoints: Any, **conn_args: Any) -> Peer:
    listener = listen(dut, endpoints, family=ex.family)
    conn, fd = passive_open(ex, dut, endpoints, listener, **conn_args)
    return Peer(conn, fd, "ESTABLISHED", listener)


def _dut_sends_fin(peer: Peer, dut: Any) -> None:
    dut.shutdown(peer.fd, socket.SHUT_WR)
    peer.conn.expect(flags="FA", ack=peer.conn.snd_nxt)


def _tester_sends_fin(peer: Peer, acking_their_fin: bool = True) -> None:
    ack = peer.conn.rcv_nxt if acking_their_fin else seq_add(peer.conn.rcv_nxt, -1)
    peer.conn.send(flags="FA", ack=ack)
    peer.conn.expect(flags="A", ack=peer.conn.snd_nxt)


def reach(state: str, ex: Any, dut: Any, endpoints: Any, **conn_args: Any) -> Peer:
    """A DUT connection in ``state`` (one of ALL_SYNCHRONIZED), the tester as its peer."""
    peer = _established(ex, dut, endpoints, **conn_args)
    steps: dict[str, Callable[[], None]] = {
        "ESTABLISHED": lambda: None,
        "FIN-WAIT-1": lambda: _dut_sends_fin(peer, dut),
        "FIN-WAIT-2": lambda: (_dut_sends_fin(peer, dut), peer.conn.ack()),
        "CLOSE-WAIT": lambda: _tester_sends_fin(peer),
        # simultaneous close: the FINs cross, the tester's does not acknowledge the DUT's
        "CLOSING": lambda: (_dut_sends_fin(peer, dut),
                            _tester_sends_fin(peer, acking_their_fin=False)),
        "LAST-ACK": lambda: (_tester_sends_fin(peer), _dut_sends_fin(peer, dut)),
        "TIME-WAIT": lambda: (_dut_sends_fin(peer, dut), peer.conn.ack(),
                              _tester_sends_fin(peer)),
    }
    steps[state]()
    peer.state = state
    return peer


def stateless_listener(bed: Any) -> bool:
    """Whether the DUT answers every SYN statelessly (Linux net.ipv4.tcp_syncookies = 2: a SYN
    cookie, no request socket): its SYN-RECEIVED is then only the listener's LISTEN, which
    answers an ACK other than the cookie's with <SEQ=SEG.ACK><CTL=RST>, ignores a RST and
    answers a SYN with a SYN,ACK (RFC 9293 3.10.7.2); the cookie's ACK still completes the
    handshake."""
    return bed.oracle_profile.syncookies == 2


def half_open_syn_received(ex: Any, dut: Any, endpoints: Any) -> tuple[TcpConnection, int]:
    """SYN-RECEIVED from a passive open: the tester's SYN was answered, not yet acknowledged."""
    listener = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    conn.expect(flags="SA", ack=conn.snd_nxt)
    return conn, listener
