"""The ``reference`` targets: netconform's own oracle, run as a stack under test.

- ``reference``: live. The sans-IO reference stack answers on the DUT's end of a real veth in
  its own DUT namespace (kernel silent there: no address, IPv6 off), through an AF_PACKET
  socket driven by a thread. Every suite runs against it exactly as against Linux.
- ``reference-inproc``: in-process. No namespace, no privileges: the tester link is virtual
  and frames go straight into the stack. For fast unit runs anywhere.

Profile: ``linux`` (Linux's choices where the RFCs leave latitude), the same stack the
lockstep oracle uses.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from typing import Any

from conformance.author.dut_address import address_of
from conformance.dut.reference import ReferenceSocketApi
from conformance.dut.stack_driver import InlineDriver, LiveDriver
from conformance.fabric import namespaces, netns
from conformance.fabric.link import ETH_P_ALL, PACKET_IGNORE_OUTGOING, SOL_PACKET
from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan
from conformance.fabric.pcap import Recorder
from conformance.fabric.virtual_link import VirtualLink
from conformance.judge.oracle import apply_sysctl, build_oracle
from conformance.judge.sysctls import profile_with_route_change
from conformance.targets.base import Capabilities, Target, TestBed
from conformance.targets.namespaced import NamespacedTarget, endpoints_of
from reference_stack.profiles import LINUX, Profile
from reference_stack.stack import CallResult, ReferenceStack


def new_stack(plan: WorkerPlan, seed: int, profile: Profile = LINUX) -> ReferenceStack:
    # The same addresses and static neighbour entry the Linux DUT gets
    # (conformance.fabric.namespaces).
    return build_oracle(profile, plan, seed)


def sysctl_setter(driver: Any) -> Any:
    """``bed.set_dut_sysctl`` for the reference stack: known sysctls change its profile."""

    def apply(stack: ReferenceStack, key: str, value: str) -> None:
        if not apply_sysctl(stack, key, value):
            raise ValueError(f"the reference stack has no equivalent of sysctl {key}")

    return lambda key, value: driver.with_stack(lambda stack: apply(stack, key, value))


def mtu_setter(driver: Any, dut: Any = None) -> Any:
    """``bed.set_link_mtu`` for the reference stack: its profile's MTU, and the veth's ends
    when it answers on one."""

    def apply(mtu: int) -> None:
        if dut is not None:
            namespaces.set_veth_mtu(dut, mtu)
        driver.with_stack(lambda stack: stack.set_profile(
            dataclasses.replace(stack.profile, mtu=mtu)))

    return apply


def route_setter(driver: Any) -> Any:
    """``bed.set_dut_route`` for the reference stack: its profile's route of that family
    (conformance.author.dut_route)."""
    return lambda family, attrs: driver.with_stack(lambda stack: stack.set_profile(
        profile_with_route_change(stack.profile, family, attrs)))


def ipsec_setter(driver: Any) -> Any:
    """``bed.set_ipsec`` for the reference stack: its own SPD and SAD."""
    return lambda config: driver.with_stack(lambda stack: stack.set_ipsec(config))


def address_adder(driver: Any) -> Any:
    """``bed.add_dut_address`` for the reference stack: DAD as its profile says."""
    return lambda prefixed: driver.call(
        lambda now: CallResult(None, 0, driver.stack.add_address6(address_of(prefixed), now)))


def dut_packet_socket(ns: str, ifname: str) -> socket.socket:
    with netns.entered(ns):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    sock.bind((ifname, ETH_P_ALL))
    return sock


class ReferenceTarget(NamespacedTarget):
    name = "reference"
    description = "the reference stack answering on a veth in its own namespace"

    def __init__(self, plan: WorkerPlan, config: DutConfig) -> None:
        silent = DutConfig(config.extra_sysctls, config.setup_commands, kernel_silent=True)
        super().__init__(plan, silent)
        self.tests = 0

    @property
    def capabilities(self) -> Capabilities:
        # One thread handles frames in arrival order, so a barrier probe is answered last.
        return Capabilities(replies_synchronously=True, oracle_profile="linux", has_esp=True)

    def begin_test(self, test_id: str) -> TestBed:
        t0 = time.perf_counter()
        dut = self.fabric.acquire()
        self.tests += 1
        driver = LiveDriver(new_stack(self.plan, self.tests),
                            dut_packet_socket(dut.name, dut.dut_ifname))
        bed = TestBed(
            link=self.tester_link(dut), dut=ReferenceSocketApi(driver),
            endpoints=endpoints_of(self.plan), capabilities=self.capabilities,
            handle=(dut, driver), set_dut_sysctl=sysctl_setter(driver),
            set_link_mtu=mtu_setter(driver, dut), set_ipsec=ipsec_setter(driver),
            add_dut_address=address_adder(driver), set_dut_route=route_setter(driver),
        )
        bed.setup_s = time.perf_counter() - t0
        return bed

    def end_test(self, bed: TestBed) -> dict[str, Any]:
        dut, driver = bed.handle
        try:
            bed.dut.close_all()
            return {"oracle": driver.take_decisions()}
        finally:
            driver.stop()
            bed.link.close()
            self.fabric.release(dut)

    def environment(self) -> dict[str, Any]:
        return {"profile": LINUX.name, "sysctls": self.config.recorded_sysctls(),
                "setup_commands": list(self.config.setup_commands)}


class InprocReferenceTarget(Target):
    name = "reference-inproc"
    description = "the reference stack in-process, on a virtual link (no privileges)"
    needs_privileges = False
    expectations_name = "reference"  # the same stack as the live reference target

    def __init__(self, plan: WorkerPlan, config: DutConfig, profile: Profile = LINUX) -> None:
        self.plan = plan
        self.profile = profile  # a test of the harness may pass one that breaks a rule
        self.tests = 0

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=True, oracle_profile="linux",
                            breakable_rules=True, has_esp=True)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def begin_test(self, test_id: str) -> TestBed:
        self.tests += 1
        driver = InlineDriver(new_stack(self.plan, self.tests, self.profile))
        return TestBed(link=VirtualLink(driver, Recorder()), dut=ReferenceSocketApi(driver),
                       endpoints=endpoints_of(self.plan), capabilities=self.capabilities,
                       handle=driver, set_dut_sysctl=sysctl_setter(driver),
                       set_link_mtu=mtu_setter(driver), set_ipsec=ipsec_setter(driver),
                       add_dut_address=address_adder(driver),
                       set_dut_route=route_setter(driver))

    def end_test(self, bed: TestBed) -> dict[str, Any]:
        driver = bed.handle
        bed.dut.close_all()
        decisions = driver.take_decisions()
        driver.stop()
        return {"oracle": decisions}

    def environment(self) -> dict[str, Any]:
        return {"profile": self.profile.name,
                "broken_rules": sorted(self.profile.broken_rules)}
