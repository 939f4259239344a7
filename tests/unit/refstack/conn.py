"""A tester-side TCP peer (gVisor packetimpact style): per-connection state that fills in seq
and ack, so each test states only what it varies. `bring_to(state)` builds a connection from
the reference stack's point of view in any of the eleven states."""

from __future__ import annotations

from dataclasses import dataclass

from reference_stack.profiles import LINUX, Profile
from reference_stack.socket_api import AF_INET, SOCK_STREAM
from reference_stack.stack import Reaction, ReferenceStack
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK, FIN, SYN, TcpRepr
from tests.unit.refstack.harness import RawPeer, make_stack, tcp_of

STACK_PORT = 80
TESTER_PORT = 40000
TESTER_ISS = 1000


@dataclass
class Conn:
    stack: ReferenceStack
    tester: RawPeer
    fd: int
    sport: int = TESTER_PORT  # tester's port
    dport: int = STACK_PORT  # stack's port
    snd_nxt: int = TESTER_ISS  # tester's next sequence number
    rcv_nxt: int = 0  # what the tester acknowledges (stack's next sequence number)
    listen_fd: int | None = None

    def seg(self, flags: int, seq: int | None = None, ack: int | None = None,
            payload: bytes = b"", window: int = 65535, options: tuple = ()) -> Reaction:
        frame = self.tester.tcp(self.sport, self.dport, flags,
                                self.snd_nxt if seq is None else seq,
                                (self.rcv_nxt if ack is None else ack) if flags & ACK else
                                (ack or 0),
                                payload, window, options)
        return self.tester.send(frame)

    def advance(self, flags: int, payload: bytes = b"", **kw) -> Reaction:
        """Send a segment in sequence and account for it on the tester side."""
        r = self.seg(flags, payload=payload, **kw)
        self.snd_nxt += len(payload) + bool(flags & SYN) + bool(flags & FIN)
        return r

    def state(self) -> State:
        tcb = self.stack.tcp.conns.get((self.stack.ip, self.dport, self.tester.src_ip,
                                        self.sport))
        return tcb.state if tcb is not None else State.CLOSED

    def tcb(self):
        return self.stack.tcp.conns[(self.stack.ip, self.dport, self.tester.src_ip, self.sport)]

    def note(self, reaction: Reaction) -> list[TcpRepr]:
        """Track the stack's sequence space from its segments."""
        segs = tcp_of(reaction)
        for s in segs:
            end = s.seq + len(s.payload) + bool(s.flags & SYN) + bool(s.flags & FIN)
            self.rcv_nxt = max(self.rcv_nxt, end & 0xFFFFFFFF)
        return segs


def bring_to(state: State, profile: Profile = LINUX, half_close: bool = False) -> Conn:
    """A connection on a fresh stack, in `state` as the stack sees it. The stack's FIN comes
    from close() (an orphaned connection), or from shutdown(SHUT_WR) with `half_close`."""
    stack = make_stack(profile, "a")
    tester = RawPeer(stack)
    if state in (State.LISTEN, State.SYN_RECEIVED) or state is State.CLOSED:
        fd = stack.socket(AF_INET, SOCK_STREAM).value
        c = Conn(stack, tester, fd, listen_fd=fd)
        if state is State.CLOSED:
            return c
        stack.bind(fd, ("0.0.0.0", STACK_PORT))
        stack.listen(fd, 8)
        if state is State.SYN_RECEIVED:
            c.note(c.advance(SYN))
        return c
    if state in (State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSE_WAIT,
                 State.CLOSING, State.LAST_ACK, State.TIME_WAIT, State.SYN_SENT):
        fd = stack.socket(AF_INET, SOCK_STREAM).value
        stack.bind(fd, ("0.0.0.0", STACK_PORT))
        c = Conn(stack, tester, fd)
        c.note(stack.connect(fd, ("198.18.0.11", TESTER_PORT), 0.0).reaction)
        if state is State.SYN_SENT:
            return c
        c.note(c.advance(SYN | ACK))
        assert c.state() is State.ESTABLISHED
        if state is State.ESTABLISHED:
            return c
        if state in (State.CLOSE_WAIT, State.LAST_ACK):
            c.note(c.advance(FIN | ACK))
            if state is State.LAST_ACK:
                c.note(stack.close(fd, 0.0).reaction)
            return c
        if half_close:
            c.note(stack.shutdown(fd, 1, 0.0).reaction)  # FIN-WAIT-1, socket still open
        else:
            c.note(stack.close(fd, 0.0).reaction)  # FIN-WAIT-1
        if state is State.CLOSING:
            c.note(c.advance(FIN | ACK, ack=c.rcv_nxt - 1))
        elif state in (State.FIN_WAIT_2, State.TIME_WAIT):
            c.note(c.seg(ACK))
            if state is State.TIME_WAIT:
                c.note(c.advance(FIN | ACK))
        assert c.state() is state, (c.state(), state)
        return c
    raise ValueError(state)
