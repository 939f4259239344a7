"""The stateful engine: a hypothesis ``RuleBasedStateMachine`` interleaving tester segments with
DUT socket calls (send, recv, shutdown, close) on one connection, from ESTABLISHED onwards,
on the target and the oracle alike.

Each machine run opens a fresh connection (the ``ESTABLISHED`` scenario's handshake) and
accepts it on both stacks; every step's answers are compared with the oracle's predictions
and every call's result with the oracle's. The first divergence fails the step, hypothesis
shrinks the run to the shortest sequence of steps that still diverges, and the campaign saves
it as a finding (frames sent, socket calls made, answers).
"""

from __future__ import annotations

import socket
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from fuzz.runner import Campaign
from fuzz.scenarios import CANONICAL_VIEW, Established
from fuzz.session import CaseRecord, DifferentialSession
from fuzz.strategies import tcp_frames

STATE = "ESTABLISHED+calls"
ACCEPT_TIMEOUT = 1.0


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


def connection_machine(session: DifferentialSession, campaign: Campaign) -> type:
    """A state machine class bound to one differential session."""
    frames = tcp_frames(session.addrs, CANONICAL_VIEW)
    scenario = session.scenarios[Established.name]

    class ConnectionMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.ctx = scenario.open(session, session.next_port())
            self.record = CaseRecord(STATE, ())
            self.record.setup_mismatches = self.ctx.setup_mismatches
            self.fds = accept_both(session, scenario.fds, self.ctx.ports.actual)
            self.open = self.fds is not None

        def _check(self) -> None:
            if self.record.mismatches:
                raise StepDiverged(f"{self.record.signature}")

        def _call(self, name: str, target_call: Any, oracle_call: Any) -> None:
            session.run_oracle_timers()
            session.call_both(self.ctx, name, target_call, oracle_call, self.record)
            self._check()

        @rule(frame=frames)
        def tester_segment(self, frame: bytes) -> None:
            session.run_oracle_timers()
            self.record.canonical += (frame,)
            session.exchange(self.ctx, frame, self.record)
            self._check()

        @precondition(lambda self: self.open)
        @rule(data=st.binary(min_size=1, max_size=200))
        def dut_send(self, data: bytes) -> None:
            tfd, ofd = self.fds
            self._call("send", lambda: session.bed.dut.send_with_errno(tfd, data),
                       lambda now: session.oracle.send(ofd, data, now))

        @precondition(lambda self: self.open)
        @rule()
        def dut_recv(self) -> None:
            tfd, ofd = self.fds
            self._call("recv", lambda: session.bed.dut.recv_with_errno(tfd, 65536, 0.0),
                       lambda now: session.oracle.recv(ofd, 65536, now))

        @precondition(lambda self: self.open)
        @rule()
        def dut_shutdown_write(self) -> None:
            tfd, ofd = self.fds
            self._call("shutdown", lambda: session.bed.dut.shutdown_with_errno(tfd,
                                                                               socket.SHUT_WR),
                       lambda now: session.oracle.shutdown(ofd, socket.SHUT_WR, now))

        @precondition(lambda self: self.open)
        @rule()
        def dut_close(self) -> None:
            tfd, ofd = self.fds
            self.open = False
            self._call("close", lambda: session.bed.dut.close_with_errno(tfd),
                       lambda now: session.oracle.close(ofd, now))

        def teardown(self) -> None:
            if self.open:
                tfd, ofd = self.fds
                session.bed.dut.close_with_errno(tfd)
                session.oracle.close(ofd, session.now())
            session.reset_leftover(self.ctx.ports)
            campaign.observe(self.record)

    return ConnectionMachine


def run_stateful(campaign: Campaign, examples: int = 50, steps: int = 12) -> None:
    """Machine runs until the budget is spent; each new divergence is shrunk and saved."""
    while not campaign.done():
        with campaign.batch() as session:
            machine = connection_machine(session, campaign)
            try:
                run_state_machine_as_test(machine, settings=settings(
                    max_examples=examples, stateful_step_count=steps, deadline=None,
                    database=None, suppress_health_check=list(HealthCheck),
                    phases=(Phase.generate, Phase.shrink), verbosity=Verbosity.quiet,
                    print_blob=False, report_multiple_bugs=False))
            except Exception:  # noqa: BLE001 - StepDiverged (saved by the campaign when the
                pass  # run tears down), or hypothesis's Flaky when the target wavers
