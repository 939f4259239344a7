"""Waits in the project's own tests, derived from measured timings instead of fixed numbers
(issue 17, item 9: tests that hold under load).

A wait names what it waits for and how long that took on an idle 2-CPU machine (measured, in
the caller's comment); :meth:`Pace.bound` gives that figure times a margin, scaled by how much
slower than idle this machine runs now. :func:`slowdown` measures that with a short CPU-bound
probe: its wall time over the CPU time it got (1 on an idle machine; about 2 with a busy loop
on each of two cores, as ``python -m tests.load.hog`` runs; more when other work shares them).

Idle figures (scripts measured them under load and divided by the slowdown measured then;
2 CPUs): a ``netconform run`` of one test reaches its DUT namespace in ~1.2 s and exits
~0.5 s after SIGTERM; xdist workers die ~1.0 s after a kill -9 of their controller (with
PR_SET_PDEATHSIG; 6.5 s without); Chromium starts in ~0.5 s and loads the sample report in
~0.1 s.
"""

from __future__ import annotations

import time

PROBE_TRIES = 3
MARGIN = 4.0
REMEASURE_S = 5.0  # a Pace measures again when its last figure is older than this


def _probe() -> float:
    """Wall time over CPU time of a ~20 ms busy loop (>= 1: the share of the CPU we lacked)."""
    wall, cpu = time.perf_counter(), time.process_time()
    total = 0
    for i in range(200_000):
        total += i * i % 7
    cpu = max(time.process_time() - cpu, 1e-6)
    return (time.perf_counter() - wall) / cpu


def slowdown() -> float:
    """How much slower than idle this machine runs now (at least 1): the median of
    PROBE_TRIES probes."""
    samples = sorted(_probe() for _ in range(PROBE_TRIES))
    return max(1.0, samples[len(samples) // 2])


class Pace:
    """Bounds for waits, from a slowdown measured at most every REMEASURE_S seconds."""

    def __init__(self) -> None:
        self._factor = 1.0
        self._at = float("-inf")

    def slowdown(self) -> float:
        if time.monotonic() - self._at > REMEASURE_S:
            self._factor, self._at = slowdown(), time.monotonic()
        return self._factor

    def bound(self, idle_s: float, margin: float = MARGIN) -> float:
        """The wait for something that takes ``idle_s`` on an idle machine."""
        return idle_s * margin * self.slowdown()


def bound(idle_s: float, margin: float = MARGIN) -> float:
    """A one-off :meth:`Pace.bound` (measures now)."""
    return Pace().bound(idle_s, margin)
