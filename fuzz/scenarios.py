"""The TCP states a case starts from, reached on the target and on the oracle alike.

Each case gets a fresh tester port, so earlier cases never leave state on its connection;
the canonical connection (:data:`CANONICAL_TESTER_PORT`, :data:`TESTER_ISS`, the DUT at
:data:`~fuzz.seqspace.CANONICAL_DUT_ISN`) is what strategies draw against.

- ``CLOSED``: a port nobody listens on (RFC 9293 3.10.7.1); also where host-level frames
  (ARP, ICMP, UDP, IPv4 oddities) go.
- ``LISTEN``: a listening socket on both stacks (RFC 9293 3.10.7.2).
- ``ESTABLISHED``: a passive open completed by the tester (SYN with MSS, SACK-permitted,
  timestamps and window scale; the DUT's SYN,ACK; the ACK) before the case, on both stacks;
  the target's SYN,ACK is checked against the oracle's on the way.

After each case, a connection the oracle still holds is reset on both stacks (RST at the
oracle's RCV.NXT, RFC 9293 3.10.7.4) so the listeners' queues never fill up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from conformance.judge.divergence import Divergence
from fuzz.frames import FrameFactory, tcp_ports
from fuzz.seqspace import (
    CANONICAL_DUT_ISN,
    CANONICAL_TSVAL,
    MOD32,
    IdentMap,
    PortMap,
    SeqShift,
    shift_frame,
    shift_seq,
    tcp_header_at,
)
from fuzz.strategies import ConnectionView
from reference_stack.stack import Reaction
from reference_stack.tcp.state import State
from reference_stack.variance import Prediction
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import (
    ACK,
    SYN,
    TcpOptMss,
    TcpOptNop,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptWindowScale,
)

CANONICAL_TESTER_PORT = 40000
CANONICAL_DUT_PORT = 80
TESTER_ISS = 0x01000000
TESTER_TSVAL = 1000
HANDSHAKE_TIMEOUT = 2.0
ACCEPT_DRAIN_EVERY = 32
SYN_OPTIONS = (TcpOptMss(1460), TcpOptSackPermitted(), TcpOptTimestamps(TESTER_TSVAL, 0),
               TcpOptNop(), TcpOptWindowScale(7))


# The connection every case is drawn against, whatever its state (RFC 9293 3.4 numbers).
CANONICAL_VIEW = ConnectionView(CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, TESTER_ISS + 1,
                                CANONICAL_DUT_ISN + 1, 65535, CANONICAL_TSVAL)


def on_connection(frames: tuple[bytes, ...]) -> bool:
    """Whether a frame is a TCP segment of the canonical connection (else the state a case
    starts from does not matter to it: a host-level frame)."""
    canonical = (CANONICAL_VIEW.tester_port, CANONICAL_VIEW.dut_port)
    return any(tcp_ports(f) == canonical for f in frames)


@dataclass
class CaseContext:
    """One case's connection: canonical view, port map, and the shifts into each stack."""

    view: ConnectionView
    ports: PortMap
    target_shift: SeqShift = field(default_factory=SeqShift)
    oracle_shift: SeqShift = field(default_factory=SeqShift)
    bindings: dict[str, int] = field(default_factory=dict)
    setup_mismatches: list[Divergence] = field(default_factory=list)
    idents: IdentMap | None = None  # the case's fragments on identifications of their own

    def to_target(self, frame: bytes) -> bytes:
        return self._ident(shift_frame(frame, self.target_shift, self.ports))

    def to_oracle(self, frame: bytes) -> bytes:
        return self._ident(shift_frame(frame, self.oracle_shift, self.ports))

    def _ident(self, frame: bytes) -> bytes:
        return self.idents.apply(frame) if self.idents is not None else frame

    def to_target_prediction(self, prediction: Prediction) -> Prediction:
        """The oracle's prediction in the target's sequence space, where its sequence number
        is not already a relation to the ISN: a RST from a stack with no connection takes
        SEG.ACK as its sequence number (RFC 9293 3.10.7.1), and that ACK was shifted
        differently into each stack's space."""
        if "tcp.seq" in prediction.variance or not _seq_from_ack(prediction.frame):
            return prediction
        delta = ((self.target_shift.isn_delta or 0) - (self.oracle_shift.isn_delta or 0)) % MOD32
        frame = shift_seq(prediction.frame, delta, self.ports)
        return prediction if frame is prediction.frame else Prediction(
            frame, prediction.rule, prediction.variance)

    def learn(self, target_frames: list[bytes], oracle_frames: tuple[bytes, ...]) -> None:
        """Learn each stack's ISN and TSval from its SYN,ACK (passive open) or SYN (active
        open, RFC 9293 3.4.1: the ISN is the SYN's sequence number) on the case's
        connection."""
        for frames, shift in ((target_frames, self.target_shift),
                              (oracle_frames, self.oracle_shift)):
            for frame in frames:
                if tcp_ports(frame) != (self.ports.dut, self.ports.actual):
                    continue
                seg = dissect(frame).tcp
                if seg is not None and seg.flags & SYN:
                    shift.learn_isn(seg.seq)
                    if seg.timestamps is not None:
                        shift.learn_tsval(seg.timestamps[0])


def _seq_from_ack(frame: bytes) -> bool:
    """Whether a predicted segment's sequence number is the acknowledgment it answers: a RST
    without ACK (RFC 9293 3.10.7.1, 3.10.7.3: <SEQ=SEG.ACK><CTL=RST>); a RST,ACK answering a
    segment without ACK has SEQ=0, which no space shift moves."""
    off = tcp_header_at(frame) if len(frame) > 14 else None
    return off is not None and len(frame) > off + 13 and frame[off + 13] & ACK == 0


class DifferentialSession(Protocol):
    """What a scenario uses of the session that runs it (fuzz.session.DifferentialSession,
    which imports this module: the dependency runs one way)."""

    factory: FrameFactory

    def listen_both(self, port: int) -> tuple[int, int]: ...

    def fresh_ident(self) -> int: ...

    def reset_leftover(self, ports: PortMap) -> None: ...

    def drain_accept_queues(self, fds: tuple[int, int]) -> None: ...

    def expect_tcp(self, frame: bytes, ports: PortMap, flags: int,
                   timeout: float) -> list[bytes]: ...

    def oracle_receive(self, frame: bytes) -> Reaction: ...

    def send_both(self, target_frame: bytes, oracle_frame: bytes) -> Reaction: ...

    def judge_step(self, ctx: CaseContext, reaction: Reaction,
                   answers: list[bytes]) -> list[Divergence]: ...


class Scenario:
    """A state to start cases from; subclasses say how to get there and back."""

    name = ""
    dut_port = 0

    def __init__(self) -> None:
        self.cases = 0

    def setup(self, session: DifferentialSession) -> None:
        """Once per batch (a fresh target and oracle)."""

    def open(self, session: DifferentialSession, tester_port: int) -> CaseContext:
        self.cases += 1
        return CaseContext(CANONICAL_VIEW, PortMap(CANONICAL_TESTER_PORT, tester_port,
                                                   CANONICAL_DUT_PORT, self.dut_port),
                           idents=IdentMap(session.fresh_ident))

    def close(self, session: DifferentialSession, ctx: CaseContext) -> None:
        session.reset_leftover(ctx.ports)


class ClosedPort(Scenario):
    name = State.CLOSED.value
    dut_port = 9


class Listen(Scenario):
    name = State.LISTEN.value
    dut_port = 80

    def setup(self, session: DifferentialSession) -> None:
        self.fds = session.listen_both(self.dut_port)

    def close(self, session: DifferentialSession, ctx: CaseContext) -> None:
        """A case may complete a handshake on the listener (LISTEN: a SYN, then its ACK):
        both listeners are drained alike, or lwIP's accept mailbox fills and aborts every
        later connection."""
        super().close(session, ctx)
        if self.cases % ACCEPT_DRAIN_EVERY == 0:
            session.drain_accept_queues(self.fds)


class Established(Listen):
    name = State.ESTABLISHED.value
    dut_port = 81

    def open(self, session: DifferentialSession, tester_port: int) -> CaseContext:
        """RFC 9293 3.5 three-way handshake, the DUT passive."""
        ctx = super().open(session, tester_port)
        syn = session.factory.tcp(CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, SYN, TESTER_ISS,
                                  options=SYN_OPTIONS)
        syn = ctx.to_target(syn)  # only the port changes: nothing is learnt yet
        target_reply = session.expect_tcp(syn, ctx.ports, SYN | ACK, HANDSHAKE_TIMEOUT)
        reaction = session.oracle_receive(syn)
        ctx.setup_mismatches = session.judge_step(ctx, reaction, target_reply)
        ack = session.factory.tcp(CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, ACK, TESTER_ISS + 1,
                                  CANONICAL_DUT_ISN + 1,
                                  (TcpOptNop(), TcpOptNop(),
                                   TcpOptTimestamps(TESTER_TSVAL + 1, CANONICAL_TSVAL)))
        session.send_both(ctx.to_target(ack), ctx.to_oracle(ack))
        return ctx


SCENARIOS: tuple[type[Scenario], ...] = (ClosedPort, Listen, Established)
STATE_NAMES: tuple[str, ...] = tuple(cls.name for cls in SCENARIOS)
