"""What every target on the veth fabric shares: a worker's tester namespace, a fresh DUT
namespace per test from the pool, the worker's persistent packet socket and the owner record
the reaper reads."""

from __future__ import annotations

import os
import shutil

from conformance.fabric import netns, ownership
from conformance.fabric.link import TesterLink, open_packet_socket
from conformance.fabric.namespaces import DutConfig, DutNetns, Fabric, FabricError
from conformance.fabric.naming import WorkerPlan, base36, new_run_id
from conformance.fabric.packet_ring import PacketRing
from conformance.fabric.pcap import Recorder
from conformance.targets.base import Endpoints, Target


def endpoints_of(plan: WorkerPlan) -> Endpoints:
    return Endpoints(
        tester_mac=plan.tester_mac, tester_ipv4=plan.tester_ipv4,
        dut_mac=plan.dut_mac, dut_ipv4=plan.dut_ipv4,
        tester_ipv6=plan.tester_ipv6, dut_ipv6=plan.dut_ipv6,
        ipv4_prefix_len=plan.ipv4_prefix_len,
        spare_ipv4=tuple(plan.spare_ipv4(h) for h in range(3, 8)),
    )


def fabric_unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces and raw sockets)"
    if shutil.which("ip") is None:
        return "iproute2's ip command is not installed"
    if not os.path.exists("/proc/self/ns/net"):
        return "the kernel has no network namespaces"
    return None


class DutConfigError(ValueError):
    """A --dut-sysctl or --dut-setup item the kernel refuses (one line naming it)."""


def check_dut_config(config: DutConfig) -> None:
    """Build one scratch DUT namespace with ``config`` (every sysctl written, every set-up
    command run there) and remove it: a bad item is one :class:`DutConfigError` naming it,
    before any test runs, instead of an error in every test."""
    if not config.extra_sysctls and not config.setup_commands:
        return
    plan = WorkerPlan(new_run_id(), 0)
    ownership.register(plan.run_id, base36(plan.worker))  # alive: no other run's reaper takes it
    fabric = Fabric(plan, config, pool_size=0)
    try:
        fabric.start()
        fabric.release(fabric.acquire())
    except netns.NetnsError as exc:
        raise DutConfigError(exc.strerror) from None
    except FabricError as exc:
        raise DutConfigError(str(exc).replace("\n", " ")) from None
    finally:
        try:
            fabric.close()
        finally:
            ownership.unregister(plan.run_id, base36(plan.worker))


class NamespacedTarget(Target):
    def __init__(self, plan: WorkerPlan, config: DutConfig, pool_size: int = 2) -> None:
        self.plan = plan
        self.config = config
        self.fabric = Fabric(plan, config, pool_size=pool_size)
        self.packet_socket: PacketRing | None = None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return fabric_unavailable_reason()

    def start(self) -> None:
        ownership.register(self.plan.run_id, base36(self.plan.worker))
        self.fabric.start()
        self.packet_socket = open_packet_socket(self.plan.tester_netns)

    def stop(self) -> None:
        try:
            if self.packet_socket is not None:
                self.packet_socket.close()
            self.fabric.close()
        finally:
            ownership.unregister(self.plan.run_id, base36(self.plan.worker))

    def tester_link(self, dut: DutNetns) -> TesterLink:
        assert self.packet_socket is not None, "start() first"
        return TesterLink(self.packet_socket, dut.tester_ifname, Recorder())
