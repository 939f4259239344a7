"""The ``linux`` target: the running kernel, in a fresh DUT network namespace per test."""

from __future__ import annotations

import platform
import time
from typing import Any

from conformance.dut import xfrm
from conformance.dut.kernel_sockets import KernelSocketApi
from conformance.evidence import mib
from conformance.evidence.drops import DropMonitor, merge_drop_counts
from conformance.fabric import namespaces, netns
from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan
from conformance.judge.sysctls import ORACLE_SYSCTLS
from conformance.targets.base import Capabilities, TestBed
from conformance.targets.namespaced import NamespacedTarget, endpoints_of

__all__ = ["LinuxTarget", "endpoints_of"]


class LinuxTarget(NamespacedTarget):
    name = "linux"
    description = "the running Linux kernel, in a fresh network namespace per test"

    def __init__(self, plan: WorkerPlan, config: DutConfig, pool_size: int = 2) -> None:
        super().__init__(plan, config, pool_size)
        self.drops: DropMonitor | None = None
        self._dut_sysctls: dict[str, str] = {}
        self._dut_route: dict[str, dict[str, object]] = {}

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=True, kernel_evidence=True,
                            oracle_profile="linux", kernel_log=True)

    def start(self) -> None:
        super().start()
        self.drops = DropMonitor(f"{self.plan.stem}-k")
        self._dut_sysctls, self._dut_route = self._read_dut_config()

    def _read_dut_config(self) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
        """The sysctls and route attributes the oracle follows, as a fresh DUT namespace has
        them: its defaults (tcp_rmem and rmem_max follow the host's at namespace creation), the
        run's --dut-sysctl settings and what --dut-setup changed, read from the namespace."""
        dut = self.fabric.acquire()
        try:
            values = {}
            for key in ORACLE_SYSCTLS:
                try:
                    values[key] = netns.read_sysctl(
                        dut.name, namespaces.link_sysctl(key, dut.dut_ifname))
                except OSError:
                    continue  # not in this kernel: the profile keeps its value
            return values, {"ipv4": netns.route_metrics(dut.name, self.plan.tester_ipv4),
                            "ipv6": netns.route_metrics(dut.name, self.plan.tester_ipv6)}
        finally:
            self.fabric.release(dut)

    def dut_sysctls(self) -> dict[str, str]:
        return dict(self._dut_sysctls)

    def dut_route(self) -> dict[str, dict[str, object]]:
        return dict(self._dut_route)

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
        bed.set_link_mtu = lambda mtu: namespaces.set_veth_mtu(dut, mtu)
        bed.set_dut_route = lambda family, attrs: namespaces.change_dut_route(dut, family, attrs)
        bed.set_ipsec = lambda config: xfrm.install(dut.name, config)

        bed.add_dut_address = lambda address: namespaces.add_dut_address(dut, address)
        bed.evidence["mib_before"] = mib.read(dut.name)
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
            evidence["mib_deltas"] = mib.text_delta(bed.evidence["mib_before"],
                                                    mib.read(dut.name))
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
        netns.write_sysctls(bed.handle.name,
                            {namespaces.link_sysctl(key, bed.handle.dut_ifname): value})
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
