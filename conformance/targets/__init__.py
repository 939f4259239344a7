"""Targets: every stack netconform can test, looked up by name (modules imported lazily)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan
from conformance.targets.base import Target


@dataclass(frozen=True)
class TargetSpec:
    name: str
    module: str
    cls: str
    summary: str


# The catalogue is data: adding a target is one line here plus its module.
TARGET_SPECS: tuple[TargetSpec, ...] = (
    TargetSpec("linux", "conformance.targets.linux", "LinuxTarget",
               "the running Linux kernel in a fresh network namespace per test"),
    TargetSpec("reference", "conformance.targets.reference", "ReferenceTarget",
               "the reference stack answering on a veth in its own namespace"),
    TargetSpec("reference-inproc", "conformance.targets.reference", "InprocReferenceTarget",
               "the reference stack in-process on a virtual link (no privileges)"),
    TargetSpec("pytcp", "conformance.targets.pytcp", "PytcpTarget",
               "PyTCP 2.7 (userspace, Python) on a TAP device, a fresh process per test"),
    TargetSpec("gvisor", "conformance.targets.gvisor", "GvisorTarget",
               "gVisor's netstack under runsc (ptrace), a fresh sandbox per test"),
    TargetSpec("lwip", "conformance.targets.lwip", "LwipTarget",
               "lwIP 2.1.3 (Debian liblwip0) on a TAP device, a fresh process per test"),
    TargetSpec("vm", "conformance.targets.vm", "VmTarget",
               "a Linux kernel under qemu (Debian's or --kernel), a fresh namespace per test"),
)


class UnknownTarget(ValueError):
    pass


def target_names() -> list[str]:
    return [spec.name for spec in TARGET_SPECS]


def target_class(name: str) -> type[Target]:
    for spec in TARGET_SPECS:
        if spec.name == name:
            return getattr(importlib.import_module(spec.module), spec.cls)
    raise UnknownTarget(f"unknown target {name!r} (known: {', '.join(target_names())})")


def make_target(name: str, plan: WorkerPlan, config: DutConfig) -> Target:
    return target_class(name)(plan, config)


def availability() -> list[tuple[TargetSpec, str | None]]:
    """Each target with None when usable here, else the reason it is not."""
    out = []
    for spec in TARGET_SPECS:
        try:
            reason = target_class(spec.name).unavailable_reason()
        except ImportError as exc:
            reason = f"cannot import {spec.module}: {exc}"
        out.append((spec, reason))
    return out
