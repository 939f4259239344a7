"""The stateful engine's pacing around the oracle's timers (fuzz.session.clear_of_timer): a
step never lands while the target may be firing its copy of the oracle's next timer on the
case's connection."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import fuzz.session as session_module
from fuzz.seqspace import PortMap
from fuzz.session import TIMER_RACE_EARLY_S, TIMER_RACE_LATE_S, DifferentialSession

ORACLE_IP = b"\xc6\x12\x00\x01"
TESTER_IP = b"\xc6\x12\x00\x02"
PORTS = PortMap(40000, 1025, 80, 81)


class FakeTimers:
    def __init__(self, due: float | None) -> None:
        self.due = due

    def earliest(self) -> float | None:
        return self.due


def _session(due: float | None, now: float, slept: list[float]) -> SimpleNamespace:
    clock = {"now": now}
    tcb = SimpleNamespace(timers=FakeTimers(due))
    key = (ORACLE_IP, PORTS.dut, TESTER_IP, PORTS.actual)
    fake = SimpleNamespace(oracle=SimpleNamespace(ip=ORACLE_IP, tcp=SimpleNamespace(
        conns={key: tcb})), addrs=SimpleNamespace(tester_ip=TESTER_IP),
        now=lambda: clock["now"], fired=0)

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    def run_oracle_timers() -> None:
        fake.fired += 1
        tcb.timers.due = None  # the oracle's timer fired (nothing re-armed)

    fake.sleep = sleep
    fake.run_oracle_timers = run_oracle_timers
    return fake


@pytest.mark.parametrize("offset,waits", [
    (-1.0, False),  # long past: both stacks fired it
    (-TIMER_RACE_LATE_S / 2, True),  # just past: the target's copy may still be due
    (TIMER_RACE_EARLY_S / 2, True),  # just ahead: the target's copy may already have fired
    (1.0, False),  # well ahead: neither fired it
])
def test_a_step_waits_out_a_timer_due_around_it(monkeypatch, offset, waits) -> None:
    slept: list[float] = []
    now = 10.0
    fake = _session(now + offset, now, slept)
    monkeypatch.setattr(session_module.time, "sleep", fake.sleep)
    DifferentialSession.clear_of_timer(fake, PORTS)
    assert bool(slept) is waits
    if waits:  # until the target's copy has surely fired, the oracle's fired then
        assert fake.now() == pytest.approx(now + offset + TIMER_RACE_LATE_S)
        assert fake.fired == 1
