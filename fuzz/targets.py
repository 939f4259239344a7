"""Targets for fuzzing and the oracle profile matching each.

Fuzzing uses the harness's targets (``conformance.targets``) unchanged, plus
:class:`ProfiledInprocTarget`: the in-process reference stack with a profile of the caller's
choice (e.g. ``LINUX.breaking(rule)`` to plant a bug the fuzzer must find).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conformance.fabric import DutConfig
from conformance.naming import WorkerPlan, new_run_id, worker_index
from conformance.pcap import Recorder
from conformance.reference_dut_api import ReferenceSocketApi
from conformance.stack_driver import InlineDriver
from conformance.targets import make_target
from conformance.targets.base import Target, TestBed
from conformance.targets.namespaced import endpoints_of
from conformance.targets.reference import InprocReferenceTarget
from conformance.virtual_link import VirtualLink
from reference_stack.profiles import LINUX, Profile, linux_window_scale
from reference_stack.stack import ReferenceStack
from reference_stack.wire.addr import ip4, mac

TCP_RMEM = Path("/proc/sys/net/ipv4/tcp_rmem")
# Set in every DUT namespace a campaign or a replay uses (DESIGN principle 8: a "no reply" is
# never an artefact of the harness). A campaign leaves thousands of incomplete datagrams in
# the DUT's reassembly queues for ipfrag_time (30 s); past the default 4 MiB of
# ipfrag_high_thresh Linux drops every new fragment (inet_frag_find, ReasmFails: 5,598 in a
# 20,000-case batch), which no single case explains and the oracle does not model.
FUZZ_DUT_SYSCTLS = {"net.ipv4.ipfrag_high_thresh": str(256 << 20)}


class ProfiledInprocTarget(InprocReferenceTarget):
    """``reference-inproc`` with ``profile`` instead of LINUX."""

    def __init__(self, plan: WorkerPlan, config: DutConfig, profile: Profile) -> None:
        super().__init__(plan, config)
        self.profile = profile

    def begin_test(self, test_id: str) -> TestBed:
        self.tests += 1
        stack = ReferenceStack(self.profile, mac(self.plan.dut_mac), ip4(self.plan.dut_ipv4),
                               self.plan.ipv4_prefix_len, rng_seed=self.tests)
        stack.add_neighbor(ip4(self.plan.tester_ipv4), mac(self.plan.tester_mac))
        driver = InlineDriver(stack)
        return TestBed(link=VirtualLink(driver, Recorder()), dut=ReferenceSocketApi(driver),
                       endpoints=endpoints_of(self.plan), capabilities=self.capabilities,
                       handle=driver)


def build_target(name: str, broken_rules: tuple[str, ...] = (),
                 worker: int | None = None) -> Target:
    """A target by name on a fresh worker plan (``worker``: the address plan to use, by
    default this process's); ``broken_rules`` only for reference-inproc."""
    plan = WorkerPlan(new_run_id(), worker_index() if worker is None else worker)
    if broken_rules:
        if name != "reference-inproc":
            raise ValueError("broken rules can only be planted in the reference-inproc target")
        return ProfiledInprocTarget(plan, DutConfig(), LINUX.breaking(*broken_rules))
    return make_target(name, plan, DutConfig())


def worker_of(target: Target) -> int:
    """The worker index of a target's address plan (frames a finding holds carry its
    addresses, so a replay must use the same plan)."""
    plan = getattr(target, "plan", None)
    return plan.worker if plan is not None else 0


def broken_rules_of(target: Target) -> tuple[str, ...]:
    profile = getattr(target, "profile", None)
    return tuple(sorted(profile.broken_rules)) if profile is not None else ()


def oracle_profile_for(target: Target) -> Profile:
    """LINUX, with the window scale a Linux DUT namespace offers on this host (its tcp_rmem
    maximum: RFC 7323 2.3 leaves the shift to the receiver)."""
    if target.name != "linux":
        return LINUX
    try:
        rmem_max = int(TCP_RMEM.read_text().split()[2])
    except (OSError, ValueError, IndexError):
        return LINUX
    return dataclasses.replace(LINUX, window_scale=linux_window_scale(rmem_max))


def prepare_bed(bed: TestBed) -> dict[str, str]:
    """Apply :data:`FUZZ_DUT_SYSCTLS` to a bed whose target takes DUT sysctls (Linux); the
    ones set, for the record."""
    setter = getattr(bed, "set_dut_sysctl", None)
    done: dict[str, str] = {}
    if setter is None:
        return done
    for key, value in FUZZ_DUT_SYSCTLS.items():
        try:
            setter(key, value)
        except ValueError:  # a reference stack: no such limit to lift
            continue
        done[key] = value
    return done
