"""Benchmarks of the harness against the running kernel (JSON lines on stdout).

- tester link round trips per second with prebuilt bytes (ICMP echo over the veth);
- per-test overhead of a clean DUT: begin_test + end_test of the linux target (fresh namespace
  from the pool, link, MIB snapshots, drop-reason collection, pcap not written) around a
  one-exchange test body;
- wall time of the first suite through ``netconform run`` (1 and 2 workers).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time

from conformance.author.exchange import echo_reply_predicate
from conformance.author.templates import ICMPv4, LinkDefaults, Payload, build
from conformance.fabric import naming, reaper
from conformance.fabric.namespaces import DutConfig
from conformance.targets.base import Target
from conformance.targets.linux import LinuxTarget
from tests.first_suite import FIRST_SUITE


def emit(name: str, value: float, unit: str, **extra: object) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, **extra}), flush=True)


def echo_frame(target: Target, ident: int, seq: int) -> bytes:
    plan = target.plan
    defaults = LinkDefaults(plan.tester_mac, plan.dut_mac, plan.tester_ipv4, plan.dut_ipv4)
    return build((ICMPv4(type=8, rest=(ident << 16) | seq), Payload(b"bench")), defaults)


def bench_link(target: LinuxTarget, seconds: float = 2.0) -> None:
    bed = target.begin_test("bench-link")
    try:
        bed.link.recorder = None  # the hot path records nothing
        frame = echo_frame(target, 0x4242, 1)
        is_reply = echo_reply_predicate(0x4242, 1)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for _ in range(1000):
                bed.link.send(frame)
                got, _ = bed.link.expect(is_reply, 1.0)
                assert got is not None
            n += 1000
        emit("link_round_trips_per_s", n / (time.perf_counter() - t0), "1/s", goal=">= 50000")
    finally:
        target.end_test(bed)


def bench_clean_dut(target: Target, tests: int = 100, name: str = "clean_dut_overhead_median_ms",
                    goal: str = "<= 20") -> None:
    overheads = []
    for i in range(tests):
        t0 = time.perf_counter()
        bed = target.begin_test(f"bench-{i}")
        t1 = time.perf_counter()
        bed.link.send(echo_frame(target, 0x4343, i))  # the "test body": one exchange
        got, _ = bed.link.expect(echo_reply_predicate(0x4343, i), 1.0)
        assert got is not None
        t2 = time.perf_counter()
        target.end_test(bed)
        overheads.append((t1 - t0) + (time.perf_counter() - t2))
    emit(name, statistics.median(overheads) * 1000, "ms",
         goal=goal, p90_ms=round(sorted(overheads)[int(0.9 * tests)] * 1000, 3))


def bench_first_suite() -> None:
    suites = [arg for path in FIRST_SUITE for arg in ("--suite", path)]
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            args = [sys.executable, "-m", "conformance.cli.main", "run", "--out", out, *suites]
            proc = subprocess.run(args + (["-n", "2"] if workers == 2 else []),
                                  capture_output=True, text=True)
            wall = time.perf_counter() - t0
            with open(f"{out}/results.json") as f:
                summary = json.load(f)["summary"]
        emit(f"first_suite_wall_s_n{workers}", wall, "s", exit_code=proc.returncode,
             tests=sum(summary.values()))


def timed_pytest_suite(*extra: str) -> tuple[float, int, dict]:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "suites", "-q", "-n", "2",
                               "-p", "no:cacheprovider", "--netconform-out", out, *extra],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        with open(f"{out}/results.json") as f:
            summary = json.load(f)["summary"]
    return wall, proc.returncode, summary


def bench_barrier_vs_fixed_waits() -> None:
    """Issue 4: the whole suite with -n 2, barriers against packetimpact-style 1 s waits."""
    barrier, code_b, summary_b = timed_pytest_suite()
    fixed, code_f, summary_f = timed_pytest_suite("--expect-nothing-wait", "1")
    emit("suite_wall_s_n2_barrier", barrier, "s", exit_code=code_b,
         tests=sum(summary_b.values()), goal="<= 60")
    emit("suite_wall_s_n2_fixed_1s_waits", fixed, "s", exit_code=code_f)
    emit("suite_wall_ratio_fixed_waits_to_barrier", fixed / barrier, "x")


def main() -> None:
    reaper.reap()
    plan = naming.WorkerPlan(naming.new_run_id(), 0)
    target = LinuxTarget(plan, DutConfig())
    target.start()
    try:
        bench_link(target)
        bench_clean_dut(target)
    finally:
        target.stop()
    bench_first_suite()
    bench_barrier_vs_fixed_waits()


if __name__ == "__main__":
    main()
