"""The ``lwip`` target: lwIP 2.1.3 (Debian's liblwip0, the Hurd build) on a TAP device.

::

    tester netns                 DUT netns (kernel silent)   veth ...-d<seq> ─┐
      veth ...-v<seq>  <------>                        bridge ...-r<seq>     ├─ TAP ...-a<seq>
                                                                              └── lwIP process
                                                      (python agent + lwip_shim.c + liblwip)

The fabric is the pytcp target's (a fresh DUT namespace and process per test, a TAP bridged to
the DUT's veth end, DUTs prepared in the background, readiness = an answered ICMP echo, a crash
or hang failing only the test using it); what differs is the process: lwIP started by the
project's C shim (built with Debian's gcc at first use, see lwip_build.py) and driven through
ctypes by lwip_agent.py.

lwIP has no static ARP entries (ETHARP_SUPPORT_STATIC_ENTRIES is off in this build), so the
kernel DUT's permanent neighbour entry for the tester has no counterpart; instead, before each
test, the tester asks lwIP for its address with an ARP request: lwIP's etharp_input enters the
requester in its cache (etharp_update_arp_entry, ETHARP_FLAG_TRY_HARD) and answers. The entry
lives ARP_MAXAGE (5 minutes) and is not re-requested before 4.5 minutes, far beyond a test.
That request is sent before the test's link exists, so it is not in the test's pcap.

The shim's reader thread hands each frame to lwIP under the core lock and lwIP writes its
answer from inside that call, so lwIP answers in order, before it reads the next frame: its
replies are synchronous and "expect nothing" uses the echo barrier, as for the kernel.
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from typing import Any

from conformance.author.templates import ARP, LinkDefaults, build
from conformance.dut.agent import AgentFailure, AgentProcess
from conformance.fabric.link import Barrier, LinkTimeout, TesterLink
from conformance.fabric.pcap import Recorder
from conformance.targets import lwip_build
from conformance.targets.agent_target import ECHO_TIMEOUT_S, AgentDut
from conformance.targets.base import Capabilities
from conformance.targets.linux import endpoints_of
from conformance.targets.pytcp import PytcpTarget, tap_fabric_unavailable

AGENT_SCRIPT = Path(__file__).with_name("lwip_agent.py")  # run by path: see lwip_agent.py
LWIP_VERSION = "2.1.3"
ETH_P_ARP = b"\x08\x06"
ARP_REPLY = b"\x00\x02"
ARP_RETRY_S = 0.1
# How often a barrier's wait looks whether the lwIP process has ended (the frames passed over
# stay pending between looks, so the wait is the same, only cut short by an end).
EXIT_POLL_S = 0.05


def arp_reply_predicate(sender_ipv4: bytes) -> Any:
    """Byte-level match for an ARP reply from ``sender_ipv4`` (spa at offset 28)."""

    def is_reply(frame: bytes) -> bool:
        return (frame[12:14] == ETH_P_ARP and frame[20:22] == ARP_REPLY
                and frame[28:32] == sender_ipv4)

    return is_reply


class ProcessLink(TesterLink):
    """A test's link to an lwIP process: a barrier the process cannot answer because it has
    ended fails the test with how it ended (its exit status and last words), where a bare
    LinkTimeout would let the lockstep report only a missing echo reply."""

    def __init__(self, *args: Any, agent: AgentProcess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agent = agent

    def barrier(self, barrier: Barrier, timeout: float = 5.0) -> list[bytes]:
        # A process that has ended (an LWIP_ASSERT aborts it) answers no probe: fail now, or
        # as soon as it ends while the probe waits, rather than after ``timeout``.
        if self.agent.exit_status() is not None:
            raise self._ended()
        try:
            return super().barrier(barrier, timeout)
        except LinkTimeout:
            if self.agent.exit_status() is not None:
                raise self._ended() from None
            raise

    def _await_reply(self, barrier: Barrier, timeout: float) -> tuple[bytes | None, list[bytes]]:
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            reply, before = super()._await_reply(barrier, min(EXIT_POLL_S, left))
            if reply is not None or left <= EXIT_POLL_S:
                return reply, before
            if self.agent.exit_status() is not None:
                raise self._ended()

    def _ended(self) -> AgentFailure:
        return AgentFailure(f"lwip process ended during the test: {self.agent.describe_end()}")


class LwipTarget(PytcpTarget):
    name = "lwip"
    description = "lwIP 2.1.3 (Debian liblwip0) on a TAP device, a fresh process per test"
    # The lockstep oracle judges lwIP with its `lwip` profile (reference_stack/profiles.py);
    # the analysed differences and expected failures are in suites/expectations/lwip.toml.
    analyses_module = "conformance.targets.lwip_analyses"
    timer_tick_s = None  # lwIP's timers (sys_check_timeouts) read sys_now: the host's clock

    @classmethod
    def unavailable_reason(cls) -> str | None:
        missing = lwip_build.missing_pieces()
        if missing:
            return ("missing " + "; ".join(missing)
                    + " (.ci/install-system-deps installs them)")
        return tap_fabric_unavailable()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=True, has_ipv6=False, oracle_profile="lwip")

    def start(self) -> None:
        self.shim = lwip_build.build_shim()  # before the launcher threads need it
        super().start()

    def _agent_argv(self, netns: str, tap: str) -> list[str]:
        # -S: no site module. The agent needs the standard library and this checkout (on
        # PYTHONPATH) only; a virtual environment's site-packages and its .pth files (an
        # editable install's import finder) cost ~25 ms of CPU per DUT (one per test).
        # Not niced, unlike pytcp's (PREPARED_NICE): an idle lwIP runs no 1 ms timer loop (its
        # cyclic timers, timeouts.c lwip_cyclic_timers, wake it every 100 ms at most), so a
        # prepared one takes nothing from the lwIP under test, and a niced start-up (~0.1 s of
        # CPU: the interpreter and the agent's imports) is what a loaded host starves (measured
        # at load 15: 477 s of a whole run's 751 s summed test time waiting for prepared DUTs).
        return ["ip", "netns", "exec", netns, sys.executable, "-S", str(AGENT_SCRIPT),
                "--shim", str(self.shim), "--tap", tap, "--mac", self.plan.dut_mac,
                "--ipv4", f"{self.plan.dut_ipv4}/{self.plan.ipv4_prefix_len}"]

    def _before_echo(self, dut: AgentDut) -> None:
        """Nothing to renice: the process was never niced (see _agent_argv)."""

    def _await_echo(self, dut: AgentDut) -> None:
        """lwIP learns the tester's MAC from the tester's ARP request (see the module
        docstring), then answers the readiness echo.

        The request is repeated every ARP_RETRY_S: lwIP is up in milliseconds, before the
        bridge forwards to its TAP (the TAP's port goes forwarding only once the agent opened
        the TAP; measured: 3 of 60 first requests lost, the veth and the bridge counting the
        frame, the TAP none). lwIP answers every request in order, so a late answer comes
        before the echo reply, which the echo barrier consumes with it.
        """
        assert self.packet_socket is not None
        link = TesterLink(self.packet_socket, dut.netns.tester_ifname, recorder=None)
        ep = endpoints_of(self.plan)
        request = build((ARP(),), LinkDefaults(ep.tester_mac, "ff:ff:ff:ff:ff:ff",
                                                ep.tester_ipv4, ep.dut_ipv4))
        barrier = Barrier(request, arp_reply_predicate(socket.inet_aton(ep.dut_ipv4)))
        deadline = time.monotonic() + ECHO_TIMEOUT_S
        while True:
            try:
                link.barrier(barrier, timeout=ARP_RETRY_S)
                break
            except LinkTimeout:
                if time.monotonic() >= deadline:
                    raise AgentFailure(
                        f"lwip said it was ready but did not answer the tester's ARP requests "
                        f"within {ECHO_TIMEOUT_S:g} s ({dut.agent.describe_end()})") from None
        super()._await_echo(dut)

    def _test_link(self, dut: AgentDut) -> TesterLink:
        assert self.packet_socket is not None
        return ProcessLink(self.packet_socket, dut.netns.tester_ifname, Recorder(),
                           agent=dut.agent)

    def environment(self) -> dict[str, Any]:
        return {
            "lwip": LWIP_VERSION,
            "shim": str(self.shim),
            "sysctls": self.config.recorded_sysctls(),
            "setup_commands": list(self.config.setup_commands),
            "lwip_startup_s": self.startup_median_s(),
        }
