"""The ``linux`` target: the running kernel, in a fresh DUT network namespace per test."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import time
from typing import Any

from conformance import ownership
from conformance.evidence import mib
from conformance.evidence.drops import DropMonitor, merge_drop_counts
from conformance.fabric import DutConfig, Fabric
from conformance.kernel_sockets import KernelSocketApi
from conformance.link import TesterLink, open_packet_socket
from conformance.naming import WorkerPlan, base36
from conformance.pcap import Recorder
from conformance.targets.base import Capabilities, Endpoints, Target, TestBed


def endpoints_of(plan: WorkerPlan) -> Endpoints:
    return Endpoints(
        tester_mac=plan.tester_mac, tester_ipv4=plan.tester_ipv4,
        dut_mac=plan.dut_mac, dut_ipv4=plan.dut_ipv4,
        tester_ipv6=plan.tester_ipv6, dut_ipv6=plan.dut_ipv6,
        ipv4_prefix_len=plan.ipv4_prefix_len,
        spare_ipv4=tuple(plan.spare_ipv4(h) for h in range(3, 8)),
    )


class LinuxTarget(Target):
    name = "linux"
    description = "the running Linux kernel, in a fresh network namespace per test"

    def __init__(self, plan: WorkerPlan, config: DutConfig, pool_size: int = 2) -> None:
        self.plan = plan
        self.config = config
        self.fabric = Fabric(plan, config, pool_size=pool_size)
        self.drops: DropMonitor | None = None
        self.packet_socket: socket.socket | None = None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if os.geteuid() != 0:
            return "needs root (network namespaces and raw sockets)"
        if shutil.which("ip") is None:
            return "iproute2's ip command is not installed"
        if not os.path.exists("/proc/self/ns/net"):
            return "the kernel has no network namespaces"
        return None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=True, kernel_evidence=True)

    def start(self) -> None:
        ownership.register(self.plan.run_id, base36(self.plan.worker))
        self.fabric.start()
        self.packet_socket = open_packet_socket(self.plan.tester_netns)
        self.drops = DropMonitor(f"{self.plan.stem}-k")

    def stop(self) -> None:
        try:
            if self.drops is not None:
                self.drops.close()
            if self.packet_socket is not None:
                self.packet_socket.close()
            self.fabric.close()
        finally:
            ownership.unregister(self.plan.run_id, base36(self.plan.worker))

    def begin_test(self, test_id: str) -> TestBed:
        t0 = time.perf_counter()
        dut = self.fabric.acquire()
        assert self.packet_socket is not None, "start() first"
        link = TesterLink(self.packet_socket, dut.tester_ifname, Recorder())
        bed = TestBed(
            link=link, dut=KernelSocketApi(dut.name), endpoints=endpoints_of(self.plan),
            capabilities=self.capabilities, handle=dut,
        )
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
        finally:
            bed.dut.close_all()
            bed.link.close()
            self.fabric.release(dut)
        return evidence

    def _drops_so_far(self, bed: TestBed) -> list[dict[str, Any]]:
        if self.drops is not None:
            bed.evidence["drops"].extend(self.drops.collect())
        return merge_drop_counts(bed.evidence["drops"])

    def environment(self) -> dict[str, Any]:
        return {
            "kernel": platform.release(),
            "sysctls": self.config.recorded_sysctls(),
            "setup_commands": list(self.config.setup_commands),
            "drop_reasons": self.drops.unavailable or "available" if self.drops else "not started",
        }
