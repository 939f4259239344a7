"""The Target interface: what every stack under test offers the harness (principle 4).

A target is started once per worker and gives each test a fresh :class:`TestBed`: the tester's
link to the stack, the DUT socket API, the addresses on the link and the evidence sources.
Suites never branch on target names; they read :class:`Capabilities`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.dut.api import DutApi
from conformance.fabric.link import TesterLink
from reference_stack.profiles import PROFILES, Profile


@dataclass(frozen=True)
class Capabilities:
    # True when the stack answers frames in order and at once, so an ICMP echo probe after a
    # frame is a barrier for "expect nothing"; False: use a quiescence window instead.
    replies_synchronously: bool
    quiescence_window_s: float = 0.3
    # A target that does not reply synchronously but answers the barrier probe at once, with
    # some answers trailing the probe's reply by at most this long (a stack answering some
    # frames from threads of its own: gVisor's TCP processor goroutines): "expect nothing"
    # waits for the probe's reply, then for this long a quiescence window (the wait starts
    # when the stack has been running, however loaded the machine). None: the barrier alone
    # (replies_synchronously) or the quiescence window.
    barrier_grace_s: float | None = None
    # The barrier probe (conformance.author.barriers): "echo", or the fallback bed set-up
    # found the target answers when it ignores echo ("udp", "tcp"); None: none is answered
    # (then replies_synchronously is False too: the quiescence window).
    barrier: str | None = "echo"
    has_esp: bool = False
    has_ipv6: bool = True
    # Kernel-side evidence (MIB counters, drop reasons) is available.
    kernel_evidence: bool = False
    # The reference profile the oracle judges this target with ("rfc", "linux", "pytcp").
    oracle_profile: str = "rfc"
    # The kernel's log can be read for problems (oops, warnings) after a fuzz batch.
    kernel_log: bool = False
    # The target can be built to break oracle rules on purpose (a planted bug for a test).
    breakable_rules: bool = False


@dataclass(frozen=True)
class Endpoints:
    """Who is who on the test link (addresses are strings; MACs as aa:bb:..)."""

    tester_mac: str
    tester_ipv4: str
    dut_mac: str
    dut_ipv4: str
    tester_ipv6: str
    dut_ipv6: str
    ipv4_prefix_len: int
    spare_ipv4: tuple[str, ...] = ()


@dataclass
class TestBed:
    """Everything a test uses: the link, the DUT API and the addresses, fresh for this test."""

    link: TesterLink
    dut: DutApi
    endpoints: Endpoints
    capabilities: Capabilities
    setup_s: float = 0.0
    oracle_profile: Profile | None = None  # what the oracle judges this test with
    evidence: dict[str, Any] = field(default_factory=dict)
    handle: Any = None  # the target's own per-test state
    # Kernel drop reasons recorded so far in this test (None: the target has no such evidence).
    drop_reasons: Callable[[], list[dict[str, Any]]] | None = None
    # Set a sysctl in this test's DUT only (None: the target has no sysctls).
    set_dut_sysctl: Callable[[str, str], None] | None = None
    # Set the test link's MTU, both ends, for this test only (None: the target cannot).
    set_link_mtu: Callable[[int], None] | None = None
    # Install an IPsec configuration (reference_stack.ipsec.config.IpsecConfig) in this
    # test's DUT (None: the target cannot; conformance.author.ipsec).
    set_ipsec: Callable[[Any], None] | None = None

    # Give the DUT's route to the tester of a family ("ipv4", "ipv6") attributes ("mtu 1400")
    # for this test only (None: the target has no routing table; conformance.author.dut_route).
    set_dut_route: Callable[[str, str], None] | None = None
    # The time the target's timers have counted, in seconds, now: a test timing a target's
    # timer (an RTO, its backoff) reads it instead of the host's clock. None: the target's
    # timers run on the host's monotonic clock (a kernel's jiffies); a userspace stack whose
    # timer loop counts its own ticks gives them (conformance/targets/pytcp.py).
    dut_timer_clock: Callable[[], float] | None = None
    # (host monotonic time, dut_timer_clock()) read when the test began: how fast the target's
    # timers ran over the test (conformance.author.dut_clock.timer_rate).
    dut_timer_start: tuple[float, float] | None = None
    # Add an address ("2001:db8::5/64") to the DUT's end of the test link for this test only,
    # Duplicate Address Detection as its sysctls say (None: the target cannot).
    add_dut_address: Callable[[str], None] | None = None


class Target(ABC):
    name: str = ""
    description: str = ""
    # Needs root (or a user namespace): namespaces, veths, raw sockets.
    needs_privileges: bool = True
    # suites/expectations/<name>.toml holds this target's expected failures (default: its name).
    expectations_name: str = ""
    # The module holding the analysis functions its [[divergence]] entries name (ANALYSES),
    # next to the target they were analysed on (conformance.judge.store); None: none.
    analyses_module: str | None = None
    # The lockstep mode when --lockstep is not given: "enforce" (an unexplained divergence from
    # the oracle fails the test) where the oracle models the target, else "record".
    default_lockstep: str = "enforce"
    # The optional TestBed hooks (set_ipsec, set_link_mtu, set_dut_sysctl, ...) every bed of
    # this target offers, when that is known before a bed is made; None: only a bed tells. A
    # test that needs a hook the target never offers is then skipped before its bed is made
    # (a bed may cost a stack's start: a gVisor sandbox, ~0.2 CPU-s).
    bed_hooks: frozenset[str] | None = None

    @classmethod
    def expectations_file(cls) -> str:
        return cls.expectations_name or cls.name

    @classmethod
    @abstractmethod
    def unavailable_reason(cls) -> str | None:
        """None when the target can run on this machine, else one line saying why not."""

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abstractmethod
    def start(self) -> None:
        """Per worker: bring up what all tests share."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def begin_test(self, test_id: str) -> TestBed:
        """A clean target for one test."""

    @abstractmethod
    def end_test(self, bed: TestBed) -> dict[str, Any]:
        """Tear down the test's state; returns JSON-safe evidence (MIB deltas, drop reasons)."""

    def environment(self) -> dict[str, Any]:
        """JSON-safe facts for results.json (kernel, sysctls set, setup commands)."""
        return {}

    def oracle_profile(self) -> Profile:
        """The reference profile the oracle judges this target with."""
        return PROFILES[self.capabilities.oracle_profile]

    def dut_sysctls(self) -> dict[str, str]:
        """The sysctls in force in this target's DUT that the oracle follows
        (conformance.judge.sysctls), read from the DUT itself; {} for a stack without them."""
        return {}

    def dut_route(self) -> dict[str, dict[str, object]]:
        """The attributes of the DUT's routes to the tester, per family ({"ipv4": {...},
        "ipv6": {...}}: initcwnd, rto_min, mtu, ...: `ip -j route get` metrics) the oracle
        follows, each family's on that family's connections; {} for a stack without them."""
        return {}
