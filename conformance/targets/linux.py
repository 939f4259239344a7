"""The ``linux`` target: the running kernel, in a fresh DUT network namespace per test."""

from __future__ import annotations

import dataclasses
import platform
import time
from typing import Any

from conformance import netns
from conformance.evidence import mib
from conformance.evidence.drops import DropMonitor, merge_drop_counts
from conformance.fabric import DutConfig
from conformance.kernel_sockets import KernelSocketApi
from conformance.naming import WorkerPlan
from conformance.judge.sysctls import profile_with_sysctl
from conformance.targets.base import Capabilities, TestBed
from conformance.targets.namespaced import NamespacedTarget, endpoints_of
from reference_stack.profiles import LINUX, Profile, linux_window_scale

__all__ = ["LinuxTarget", "endpoints_of"]


class LinuxTarget(NamespacedTarget):
    name = "linux"
    description = "the running Linux kernel, in a fresh network namespace per test"

    def __init__(self, plan: WorkerPlan, config: DutConfig, pool_size: int = 2) -> None:
        super().__init__(plan, config, pool_size)
        self.drops: DropMonitor | None = None
        self._profile = LINUX

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=True, kernel_evidence=True,
                            oracle_profile="linux")

    def start(self) -> None:
        super().start()
        self.drops = DropMonitor(f"{self.plan.stem}-k")
        self._profile = self._narrowed_profile()

    def _narrowed_profile(self) -> Profile:
        """LINUX with this machine's window scale: it follows tcp_rmem and rmem_max, which a
        fresh namespace inherits from the host's defaults."""
        dut = self.fabric.acquire()
        try:
            rmem_max = int(netns.read_sysctl(dut.name, "net.ipv4.tcp_rmem").split()[2])
        finally:
            self.fabric.release(dut)
        profile = dataclasses.replace(LINUX, window_scale=linux_window_scale(rmem_max))
        # The run's --dut-sysctl settings the oracle can follow (conformance.judge.sysctls).
        for key, value in self.config.extra_sysctls.items():
            profile = profile_with_sysctl(profile, key, value) or profile
        return profile

    def oracle_profile(self) -> Profile:
        return self._profile

    def stop(self) -> None:
        try:
            if self.drops is not None:
                self.drops.close()
        finally:
            super().stop()

    def begin_test(self, test_id: str) -> TestBed:
        t0 = time.perf_counter()
        dut = self.fabric.acquire()
        bed = TestBed(
            link=self.tester_link(dut), dut=KernelSocketApi(dut.name),
            endpoints=endpoints_of(self.plan), capabilities=self.capabilities, handle=dut,
        )
        bed.set_dut_sysctl = lambda key, value: self._set_sysctl(bed, key, value)
        bed.evidence["mib_before"] = mib.snapshot(dut.name)
        bed.evidence["drops"] = []
        if self.drops is not None:
            self.drops.clear()
            bed.drop_reasons = lambda: self._drops_so_far(bed)
        bed.setup_s = time.perf_counter() - t0
        return bed

    def end_test(self, bed: TestBed) -> dict[str, Any]:
        dut = bed.handle
        evidence: dict[str, Any] = {}
        try:
            evidence["mib_deltas"] = mib.delta(bed.evidence["mib_before"], mib.snapshot(dut.name))
            evidence["drop_reasons"] = self._drops_so_far(bed)
            if "sysctls" in bed.evidence:
                evidence["dut_sysctls"] = bed.evidence["sysctls"]
        finally:
            bed.dut.close_all()
            bed.link.close()
            self.fabric.release(dut)
        return evidence

    @staticmethod
    def _set_sysctl(bed: TestBed, key: str, value: str) -> None:
        netns.write_sysctls(bed.handle.name, {key: value})
        bed.evidence.setdefault("sysctls", {})[key] = value

    def _drops_so_far(self, bed: TestBed) -> list[dict[str, Any]]:
        if self.drops is not None:
            bed.evidence["drops"].extend(self.drops.collect())
        return merge_drop_counts(bed.evidence["drops"])

    def environment(self) -> dict[str, Any]:
        if self.drops is None:
            drops = "not started"
        else:
            drops = self.drops.unavailable or "available"
        return {
            "kernel": platform.release(),
            "sysctls": self.config.recorded_sysctls(),
            "setup_commands": list(self.config.setup_commands),
            "drop_reasons": drops,
        }
