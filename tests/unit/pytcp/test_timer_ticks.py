"""The agent's timer clock (conformance/targets/pytcp_agent.py TickCounter) counts what pytcp's
timers count: a pass of its timer loop (subsystems/timer.py), however long a pass takes on a
loaded host."""

import threading

import pytest

from conformance.targets.pytcp_agent import TickCounter

timer_module = pytest.importorskip("pytcp.subsystems.timer")

TIMER_TICKS = 50  # a pytcp timer of 50 (its "ms")


def test_a_pytcp_timer_of_n_fires_when_the_counter_reads_n():
    timer = timer_module.Timer()
    ticks = TickCounter()
    timer.register_method(method=ticks.tick)  # as the agent's start_stack, before any other
    fired = threading.Event()
    seen: list[int] = []

    def at_expiry():
        seen.append(ticks.ticks)
        fired.set()

    timer.register_method(method=at_expiry, delay=TIMER_TICKS, repeat_count=0)
    timer.start()
    try:
        assert fired.wait(30)
    finally:
        timer.stop()
    assert seen == [TIMER_TICKS]
    assert ticks.ticks >= TIMER_TICKS
