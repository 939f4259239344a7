"""What the targets whose stack runs in a process of its own share (``pytcp``, ``gvisor``): a
fresh DUT namespace and a fresh stack process per test, the next few prepared in the background
while a test runs, readiness checked over the wire, and a crash or hang of the process failing
the test that was using it.

A subclass says how to start its stack in a namespace (:meth:`AgentTarget._launch`, returning
an :class:`AgentDut` whose agent has said it is ready) and may add evidence (its own counters).
Ready means: the agent said so, and then the tester saw the stack answer an ICMP echo over the
link (sent before the test's link exists, so it is not in the test's pcap). A crash or hang of
the process fails the test using it with the process's exit status and last words (for a test
listed as an expected failure the crash becomes evidence instead); the process is killed by its
PID at the end of every test, and the reaper kills it by PID if the run itself dies (it lives
in an ``nc-`` namespace).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import statistics
import time
from abc import abstractmethod
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.author.exchange import echo_reply_predicate
from conformance.author.templates import ICMPv4, LinkDefaults, Payload, build
from conformance.dut.agent import AgentDutApi, AgentFailure, AgentProcess
from conformance.fabric import ownership, threads
from conformance.fabric.link import Barrier, LinkTimeout, TesterLink, open_packet_socket
from conformance.fabric.namespaces import DutConfig, DutNetns, Fabric, FabricError
from conformance.fabric.naming import WorkerPlan, base36
from conformance.fabric.packet_ring import PacketRing
from conformance.fabric.pcap import Recorder
from conformance.judge import expectations
from conformance.targets.base import Target, TestBed
from conformance.targets.namespaced import endpoints_of

READY_TIMEOUT_S = 30.0
ECHO_TIMEOUT_S = 5.0
READINESS_IDENT = 0x5EAD


@dataclass
class AgentDut:
    """One DUT: its namespace and the stack's process (its agent) running in it."""

    netns: DutNetns
    agent: AgentProcess
    facts: dict[str, Any]  # the agent's ready line
    startup_s: float  # from spawning the process to the agent's ready line
    api: AgentDutApi  # the DUT API on this process's agent
    test_id: str = ""  # the test using it
    counters_before: dict[str, int] = dataclasses.field(default_factory=dict)
    handle: Any = None  # the target's own state for this DUT

    def evidence(self, echo_s: float) -> dict[str, Any]:
        timings = {k: v for k, v in self.facts.items() if k.endswith("_s")}
        return {"pid": self.agent.pid, "startup_s": round(self.startup_s, 4), **timings,
                "readiness_echo_s": round(echo_s, 4)}


def block_main_thread_signals() -> None:
    """Launcher threads leave Ctrl-C and SIGTERM to the main thread (conformance.fabric.threads)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, threads.MAIN_THREAD_SIGNALS)


def agent_env() -> dict[str, str]:
    """The harness's environment, with this checkout importable by the agent."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": checkout_root() + (os.pathsep + path if path else "")}


def checkout_root() -> str:
    return str(Path(__file__).resolve().parents[2])


class AgentTarget(Target):
    """A stack in its own process per test, driven through a DUT agent (see the module)."""

    # How many DUTs are prepared ahead of the tests.
    prepared_duts = 3
    # Names the stack in failure messages and keys its evidence (default: the target's name).
    stack_label = ""
    # begin_test sets none of the TestBed's optional hooks (a stack with no sysctls, routing
    # table or link of its own to change): tests needing one skip before a DUT starts.
    bed_hooks: frozenset[str] = frozenset()

    def __init__(self, plan: WorkerPlan, config: DutConfig) -> None:
        self.plan = plan
        self.config = self.dut_config(config)
        self.fabric = Fabric(plan, self.config, pool_size=self.prepared_duts + 1)
        self.packet_socket: PacketRing | None = None
        self.launcher = ThreadPoolExecutor(max_workers=self.prepared_duts,
                                           thread_name_prefix=f"nc-{self.name}",
                                           initializer=block_main_thread_signals)
        self.prepared: deque[Future[AgentDut]] = deque()
        self.startups_s: list[float] = []
        self.first_startup_s: float | None = None
        # A crash in a test listed as an expected failure is evidence, not an extra error.
        self.expected_failures = expectations.load(self.expectations_file())

    @property
    def label(self) -> str:
        return self.stack_label or self.name

    # -- what a subclass says -----------------------------------------------------------
    def dut_config(self, config: DutConfig) -> DutConfig:
        """The DUT namespaces' configuration for this stack (the user's, by default)."""
        return config

    @abstractmethod
    def _launch(self) -> AgentDut:
        """A fresh namespace with the stack started in it and its agent ready."""

    def _start_agent(self, netns: DutNetns, argv: list[str], env: dict[str, str]) -> AgentDut:
        """Spawn the stack's agent and wait for its ready line (killed if it does not come)."""
        agent = AgentProcess(argv, env=env, label=f"{self.label} agent")
        try:
            facts = agent.read_message(READY_TIMEOUT_S, f"starting {self.label}")
            if not facts.get("ready"):
                raise AgentFailure(f"{self.label} agent's first line is not 'ready': {facts!r}")
        except BaseException:
            agent.kill()
            raise
        return AgentDut(netns, agent, facts, time.perf_counter() - agent.started,
                        AgentDutApi(agent))

    def _end(self, dut: AgentDut) -> None:
        """Kill the stack's process (by its PID) and hand its namespace back."""
        try:
            dut.agent.kill()
        finally:
            self.fabric.release(dut.netns)

    def _before_echo(self, dut: AgentDut) -> None:
        """Called when a test takes a prepared DUT, before the readiness echo."""

    def _counters(self, dut: AgentDut) -> dict[str, int]:
        """The stack's own counters now ({} when it keeps none)."""
        return {}

    def _test_link(self, dut: AgentDut) -> TesterLink:
        """The tester's link to ``dut`` for one test, recorded."""
        assert self.packet_socket is not None
        return TesterLink(self.packet_socket, dut.netns.tester_ifname, Recorder())

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

    def _discard(self, future: Future[AgentDut]) -> None:
        try:
            dut = future.result(timeout=READY_TIMEOUT_S + 10)
        except BaseException:  # it failed to start, or was cancelled: nothing runs
            return
        self._end(dut)

    def _prepare(self) -> None:
        while len(self.prepared) < self.prepared_duts:
            self.prepared.append(self.launcher.submit(self._launch))

    def _take_dut(self) -> AgentDut:
        """The oldest DUT prepared in the background; another starts preparing now."""
        self._prepare()
        future = self.prepared.popleft()
        self._prepare()
        try:
            return future.result(timeout=READY_TIMEOUT_S + 60)
        except FabricError as exc:
            raise FabricError(f"{self.label} DUT set-up failed: {exc}") from None

    def _await_echo(self, dut: AgentDut) -> None:
        """Readiness over the wire: the stack answers an ICMP echo on the test link."""
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
            raise AgentFailure(f"{self.label} said it was ready but did not answer an ICMP "
                               f"echo within {ECHO_TIMEOUT_S:g} s ({status})") from None

    # -- one test -----------------------------------------------------------------------
    def begin_test(self, test_id: str) -> TestBed:
        t0 = time.perf_counter()
        dut = self._take_dut()
        dut.test_id = test_id
        t_echo = time.perf_counter()
        try:
            self._before_echo(dut)
            self._await_echo(dut)
            dut.counters_before = self._counters(dut)  # after the readiness echo
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
        """Fails the test (AgentFailure) when the stack crashed or stopped answering during
        it, unless the test is a listed expected failure: then the crash is recorded as
        evidence (the test's own failure is the expected one, already explained)."""
        dut: AgentDut = bed.handle
        failed_in_test = dut.agent.broken is not None  # a DUT call failed the test already
        try:
            counters = self._counter_deltas(dut)
            failure = None if failed_in_test else self._failure_during_test(dut)
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

    def startup_median_s(self) -> float | None:
        """The median start-up (spawn to ready line) of this worker's DUTs so far."""
        startup = self.startups_s or ([self.first_startup_s] if self.first_startup_s else [])
        return round(statistics.median(startup), 4) if startup else None

    def _failure_during_test(self, dut: AgentDut) -> str | None:
        """Why the test must fail because of the stack itself, if it must (None: healthy)."""
        if dut.agent.exit_status() is not None:
            return f"{self.label} process ended during the test: {dut.agent.describe_end()}"
        if dut.agent.broken is not None:
            # the end-of-test counters request found it hung (one killed just before the test
            # ended, not yet exited when its counters were asked for, has exited by now)
            return dut.agent.broken
        try:
            dut.api.close_all()  # also a liveness check: a hung stack does not answer
        except AgentFailure as exc:
            return str(exc)
        return None

    def _counter_deltas(self, dut: AgentDut) -> dict[str, int]:
        """What the stack counted during the test (its drop and answer reasons), if it can."""
        if dut.agent.broken is not None or dut.agent.exit_status() is not None:
            return {}
        try:
            after = self._counters(dut)
        except AgentFailure:
            return {}
        return {name: value - dut.counters_before.get(name, 0) for name, value in after.items()
                if value != dut.counters_before.get(name, 0)}
