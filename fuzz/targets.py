"""Targets for fuzzing: the harness's targets (``conformance.targets``) unchanged, built on a
fresh worker plan; a target that can break oracle rules on purpose (``Capabilities.
breakable_rules``: the in-process reference stack) may be given the rules to break, a planted
bug the fuzzer must find. The oracle judging a target is built by the judge
(``conformance.judge.oracle``) from the target's profile and its DUT's sysctls.
"""

from __future__ import annotations

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id, worker_index
from conformance.targets import make_target
from conformance.targets.base import Target, TestBed
from reference_stack.profiles import LINUX

# Set in every DUT namespace a campaign or a replay uses (DESIGN principle 8: a "no reply" is
# never an artefact of the harness). A campaign leaves thousands of incomplete datagrams in
# the DUT's reassembly queues for ipfrag_time (30 s); past the default 4 MiB of
# ipfrag_high_thresh Linux drops every new fragment (inet_frag_find, ReasmFails: 5,598 in a
# 20,000-case batch), which no single case explains and the oracle does not model.
FUZZ_DUT_SYSCTLS = {"net.ipv4.ipfrag_high_thresh": str(256 << 20),
                    "net.ipv6.ip6frag_high_thresh": str(256 << 20)}


def build_target(name: str, broken_rules: tuple[str, ...] = (), worker: int | None = None,
                 dut_sysctls: dict[str, str] | None = None) -> Target:
    """A target by name on a fresh worker plan (``worker``: the address plan to use, by
    default this process's), its DUTs configured with ``dut_sysctls`` (``--dut-sysctl``);
    ``broken_rules`` only for a target whose capabilities say it can break them."""
    plan = WorkerPlan(new_run_id(), worker_index() if worker is None else worker)
    config = DutConfig(extra_sysctls=dict(dut_sysctls or {}))
    target = make_target(name, plan, config)
    if broken_rules:
        if not target.capabilities.breakable_rules:
            raise ValueError(f"target {name} cannot be built to break rules")
        target.profile = LINUX.breaking(*broken_rules)
    return target


def worker_of(target: Target) -> int:
    """The worker index of a target's address plan (frames a finding holds carry its
    addresses, so a replay must use the same plan)."""
    plan = getattr(target, "plan", None)
    return plan.worker if plan is not None else 0


def broken_rules_of(target: Target) -> tuple[str, ...]:
    if not target.capabilities.breakable_rules:
        return ()
    return tuple(sorted(target.profile.broken_rules))


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
