"""The stateful engine: a hypothesis ``RuleBasedStateMachine`` interleaving tester segments with
DUT socket calls (connect, send, recv, shutdown, close) on one connection, on the target and
the oracle alike, each step checked.

A machine run opens a fresh connection one of two ways (an ``initialize`` rule, so hypothesis
draws and shrinks it too):

- ``passive``: the tester's handshake to a listening socket (the ``ESTABLISHED`` scenario),
  accepted on both stacks (RFC 9293 3.5, figure 6's passive side);
- ``active``: the DUT calls ``connect`` on both stacks (RFC 9293 3.10.2: SYN-SENT), its SYN is
  checked, and the tester answers with a SYN,ACK (RFC 9293 3.10.7.3); the connect and that
  SYN,ACK are the run's first two steps.

Every step's answers are compared with the oracle's predictions and every call's result with
the oracle's. The first divergence fails the step; hypothesis shrinks the run to the shortest
sequence of steps that still diverges with the same signature, and the campaign saves it as a
finding whose ``steps`` (frames and calls, JSON-safe) :func:`run_steps` replays.
"""

from __future__ import annotations

import socket
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fuzz.findings import Finding
from fuzz.runner import Campaign
from fuzz.scenarios import (
    CANONICAL_DUT_PORT,
    CANONICAL_TESTER_PORT,
    CANONICAL_VIEW,
    TESTER_ISS,
    TESTER_TSVAL,
    CaseContext,
    Established,
)
from fuzz.seqspace import CANONICAL_DUT_ISN, CANONICAL_TSVAL, IdentMap, PortMap
from fuzz.session import CaseRecord, DifferentialSession
from fuzz.strategies import tcp_segments
from reference_stack.wire.tcp import (
    ACK,
    SYN,
    TcpOptMss,
    TcpOptNop,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptWindowScale,
)

OPENINGS = ("passive", "active")
STATE_OF = {"passive": "passive-open+calls", "active": "active-open+calls"}
OPENING_OF = {state: opening for opening, state in STATE_OF.items()}
STATE = STATE_OF["passive"]  # kept for callers of the passive-only engine
ACCEPT_TIMEOUT = 1.0
RECV_SIZE = 65536
# The tester's answer to the DUT's SYN (RFC 9293 3.10.7.3), in canonical space: it
# acknowledges the DUT's ISN and echoes its TSval (RFC 7323 3.2), both shifted per stack.
SYN_ACK_OPTIONS = (TcpOptMss(1460), TcpOptSackPermitted(),
                   TcpOptTimestamps(TESTER_TSVAL, CANONICAL_TSVAL), TcpOptNop(),
                   TcpOptWindowScale(7))


class StepDiverged(AssertionError):
    """A step left the allowed set (hypothesis shrinks the run)."""


def accept_both(session: DifferentialSession, fds: tuple[int, int],
                tester_port: int) -> tuple[int, int] | None:
    """The connection from ``tester_port`` accepted on the target and on the oracle (other
    queued connections are accepted and closed)."""
    tfd_listen, ofd_listen = fds
    tfd = ofd = None
    while tfd is None:
        value, err = session.bed.dut.accept_with_errno(tfd_listen, ACCEPT_TIMEOUT)
        if err:
            return None
        if value[1][1] == tester_port:
            tfd = value[0]
        else:
            session.bed.dut.close_with_errno(value[0])
    while ofd is None:
        result = session.oracle.accept(ofd_listen, session.now())
        if result.errno:
            return None
        if result.value[1][1] == tester_port:
            ofd = result.value[0]
        else:
            session.oracle.close(result.value[0], session.now())
    return tfd, ofd


class ConnectionDriver:
    """One connection on both stacks driven by steps: ``{"frame": hex}`` (a canonical tester
    segment) or ``{"call": name}`` (``connect``, ``send`` with ``"data"``, ``recv``,
    ``shutdown``, ``close``); each is checked against the oracle as it runs."""

    def __init__(self, session: DifferentialSession, opening: str) -> None:
        self.session = session
        # Steps wait out timers and the machine may stall: the target's frames are read as
        # they arrive (TesterLink.read_promptly; the link's receive ring already keeps its
        # retransmissions independent of when the harness looks).
        session.link.read_promptly()
        self.record = CaseRecord(STATE_OF[opening], ())
        self.fds: tuple[int, int] | None = None
        if opening == "passive":
            scenario = session.scenarios[Established.name]
            self.ctx = scenario.open(session, session.next_port())
            self.record.setup_mismatches = self.ctx.setup_mismatches
            self.fds = accept_both(session, scenario.fds, self.ctx.ports.actual)
        else:
            port = session.next_port()  # the DUT's local port too: the same on both stacks
            self.ctx = CaseContext(CANONICAL_VIEW, PortMap(CANONICAL_TESTER_PORT, port,
                                                           CANONICAL_DUT_PORT, port),
                                   idents=IdentMap(session.fresh_ident))
            self.fds = session.bound_socket_both(port)
        self.open = self.fds is not None

    @property
    def diverged(self) -> bool:
        return bool(self.record.mismatches or self.record.setup_mismatches)

    def step(self, step: dict[str, str]) -> None:
        """Run one step on both stacks (timers due on the oracle fire first)."""
        session = self.session
        session.clear_of_timer(self.ctx.ports)
        session.run_oracle_timers()
        self.record.steps.append(dict(step))
        if "frame" in step:
            frame = bytes.fromhex(step["frame"])
            self.record.canonical += (frame,)
            session.exchange(self.ctx, frame, self.record)
            return
        name = step["call"]
        if self.fds is None:
            return
        tfd, ofd = self.fds
        dut, oracle = session.bed.dut, session.oracle
        if name == "close":
            self.open = False
        calls = {
            "connect": (lambda: dut.connect_with_errno(tfd, self._tester_addr(), 0.0),
                        lambda now: oracle.connect(ofd, self._tester_addr(), now)),
            "send": (lambda: dut.send_with_errno(tfd, bytes.fromhex(step.get("data", ""))),
                     lambda now: oracle.send(ofd, bytes.fromhex(step.get("data", "")), now)),
            "recv": (lambda: dut.recv_with_errno(tfd, RECV_SIZE, 0.0),
                     lambda now: oracle.recv(ofd, RECV_SIZE, now)),
            "shutdown": (lambda: dut.shutdown_with_errno(tfd, socket.SHUT_WR),
                         lambda now: oracle.shutdown(ofd, socket.SHUT_WR, now)),
            "close": (lambda: dut.close_with_errno(tfd), lambda now: oracle.close(ofd, now)),
        }
        if name not in calls:
            raise ValueError(f"unknown step call {name!r}")
        target_call, oracle_call = calls[name]
        session.call_both(self.ctx, name, target_call, oracle_call, self.record)

    def _tester_addr(self) -> tuple[str, int]:
        return self.session.family.tester_host(self.session.bed.endpoints), self.ctx.ports.actual

    def finish(self) -> CaseRecord:
        """Close what is still open on both stacks and reset the connection the oracle still
        holds (RFC 9293 3.10.7.4) on both."""
        if self.open and self.fds is not None:
            tfd, ofd = self.fds
            self.session.bed.dut.close_with_errno(tfd)
            self.session.oracle.close(ofd, self.session.now())
            self.open = False
        self.session.reset_leftover(self.ctx.ports)
        return self.record


def active_open_steps(session: DifferentialSession) -> list[dict[str, str]]:
    """The DUT's connect and the tester's SYN,ACK (canonical space)."""
    syn_ack = session.factory.tcp(CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, SYN | ACK,
                                  TESTER_ISS, CANONICAL_DUT_ISN + 1, SYN_ACK_OPTIONS)
    return [{"call": "connect"}, {"frame": syn_ack.hex()}]


def run_steps(session: DifferentialSession, state: str,
              steps: list[dict[str, str]]) -> CaseRecord:
    """Replay a stateful finding's steps from a fresh connection opened as it was."""
    driver = ConnectionDriver(session, OPENING_OF[state])
    try:
        for step in steps:
            driver.step(step)
    finally:
        record = driver.finish()
    return record


class _Shrinking:
    """The finding being shrunk in one batch: each smaller run with its signature replaces it
    (flushed), the last one hypothesis replays is the minimal one (made durable)."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.finding: Finding | None = None

    def judge(self, record: CaseRecord) -> None:
        finding = self.finding
        if finding is not None and record.signature == finding.signature:
            self.campaign.count(record)
            if len(record.steps) <= len(finding.record.steps):
                finding.record = record
                self.campaign.save(finding, durable=False)
            return
        new = self.campaign.observe(record)
        if new is not None and finding is None:
            self.finding = new

    def done(self) -> None:
        if self.finding is not None:
            self.finding.shrunk = True
            self.campaign.save(self.finding)
            self.finding = None


def connection_machine(session: DifferentialSession, shrinking: _Shrinking,
                       openings: tuple[str, ...] = OPENINGS) -> type:
    """A state machine class bound to one differential session."""
    # tester segments on the canonical connection, in the session's family
    frames = tcp_segments(CANONICAL_VIEW).map(session.factory.segment)

    def is_open(machine: Any) -> bool:
        return machine.driver is not None and machine.driver.open

    class ConnectionMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.driver: ConnectionDriver | None = None

        def _step(self, step: dict[str, str]) -> None:
            assert self.driver is not None
            self.driver.step(step)
            if self.driver.diverged:
                raise StepDiverged(f"{self.driver.record.signature}")

        @initialize(opening=st.sampled_from(openings))
        def open_connection(self, opening: str) -> None:
            self.driver = ConnectionDriver(session, opening)
            if self.driver.diverged:
                raise StepDiverged(f"{self.driver.record.signature}")
            if opening == "active":
                for step in active_open_steps(session):
                    self._step(step)

        @rule(frame=frames)
        def tester_segment(self, frame: bytes) -> None:
            self._step({"frame": frame.hex()})

        @precondition(is_open)
        @rule(data=st.binary(min_size=1, max_size=200))
        def dut_send(self, data: bytes) -> None:
            self._step({"call": "send", "data": data.hex()})

        @precondition(is_open)
        @rule()
        def dut_recv(self) -> None:
            self._step({"call": "recv"})

        @precondition(is_open)
        @rule()
        def dut_shutdown_write(self) -> None:
            self._step({"call": "shutdown"})

        @precondition(is_open)
        @rule()
        def dut_close(self) -> None:
            self._step({"call": "close"})

        def teardown(self) -> None:
            if self.driver is not None:
                shrinking.judge(self.driver.finish())

    return ConnectionMachine


def run_stateful(campaign: Campaign, examples: int = 50, steps: int = 12,
                 openings: tuple[str, ...] = OPENINGS) -> None:
    """Machine runs until the budget is spent; each new divergence is shrunk and saved."""
    while not campaign.done():
        with campaign.batch() as session:
            shrinking = _Shrinking(campaign)
            machine = connection_machine(session, shrinking, openings)
            try:
                run_state_machine_as_test(machine, settings=settings(
                    max_examples=examples, stateful_step_count=steps, deadline=None,
                    database=None, suppress_health_check=list(HealthCheck),
                    phases=(Phase.generate, Phase.shrink), verbosity=Verbosity.quiet,
                    print_blob=False, report_multiple_bugs=False))
            except Exception:  # noqa: BLE001 - StepDiverged (saved as the run tears down),
                pass  # or hypothesis's Flaky when the target wavers
            finally:
                shrinking.done()

