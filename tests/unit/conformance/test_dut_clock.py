"""conformance.author.dut_clock: a test times the DUT's timers on the host's clock unless the
target counts its own ticks (TestBed.dut_timer_clock), and then waits longer for them."""

import time
from types import SimpleNamespace

from conformance.author.dut_clock import TICK_CLOCK_STRETCH, dut_clock


def test_a_kernel_target_is_timed_on_the_hosts_clock():
    clock = dut_clock(SimpleNamespace(dut_timer_clock=None))
    assert clock.now is time.monotonic
    assert clock.wait_s(0.5) == 0.5


def test_a_tick_counting_target_is_timed_on_its_own_clock_and_waited_for_longer():
    ticks = iter([1.0, 1.25])
    clock = dut_clock(SimpleNamespace(dut_timer_clock=lambda: next(ticks)))
    assert clock.now() == 1.0 and clock.now() == 1.25
    assert clock.wait_s(1.0) == TICK_CLOCK_STRETCH > 1.0
