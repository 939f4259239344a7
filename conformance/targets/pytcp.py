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
import importlib.util
import os
import shutil
import signal
import socket
import statistics
import sys
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance.author.exchange import echo_reply_predicate
from conformance.author.templates import ICMPv4, LinkDefaults, Payload, build
from conformance.dut.agent import AgentDutApi, AgentFailure, AgentProcess
from conformance.fabric import ownership, threads
from conformance.fabric.link import Barrier, LinkTimeout, TesterLink, open_packet_socket
from conformance.fabric.namespaces import DutConfig, DutNetns, Fabric, FabricError, run_ip
from conformance.fabric.naming import SEQ_WRAP, WorkerPlan, base36
from conformance.fabric.netns import entered, sysctl_path, write_sysctls
from conformance.fabric.pcap import Recorder
from conformance.judge import expectations
from conformance.targets.base import Capabilities, Target, TestBed
from conformance.targets.linux import endpoints_of

SUPPORTED_SERIES = "2.7."
AGENT_MODULE = "conformance.targets.pytcp_agent"
READY_TIMEOUT_S = 30.0
ECHO_TIMEOUT_S = 5.0
READINESS_IDENT = 0x5EAD
# DUTs being prepared ahead of the tests: most of a start-up is pytcp's own sleeps (0.1 s for
# each of its five threads), so several overlap well; an idle pytcp costs ~2 % of a CPU.
PREPARED_DUTS = 3
# pytcp's timers count 1 ms sleeps, so CPU contention stretches them (an RTO of 1 s measured
# 1.6 s under -n 2): prepared DUTs run at a lower priority until a test takes one.
PREPARED_NICE = 10
# pytcp answers an echo in 0.3 ms (median; p99 1.6 ms, max 3.9 ms over 500 echoes while another
# run loaded the host); the window must also cover its delayed ACK (100 timer ticks of >= 1 ms).
QUIESCENCE_WINDOW_S = 0.3

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


@dataclass
class PytcpDut:
    """One DUT: its namespace and the pytcp process running in it."""

    netns: DutNetns
    agent: AgentProcess
    facts: dict[str, Any]
    startup_s: float  # from spawning the process to the agent's ready line
    api: AgentDutApi  # the DUT API on this process's agent
    test_id: str = ""  # the test using it
    counters_before: dict[str, int] = dataclasses.field(default_factory=dict)

    def packet_counters(self) -> dict[str, int]:
        """pytcp's packet counters now (see the agent's ``packet_stats``)."""
        reply = self.agent.request("packet_stats", [], timeout=READY_TIMEOUT_S)
        value = reply.get("value")
        return value if isinstance(value, dict) else {}

    def evidence(self, echo_s: float) -> dict[str, Any]:
        return {"pid": self.agent.pid, "startup_s": round(self.startup_s, 4),
                "stack_start_s": self.facts.get("stack_start_s"),
                "readiness_echo_s": round(echo_s, 4)}


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


def block_main_thread_signals() -> None:
    """Launcher threads leave Ctrl-C and SIGTERM to the main thread (conformance.fabric.threads)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, threads.MAIN_THREAD_SIGNALS)


def agent_env() -> dict[str, str]:
    """The harness's environment, with this checkout importable by the agent."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


class PytcpTarget(Target):
    name = "pytcp"
    description = "PyTCP 2.7 (userspace, Python) on a TAP device, a fresh process per test"
    # The lockstep oracle judges pytcp with its `pytcp` profile (MSS-only SYNs, IW of two
    # segments); --lockstep enforce is the default as for the other targets: a full run has no
    # unexplained divergence in a passing test (those of its expected failures are the failures'
    # own symptoms), and the analysed ones are filed in pytcp.toml.

    def __init__(self, plan: WorkerPlan, config: DutConfig) -> None:
        self.plan = plan
        self.config = silent_config(config)
        self.fabric = Fabric(plan, self.config, pool_size=PREPARED_DUTS + 1)
        self.packet_socket: socket.socket | None = None
        self.launcher = ThreadPoolExecutor(max_workers=PREPARED_DUTS,
                                           thread_name_prefix="nc-pytcp",
                                           initializer=block_main_thread_signals)
        self.prepared: deque[Future[PytcpDut]] = deque()
        self.startups_s: list[float] = []
        self.first_startup_s: float | None = None
        # A crash in a test listed as an expected failure is evidence, not an extra error.
        self.expected_failures = expectations.load(self.name)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if importlib.util.find_spec("pytcp") is None:
            return "pytcp is not installed (pip install 'netconform[pytcp]')"
        version = metadata.version("pytcp")
        if not version.startswith(SUPPORTED_SERIES):
            return f"pytcp {version} is installed; this target drives pytcp {SUPPORTED_SERIES}x"
        if os.geteuid() != 0:
            return "needs root (network namespaces, TAP devices and raw sockets)"
        if shutil.which("ip") is None:
            return "iproute2's ip command is not installed"
        if not os.path.exists("/dev/net/tun"):
            return "no /dev/net/tun (TUN/TAP driver missing)"
        return None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=False, quiescence_window_s=QUIESCENCE_WINDOW_S,
                            has_ipv6=False, oracle_profile="pytcp")

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        ownership.register(self.plan.run_id, base36(self.plan.worker))
        self.fabric.start()
        self.packet_socket = open_packet_socket(self.plan.tester_netns)
        self._prepare()
        # Waited for here, so that the first start-up is measured and environment() has it.
        self.first_startup_s = self.prepared[0].result(timeout=READY_TIMEOUT_S + 60).startup_s

    def stop(self) -> None:
        try:
            for future in self.prepared:
                future.cancel()
            while self.prepared:
                self._discard(self.prepared.popleft())
            self.launcher.shutdown(wait=True)
            if self.packet_socket is not None:
                self.packet_socket.close()
            self.fabric.close()
        finally:
            ownership.unregister(self.plan.run_id, base36(self.plan.worker))

    def _discard(self, future: Future[PytcpDut]) -> None:
        try:
            dut = future.result(timeout=READY_TIMEOUT_S + 10)
        except BaseException:  # it failed to start, or was cancelled: nothing runs
            return
        self._end(dut)

    # -- one DUT ------------------------------------------------------------------------
    def _launch(self) -> PytcpDut:
        """A fresh namespace with a TAP bridged to its veth and pytcp started on the TAP."""
        netns = self.fabric.acquire()
        try:
            tap = tap_name(self.plan, netns)
            bridge_without_netfilter(netns.name)
            run_ip(["-n", netns.name], tap_bridge_script(self.plan, netns, tap))
            agent = self._spawn_agent(netns.name, tap)
        except BaseException:
            self.fabric.release(netns)
            raise
        try:
            facts = agent.read_message(READY_TIMEOUT_S, f"starting {self.name}")
            if not facts.get("ready"):
                raise AgentFailure(f"{self.name} agent's first line is not 'ready': {facts!r}")
        except BaseException:
            agent.kill()
            self.fabric.release(netns)
            raise
        return PytcpDut(netns, agent, facts, time.perf_counter() - agent.started,
                        AgentDutApi(agent))

    def _spawn_agent(self, netns: str, tap: str) -> AgentProcess:
        """The stack's process with its agent, started in ``netns`` on ``tap`` (a subclass
        driving another stack on a TAP, e.g. the ``lwip`` target, starts its own here)."""
        return AgentProcess(agent_argv(self.plan, netns, tap), env=agent_env(),
                            label="pytcp agent")

    def _test_link(self, dut: PytcpDut) -> TesterLink:
        """The tester's link to ``dut`` for one test, recorded."""
        assert self.packet_socket is not None
        return TesterLink(self.packet_socket, dut.netns.tester_ifname, Recorder())

    def _end(self, dut: PytcpDut) -> None:
        try:
            dut.agent.kill()
        finally:
            self.fabric.release(dut.netns)

    def _prepare(self) -> None:
        while len(self.prepared) < PREPARED_DUTS:
            self.prepared.append(self.launcher.submit(self._launch))

    def _take_dut(self) -> PytcpDut:
        """The oldest DUT prepared in the background; another starts preparing now."""
        self._prepare()
        future = self.prepared.popleft()
        self._prepare()
        try:
            return future.result(timeout=READY_TIMEOUT_S + 60)
        except FabricError as exc:
            raise FabricError(f"{self.name} DUT set-up failed: {exc}") from None

    def _await_echo(self, dut: PytcpDut) -> None:
        """Readiness over the wire: pytcp answers an ICMP echo on the test link."""
        assert self.packet_socket is not None
        link = TesterLink(self.packet_socket, dut.netns.tester_ifname, recorder=None)
        ep = endpoints_of(self.plan)
        probe = build((ICMPv4(type=8, rest=READINESS_IDENT << 16 | 1), Payload(b"ready?")),
                      LinkDefaults(ep.tester_mac, ep.dut_mac, ep.tester_ipv4, ep.dut_ipv4))
        try:
            link.barrier(Barrier(probe, echo_reply_predicate(READINESS_IDENT, 1)),
                         timeout=ECHO_TIMEOUT_S)
        except LinkTimeout:
            status = dut.agent.describe_end()
            raise AgentFailure(f"{self.name} said it was ready but did not answer an ICMP echo "
                               f"within {ECHO_TIMEOUT_S:g} s ({status})") from None

    def begin_test(self, test_id: str) -> TestBed:
        t0 = time.perf_counter()
        dut = self._take_dut()
        dut.test_id = test_id
        t_echo = time.perf_counter()
        try:
            renice_all_threads(dut.agent.pid, 0)
            self._await_echo(dut)
            dut.counters_before = dut.packet_counters()  # after the readiness echo
        except BaseException:
            self._end(dut)
            raise
        self.startups_s.append(dut.startup_s)
        assert self.packet_socket is not None
        link = self._test_link(dut)
        bed = TestBed(link=link, dut=dut.api, endpoints=endpoints_of(self.plan),
                      capabilities=self.capabilities, handle=dut)
        bed.evidence[self.name] = dut.evidence(echo_s=time.perf_counter() - t_echo)
        bed.setup_s = time.perf_counter() - t0
        return bed

    def end_test(self, bed: TestBed) -> dict[str, Any]:
        """Fails the test (AgentFailure) when pytcp crashed or stopped answering during it,
        unless the test is a listed expected failure: then the crash is recorded as evidence
        (the test's own failure is the expected one, already explained in the expectations)."""
        dut: PytcpDut = bed.handle
        try:
            counters = self._counter_deltas(dut)
            failure = self._failure_during_test(dut, self.name)
        finally:
            bed.link.close()
            self._end(dut)
        evidence = {self.name: bed.evidence[self.name]}
        evidence[self.name]["counter_deltas"] = counters
        if failure is not None:
            if expectations.find(self.expected_failures, dut.test_id) is None:
                raise AgentFailure(failure)
            evidence[self.name]["failure"] = failure
        if dut.api.details:
            evidence[self.name]["call_details"] = dut.api.details[-20:]
        return evidence

    @staticmethod
    def _failure_during_test(dut: PytcpDut, stack: str) -> str | None:
        """Why the test must fail because of the stack itself, if it must (None: healthy)."""
        if dut.agent.broken is not None:
            return None  # a DUT call already failed the test with the reason
        if dut.agent.exit_status() is not None:
            return f"{stack} process ended during the test: {dut.agent.describe_end()}"
        try:
            dut.api.close_all()  # also a liveness check: a hung pytcp does not answer
        except AgentFailure as exc:
            return str(exc)
        return None

    @staticmethod
    def _counter_deltas(dut: PytcpDut) -> dict[str, int]:
        """What pytcp counted during the test (its drop and answer reasons), if it can say."""
        if dut.agent.broken is not None or dut.agent.exit_status() is not None:
            return {}
        try:
            after = dut.packet_counters()
        except AgentFailure:
            return {}
        return {name: value - dut.counters_before.get(name, 0) for name, value in after.items()
                if value != dut.counters_before.get(name, 0)}

    def environment(self) -> dict[str, Any]:
        startup = self.startups_s or ([self.first_startup_s] if self.first_startup_s else [])
        return {
            "pytcp": metadata.version("pytcp"),
            "python": f"{sys.executable} -O",
            "quiescence_window_s": QUIESCENCE_WINDOW_S,
            "sysctls": self.config.recorded_sysctls(),
            "setup_commands": list(self.config.setup_commands),
            "pytcp_startup_s": round(statistics.median(startup), 4) if startup else None,
        }
