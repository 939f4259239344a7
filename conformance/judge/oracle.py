"""The oracle for a test bed, built in one place: the target's profile
(``Target.oracle_profile()``) plus the sysctls in force in that DUT (``Target.dut_sysctls()``:
read from the DUT namespace, so a run's ``--dut-sysctl`` and the namespace's own defaults, never
the host's), then, during a test, the sysctls the test sets (``apply_sysctl``). It returns the
stack and a JSON-safe record of what it used, for results.json and a campaign's summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.judge.sysctls import (
    not_modelled,
    profile_with_route,
    profile_with_sysctl,
    profile_with_sysctls,
)
from reference_stack.profiles import Profile
from reference_stack.stack import ReferenceStack
from reference_stack.wire.addr import ip4, ip6, mac


class Addresses(Protocol):
    """Who is who on the link (conformance.targets.base.Endpoints, naming.WorkerPlan)."""

    dut_mac: str
    dut_ipv4: str
    ipv4_prefix_len: int
    tester_mac: str
    tester_ipv4: str
    dut_ipv6: str  # "" when the link has no IPv6
    tester_ipv6: str


class JudgedTarget(Protocol):
    def oracle_profile(self) -> Profile: ...

    def dut_sysctls(self) -> Mapping[str, str]: ...

    # and optionally dut_route() -> {"ipv4": {...}, "ipv6": {...}} (Target.dut_route)


@dataclass(frozen=True)
class OracleSetup:
    """The profile the oracle judges a DUT with, the DUT's sysctls and route attributes that
    shaped it, and the DUT settings whose effect it does not predict (not_modelled)."""

    profile: Profile
    sysctls: dict[str, str] = field(default_factory=dict)
    route: dict[str, dict[str, object]] = field(default_factory=dict)  # per family
    not_modelled: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """JSON-safe: what results.json and a campaign summary say the oracle used."""
        out: dict[str, Any] = {"profile": self.profile.name, "sysctls": dict(self.sysctls)}
        if any(self.route.values()):
            out["route"] = {family: dict(m) for family, m in self.route.items() if m}
        if self.not_modelled:
            out["not_modelled"] = dict(self.not_modelled)
        if self.profile.broken_rules:
            out["broken_rules"] = sorted(self.profile.broken_rules)
        return out


def oracle_setup(target: JudgedTarget) -> OracleSetup:
    """The target's profile following the sysctls and route attributes in force in its DUT."""
    sysctls = target.dut_sysctls()
    route = dict(target.dut_route()) if hasattr(target, "dut_route") else {}
    profile, used = profile_with_sysctls(target.oracle_profile(), sysctls)
    profile = profile_with_route(profile, route)
    return OracleSetup(profile, used, route, not_modelled(sysctls, route))


def build_oracle(profile: Profile, addrs: Addresses, seed: int = 0) -> ReferenceStack:
    """A reference stack with the DUT's addresses and the tester as a static neighbour, for
    IPv4 and, where the addresses name them, IPv6 (as the fabric configures the DUT
    namespace)."""
    stack = ReferenceStack(profile, mac(addrs.dut_mac), ip4(addrs.dut_ipv4),
                           addrs.ipv4_prefix_len, rng_seed=seed,
                           ipv6=ip6(addrs.dut_ipv6) if addrs.dut_ipv6 else None)
    stack.add_neighbor(ip4(addrs.tester_ipv4), mac(addrs.tester_mac))
    if addrs.dut_ipv6 and addrs.tester_ipv6:
        stack.add_neighbor(ip6(addrs.tester_ipv6), mac(addrs.tester_mac))
    return stack


def apply_sysctl(stack: ReferenceStack, key: str, value: str) -> bool:
    """A sysctl set during a test, followed by the stack; False when it has no equivalent."""
    profile = profile_with_sysctl(stack.profile, key, value)
    if profile is None:
        return False
    stack.set_profile(profile)
    return True
