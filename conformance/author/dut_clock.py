"""Timing the DUT's timers on the clock they run on (an RTO, its backoff, a delayed ACK's
bound): the host's monotonic clock for a kernel, the target's own for a userspace stack whose
timer loop counts its own ticks (``TestBed.dut_timer_clock``: pytcp, whose ticks a loaded host
stretches, conformance/targets/pytcp.py). A bound the RFCs set on a timer (RFC 6298 2.1: 1 s;
RFC 1122 4.2.3.2: an ACK delay under 0.5 s) is the stack's own timing, so it is checked there;
the tester waits for the frame as long as a loaded host may stretch that time.

    clock = dut_clock(bed)
    t0 = clock.now()
    conn.expect(flags="A", timeout=clock.wait_s(0.5))
    assert clock.now() - t0 < 0.5

The lockstep oracle's timers run on the host's clock; ``timer_rate`` says how fast the target's
timer clock ran against it over a test, so the replay does not call a stretched timer's frame
missing before the target's clock reached its time (conformance.judge.timeline.check_bed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.author import templates

# Host seconds a loaded host may take for one second of a tick-counting stack's clock: pytcp's
# 1 s RTO ran 4.25 s at a load average of 17 (session 8).
TICK_CLOCK_STRETCH = 5.0


@dataclass(frozen=True)
class DutClock:
    now: Callable[[], float]  # seconds, on the clock the DUT's timers run on
    stretch: float  # host seconds to wait for one of its seconds

    def wait_s(self, dut_seconds: float) -> float:
        """How long the tester waits (host seconds) for something due ``dut_seconds`` on it."""
        return dut_seconds * self.stretch


def recorded_arrivals(ex: Any, layers: tuple[Any, ...]) -> list[float] | None:
    """The kernel's receive times (host seconds) of the target's frames matching ``layers``
    that the test's link recorded so far, in order; None without a recording. A timer's
    interval between two of them is the target's own: the times a test reads frames at trail
    them by whatever a loaded host delays the test (measured: a SYN,ACK read 0.11 s after it
    came, so its 1 s retransmission seemed to come 0.89 s after it)."""
    recorder = ex.link.recorder
    if recorder is None:
        return None
    return [r.t for r in recorder.frames
            if r.direction == "in" and templates.matches(layers, r.data)]


def dut_clock(bed: Any) -> DutClock:
    if bed.dut_timer_clock is None:
        return DutClock(time.monotonic, 1.0)
    return DutClock(bed.dut_timer_clock, TICK_CLOCK_STRETCH)


def timer_rate(bed: Any) -> float:
    """Seconds the target's timers counted per host second since its test began, at most 1
    (1: a target whose timers run on the host's clock, or one that no longer answers). PyTCP's
    1 s SYN,ACK retransmissions came 1.39 s after their originals in a loaded run (session 8,
    suites/tcp/test_listen_backlog.py): its ticks ran at 0.72 of the host's pace."""
    start = bed.dut_timer_start
    if bed.dut_timer_clock is None or start is None:
        return 1.0
    try:
        counted = bed.dut_timer_clock() - start[1]
    except Exception:  # the target died or hangs: its frames so far are judged on the host's
        return 1.0
    elapsed = time.monotonic() - start[0]
    if elapsed <= 0.0 or counted <= 0.0:
        return 1.0
    return min(1.0, counted / elapsed)
