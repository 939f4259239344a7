"""Benchmarks of the ``vm`` target (JSON lines on stdout): the boot of one VM (qemu under TCG,
Debian's kernel, the agent ready), the per-test overhead of a clean DUT in it (begin_test +
end_test around a one-exchange body: a fresh namespace in the VM, the evidence read there),
and the whole suite with ``-n 2`` (two VMs). Skipped, saying why, where the target is not
usable (.ci/install-system-deps installs what it needs)."""

from __future__ import annotations

import time

from conformance.fabric import naming, reaper
from conformance.fabric.namespaces import DutConfig
from conformance.targets.vm import VmTarget
from tests.bench.harness import bench_clean_dut, emit, timed_pytest_suite


def main() -> None:
    reason = VmTarget.unavailable_reason()
    if reason:
        emit("vm_skipped", 0, "", reason=reason)
        return
    reaper.reap()
    target = VmTarget(naming.WorkerPlan(naming.new_run_id(), 0), DutConfig())
    t0 = time.perf_counter()
    target.start()
    try:
        emit("vm_start_s", time.perf_counter() - t0, "s", boot_s=round(target.boots_s[0], 3),
             kernel=target.environment()["kernel"])
        bench_clean_dut(target, 50, name="vm_per_test_overhead_median_ms", goal="<= 50")
    finally:
        target.stop()
    wall, code, summary = timed_pytest_suite("--target", "vm")
    emit("vm_suite_wall_s_n2", wall, "s", exit_code=code, tests=sum(summary.values()),
         goal="<= 300", **{k: v for k, v in summary.items() if v})


if __name__ == "__main__":
    main()
