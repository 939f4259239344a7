"""The ``pytcp`` target: PyTCP, a userspace TCP/IP stack in Python, on a TAP device.

::

    tester netns                 DUT netns nc-<run>-<w>-d<seq> (kernel silent: no address,
      veth ...-v<seq>  <------>    IPv6 off)   veth ...-d<seq> ─┐
                                                 bridge ...-r<seq>├─ TAP ...-a<seq> ── pytcp
                                                                  (python -O, agent inside)

Each test gets a fresh DUT namespace and a fresh pytcp process in it, so no socket, ARP entry
or TCP session survives from the test before. Starting one costs about half a second (the
interpreter, pytcp's import and its threads' start-up sleeps), so the next few are prepared in
the background (niced, so they do not slow the pytcp under test) while a test runs. Ready
means: the agent said so once pytcp's threads were up, and then the tester saw pytcp answer an
ICMP echo over the link (sent before the test's link exists, so it is not in the test's pcap).

pytcp runs its own threads and gives no ordering guarantee between frames, so its replies are
not synchronous: "expect nothing" waits for a quiescence window (longer than pytcp's 100-tick
delayed ACK) instead of an echo barrier. A crash or hang of the process fails the test using it
with the process's exit status and last words (for a test listed as an expected failure the
crash becomes evidence instead); the process is killed by its PID at the end of
every test, and the reaper kills it by PID if the run itself dies (it lives in an ``nc-``
namespace).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import shutil
import sys
import time
from importlib import metadata
from typing import Any

from conformance.dut.agent import AgentFailure
from conformance.fabric.namespaces import DutConfig, DutNetns, run_ip
from conformance.fabric.naming import SEQ_WRAP, WorkerPlan, base36
from conformance.fabric.netns import entered, sysctl_path, write_sysctls
from conformance.targets.agent_target import READY_TIMEOUT_S, AgentDut, AgentTarget, agent_env
from conformance.targets.base import Capabilities, TestBed

SUPPORTED_SERIES = "2.7."
AGENT_MODULE = "conformance.targets.pytcp_agent"
# DUTs being prepared ahead of the tests: most of a start-up is pytcp's own sleeps (0.1 s for
# each of its five threads), so several overlap well; an idle pytcp costs ~2 % of a CPU.
PREPARED_DUTS = 3
# pytcp's timers count 1 ms sleeps, so CPU contention stretches them (an RTO of 1 s measured
# 1.6 s under -n 2): prepared DUTs run at a lower priority until a test takes one.
PREPARED_NICE = 10
# pytcp answers an echo in 0.3 ms (median; p99 1.6 ms, max 3.9 ms over 500 echoes while another
# run loaded the host); the window must also cover its delayed ACK (100 timer ticks of >= 1 ms).
QUIESCENCE_WINDOW_S = 0.3
# pytcp's timer loop (subsystems/timer.py Timer.__thread_timer) counts ticks, one per
# time.sleep(0.001) plus a pass over every registered timer and task, and its TCP timers are
# tick counts (protocols/tcp/session.py _transmit_packet: PACKET_RETRANSMIT_TIMEOUT = 1000 ticks,
# doubled per retransmission). A tick is never shorter than 1 ms, and CPU contention stretches
# it by a factor that changes with the load: in session 8's whole -n 2 run a SYN was
# retransmitted 1.45 s (1000 ticks) and then 2.37 s (2000 ticks) later, and at a load average
# of 17 the first retransmission came 2.64 s and 4.25 s after its segment. So a test times
# pytcp's timers on its own clock: the ticks it counted (the agent's ``timer_ticks``), one
# nominal millisecond each.
TIMER_TICK_S = 0.001

# The kernel of the DUT namespace must stay off the link: no IPv6 (no link-local address, MLD
# or router solicitation on the veth, bridge or TAP), never an ARP reply.
KERNEL_SILENT_SYSCTLS = {
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    "net.ipv4.conf.all.arp_ignore": "8",
    "net.ipv4.conf.default.arp_ignore": "8",
}


# With br_netfilter loaded, every namespace calls iptables for bridged IPv4 (a per-namespace
# default of 1), and its header validation drops malformed datagrams (drop reason IP_INHDR)
# before pytcp sees them: a test of pytcp's own checks would pass vacuously. The bridge must be
# a plain wire.
BRIDGE_NETFILTER_SYSCTLS = ("net.bridge.bridge-nf-call-iptables",
                            "net.bridge.bridge-nf-call-ip6tables",
                            "net.bridge.bridge-nf-call-arptables")


def bridge_without_netfilter(ns: str) -> None:
    """Turn bridge netfilter off in ``ns`` (the sysctls exist only if br_netfilter is loaded)."""
    with entered(ns):
        present = [key for key in BRIDGE_NETFILTER_SYSCTLS if os.path.exists(sysctl_path(key))]
    write_sysctls(ns, dict.fromkeys(present, "0"))


def silent_config(config: DutConfig) -> DutConfig:
    """The user's DUT configuration with the kernel kept off the test link (user values win)."""
    return dataclasses.replace(
        config, kernel_silent=True, extra_sysctls={**KERNEL_SILENT_SYSCTLS, **config.extra_sysctls}
    )


def tap_name(plan: WorkerPlan, netns: DutNetns) -> str:
    return f"{plan.stem}-a{base36(netns.seq % SEQ_WRAP)}"


def tap_bridge_script(plan: WorkerPlan, netns: DutNetns, tap: str) -> str:
    """``ip -batch`` lines, run inside the DUT namespace: a TAP for pytcp and a bridge joining
    it to the DUT's veth end (no STP, no multicast snooping: a plain wire)."""
    bridge = f"{plan.stem}-r{base36(netns.seq % SEQ_WRAP)}"
    return (
        f"tuntap add dev {tap} mode tap\n"
        f"link add {bridge} address 02:4e:43:{plan.worker:02x}:01:01 type bridge "
        "stp_state 0 mcast_snooping 0\n"
        # The DUT's MAC is pytcp's: a bridge port that also had it would make the bridge take
        # frames to it for itself, so the veth end gets another one.
        f"link set {netns.dut_ifname} address 02:4e:43:{plan.worker:02x}:01:02\n"
        f"link set {netns.dut_ifname} master {bridge}\n"
        f"link set {tap} master {bridge}\n"
        f"link set {tap} up\n"
        f"link set {bridge} up\n"
    )


def agent_argv(plan: WorkerPlan, netns: str, tap: str) -> list[str]:
    """pytcp with its agent, optimised, started inside the DUT namespace (ip execs it: the
    process we spawn is the agent itself, so its PID is pytcp's; nice execs too)."""
    return [
        "nice", "-n", str(PREPARED_NICE),
        "ip", "netns", "exec", netns, sys.executable, "-O", "-m", AGENT_MODULE,
        "--tap", tap, "--mac", plan.dut_mac,
        "--ipv4", f"{plan.dut_ipv4}/{plan.ipv4_prefix_len}",
        "--peer-ipv4", plan.tester_ipv4, "--peer-mac", plan.tester_mac,
    ]


def renice_all_threads(pid: int, niceness: int) -> None:
    """Set the niceness of every thread of ``pid`` (on Linux, niceness is per thread)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:  # it died: the readiness echo reports how
        return
    for tid in tids:
        try:
            os.setpriority(os.PRIO_PROCESS, int(tid), niceness)
        except ProcessLookupError:  # a thread that just ended
            pass


def tap_fabric_unavailable() -> str | None:
    """Why a stack on a TAP bridged to the DUT veth cannot run here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, TAP devices and raw sockets)"
    if shutil.which("ip") is None:
        return "iproute2's ip command is not installed"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun (TUN/TAP driver missing)"
    return None


class PytcpTarget(AgentTarget):
    name = "pytcp"
    description = "PyTCP 2.7 (userspace, Python) on a TAP device, a fresh process per test"
    # The lockstep oracle judges pytcp with its `pytcp` profile (MSS-only SYNs, IW of two
    # segments); --lockstep enforce is the default as for the other targets: a full run has no
    # unexplained divergence in a passing test (those of its expected failures are the failures'
    # own symptoms), and the analysed ones are filed in pytcp.toml.

    prepared_duts = PREPARED_DUTS
    # The length of a tick of the stack's own timer loop (None: its timers read the host's
    # clock, as lwIP's sys_now does).
    timer_tick_s: float | None = TIMER_TICK_S

    def dut_config(self, config: DutConfig) -> DutConfig:
        return silent_config(config)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if importlib.util.find_spec("pytcp") is None:
            return "pytcp is not installed (pip install 'netconform[pytcp]')"
        version = metadata.version("pytcp")
        if not version.startswith(SUPPORTED_SERIES):
            return f"pytcp {version} is installed; this target drives pytcp {SUPPORTED_SERIES}x"
        return tap_fabric_unavailable()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=False, quiescence_window_s=QUIESCENCE_WINDOW_S,
                            has_ipv6=False, oracle_profile="pytcp")

    # -- one DUT ------------------------------------------------------------------------
    def _launch(self) -> AgentDut:
        """A fresh namespace with a TAP bridged to its veth and pytcp started on the TAP."""
        netns = self.fabric.acquire()
        try:
            tap = tap_name(self.plan, netns)
            bridge_without_netfilter(netns.name)
            run_ip(["-n", netns.name], tap_bridge_script(self.plan, netns, tap))
            return self._start_agent(netns, self._agent_argv(netns.name, tap), agent_env())
        except BaseException:
            self.fabric.release(netns)
            raise

    def _agent_argv(self, netns: str, tap: str) -> list[str]:
        """The command that starts the stack with its agent in ``netns`` on ``tap`` (a subclass
        driving another stack on a TAP, the ``lwip`` target, starts its own)."""
        return agent_argv(self.plan, netns, tap)

    def begin_test(self, test_id: str) -> TestBed:
        bed = super().begin_test(test_id)
        if self.timer_tick_s is not None:
            bed.dut_timer_clock = functools.partial(self._timer_clock, bed.handle)
            bed.dut_timer_start = (time.monotonic(), bed.dut_timer_clock())
        return bed

    def _timer_clock(self, dut: AgentDut) -> float:
        """pytcp's timer clock now: the ticks its timer loop counted, in seconds. Not asked of
        a process that has ended or failed a call: the request would mark it broken, which
        end_test takes for a failure already reported (the lockstep reads this clock after
        the test's body, conformance.author.dut_clock.timer_rate)."""
        if dut.agent.broken is not None or dut.agent.exit_status() is not None:
            raise AgentFailure(f"{self.label} process has ended or failed: no timer clock")
        try:
            reply = dut.agent.request("timer_ticks", [], timeout=READY_TIMEOUT_S)
        except AgentFailure:
            # The harness's read, not a call of the test: end_test finds the hung process
            # itself (its liveness check) and fails the test there.
            dut.agent.broken = None
            raise
        assert self.timer_tick_s is not None
        return int(reply["value"]) * self.timer_tick_s

    def _before_echo(self, dut: AgentDut) -> None:
        renice_all_threads(dut.agent.pid, 0)

    def _counters(self, dut: AgentDut) -> dict[str, int]:
        """pytcp's packet counters now (see the agent's ``packet_stats``)."""
        reply = dut.agent.request("packet_stats", [], timeout=READY_TIMEOUT_S)
        value = reply.get("value")
        return value if isinstance(value, dict) else {}

    def environment(self) -> dict[str, Any]:
        return {
            "pytcp": metadata.version("pytcp"),
            "python": f"{sys.executable} -O",
            "quiescence_window_s": QUIESCENCE_WINDOW_S,
            "sysctls": self.config.recorded_sysctls(),
            "setup_commands": list(self.config.setup_commands),
            "pytcp_startup_s": self.startup_median_s(),
        }
