"""conformance.author.dut_clock: a test times the DUT's timers on the host's clock unless the
target counts its own ticks (TestBed.dut_timer_clock), and then waits longer for them."""

import time
from types import SimpleNamespace

from conformance.author.dut_clock import TICK_CLOCK_STRETCH, dut_clock, timer_rate


def test_a_kernel_target_is_timed_on_the_hosts_clock():
    clock = dut_clock(SimpleNamespace(dut_timer_clock=None))
    assert clock.now is time.monotonic
    assert clock.wait_s(0.5) == 0.5


def test_a_tick_counting_target_is_timed_on_its_own_clock_and_waited_for_longer():
    ticks = iter([1.0, 1.25])
    clock = dut_clock(SimpleNamespace(dut_timer_clock=lambda: next(ticks)))
    assert clock.now() == 1.0 and clock.now() == 1.25
    assert clock.wait_s(1.0) == TICK_CLOCK_STRETCH > 1.0


def test_the_timer_rate_of_a_kernel_target_is_the_hosts():
    assert timer_rate(SimpleNamespace(dut_timer_clock=None, dut_timer_start=None)) == 1.0


def test_the_timer_rate_of_a_tick_counting_target_is_what_it_counted_per_host_second():
    start = time.monotonic() - 2.0
    bed = SimpleNamespace(dut_timer_clock=lambda: 11.0, dut_timer_start=(start, 10.0))
    assert 0.45 < timer_rate(bed) <= 0.5  # one of its seconds in two of the host's
    bed.dut_timer_clock = lambda: 15.0  # faster than the host: never more than 1
    assert timer_rate(bed) == 1.0


def test_a_target_that_no_longer_answers_is_judged_on_the_hosts_clock():
    def dead() -> float:
        raise TimeoutError("the agent did not answer")
    bed = SimpleNamespace(dut_timer_clock=dead, dut_timer_start=(time.monotonic() - 1, 0.0))
    assert timer_rate(bed) == 1.0


def test_recorded_arrivals_are_the_kernels_times_of_the_matching_frames_received():
    """A timer's interval is taken between the frames' receive times, not when the test read
    them (suites/tcp/test_initial_rto.py)."""
    from conformance.author.dut_clock import recorded_arrivals
    from conformance.author.templates import TCP, IPv4, LinkDefaults, build
    from conformance.fabric.pcap import Recorder

    defaults = LinkDefaults("02:00:00:00:00:01", "02:00:00:00:00:02", "198.18.0.2",
                            "198.18.0.1")
    syn_ack = build((IPv4(), TCP(src_port=80, dst_port=4000, flags="SA")), defaults)
    ack = build((IPv4(), TCP(src_port=80, dst_port=4000, flags="A")), defaults)
    recorder = Recorder()
    recorder.add("in", syn_ack, 100.0)
    recorder.add("in", ack, 100.5)
    recorder.add("out", syn_ack, 100.7)  # (sent, not received)
    recorder.add("in", syn_ack, 101.0)
    ex = SimpleNamespace(link=SimpleNamespace(recorder=recorder))
    layers = (IPv4(), TCP(src_port=80, flags="SA"))
    assert recorded_arrivals(ex, layers) == [100.0, 101.0]
    assert recorded_arrivals(SimpleNamespace(link=SimpleNamespace(recorder=None)), layers) is None
