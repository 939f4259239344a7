"""Where each test's time goes, measured on the worker that runs it (issues 12/13: the suite's
wall time). ``results.json`` carries it per test as ``timing``; tests/bench/suite_time.py sums
it up into fixed per-test overhead, waiting and CPU:

- ``worker``, ``start`` (epoch seconds): which worker ran the test, when its set-up began;
- ``setup_s``, ``call_s``, ``teardown_s``: each pytest phase's wall time; set-up and tear-down
  are the per-test fixed cost (a fresh DUT namespace, the link, MIB snapshots, evidence, pcap);
- ``body_s``, ``body_cpu_s``: the test body's wall time and the CPU time of the thread running
  it (``time.thread_time``: codecs, matching, templates, system calls); the rest of the body's
  time is waiting, of which ``link_wait_s`` blocked for frames (deadlines waited out, sleeps,
  timers), the remainder in DUT calls, sysctl writes and the CPU queue of a loaded machine;
- ``lockstep_s``, ``lockstep_cpu_s``: the replay into the oracle after the body (wall, CPU).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class PhaseClock:
    worker: str
    start: float = field(default_factory=time.time)
    walls: dict[str, float] = field(default_factory=dict)
    cpus: dict[str, float] = field(default_factory=dict)
    link_wait_s: float = 0.0

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        """Time one part (a pytest phase, or the lockstep inside the call phase)."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.walls[name] = self.walls.get(name, 0.0) + time.perf_counter() - wall
            self.cpus[name] = self.cpus.get(name, 0.0) + time.thread_time() - cpu

    def to_dict(self) -> dict[str, Any]:
        walls, cpus = self.walls, self.cpus
        lockstep = walls.get("lockstep", 0.0)
        return {
            "worker": self.worker,
            "start": round(self.start, 6),
            "setup_s": round(walls.get("setup", 0.0), 6),
            "call_s": round(walls.get("call", 0.0), 6),
            "teardown_s": round(walls.get("teardown", 0.0), 6),
            "body_s": round(walls.get("call", 0.0) - lockstep, 6),
            "body_cpu_s": round(cpus.get("call", 0.0) - cpus.get("lockstep", 0.0), 6),
            "link_wait_s": round(self.link_wait_s, 6),
            "lockstep_s": round(lockstep, 6),
            "lockstep_cpu_s": round(cpus.get("lockstep", 0.0), 6),
        }


CLOCK = pytest.StashKey[PhaseClock]()


def clock_of(item: pytest.Item) -> PhaseClock:
    if CLOCK not in item.stash:
        workerinput = getattr(item.config, "workerinput", None)
        item.stash[CLOCK] = PhaseClock(workerinput["workerid"] if workerinput else "main")
    return item.stash[CLOCK]


def _link_wait(item: pytest.Item) -> float:
    bed = getattr(item, "funcargs", {}).get("bed")
    return getattr(getattr(bed, "link", None), "waited_s", 0.0)


@contextmanager
def lockstep_part(item: pytest.Item) -> Iterator[None]:
    """The lockstep's share of the call phase; the link's waiting so far is the body's."""
    clock = clock_of(item)
    clock.link_wait_s = _link_wait(item)
    with clock.part("lockstep"):
        yield


class PhaseTimer:
    """Registered by the plugin: times each test's set-up, call and tear-down phases."""

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        with clock_of(item).part("setup"):
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        clock = clock_of(item)
        with clock.part("call"):
            try:
                return (yield)
            finally:
                if "lockstep" not in clock.walls:  # no replay: the whole wait is the body's
                    clock.link_wait_s = _link_wait(item)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Any:
        with clock_of(item).part("teardown"):
            return (yield)
