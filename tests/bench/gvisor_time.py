"""Where one ``gvisor`` DUT's time goes, wall and CPU apart (JSON lines on stdout).

One worker's steps, one after the other (no background pool, so each is measured alone):

- ``netns``: a fresh DUT namespace with its veth (conformance.fabric.namespaces.build_dut);
- ``spawn_to_ready``: ``runsc run`` spawned until the agent's ready line;
- ``silence``: the host kernel silenced on the veth (sysctls);
- ``echo``: the readiness ICMP echo over the link;
- ``calls``: DUT API round trips (socket, bind, listen, getsockname, close: per call);
- ``counters``: netstack's MIB counters read once (begin and end of every test);
- ``kill``: the sandbox killed by its PID and reaped; ``netns_delete``: its namespace removed.

CPU: this process's own (``time.process_time``) and its children's (``RUSAGE_CHILDREN``); the
bench is a child subreaper, so runsc's sandbox and gofer, orphaned when ``runsc run`` is
killed, are reaped here and their CPU counted in the DUT's life (``life_cpu_s``).

    python tests/bench/gvisor_time.py [--duts N]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import socket
import statistics
import time
from collections.abc import Callable
from typing import Any

from conformance.fabric import naming, ownership
from conformance.fabric.link import open_packet_socket
from conformance.fabric.namespaces import DutConfig, Fabric
from conformance.fabric.reaper import delete_netns
from conformance.targets.gvisor import GvisorTarget, build_agent

PR_SET_CHILD_SUBREAPER = 36


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_orphans() -> None:
    """Reap the sandbox processes runsc left to us (we are their subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def timed(samples: dict[str, list[tuple[float, float]]], name: str,
          step: Callable[[], Any]) -> Any:
    w0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
    value = step()
    samples.setdefault(name, []).append(
        (time.perf_counter() - w0, time.process_time() - c0 + children_cpu() - k0))
    return value


def one_dut(target: GvisorTarget, samples: dict[str, list[tuple[float, float]]]) -> None:
    c_life, k_life = time.process_time(), children_cpu()
    fabric = target.fabric
    netns = timed(samples, "netns", fabric.acquire)
    target.fabric = FabricOf(netns)  # _launch acquires through it: the namespace just built
    try:
        dut = timed(samples, "launch_rest", target._launch)
    finally:
        target.fabric = fabric
    samples.setdefault("spawn_to_ready", []).append((dut.startup_s, float("nan")))
    timed(samples, "echo", lambda: target._await_echo(dut))
    api = dut.api

    def calls() -> None:
        fd, _ = api.socket_with_errno(socket.AF_INET, socket.SOCK_STREAM)
        api.bind_with_errno(fd, (target.plan.dut_ipv4, 0))
        api.listen_with_errno(fd, 8)
        api.getsockname_with_errno(fd)
        api.close_with_errno(fd)

    for _ in range(5):
        timed(samples, "calls_x5", calls)
    timed(samples, "counters", lambda: target._counters(dut))
    timed(samples, "kill", dut.agent.kill)
    timed(samples, "netns_delete", lambda: delete_netns([netns.name]))
    with fabric._lock:
        fabric._live.discard(netns.name)
    reap_orphans()
    samples.setdefault("life_cpu", []).append(
        (float("nan"), time.process_time() - c_life + children_cpu() - k_life))


class FabricOf:
    """A fabric that hands out one namespace already built (the bench times the build)."""

    def __init__(self, netns: Any) -> None:
        self.netns = netns

    def acquire(self) -> Any:
        return self.netns

    def release(self, netns: Any) -> None:
        pass


def emit(name: str, pairs: list[tuple[float, float]]) -> None:
    walls = [w for w, _ in pairs if w == w]
    cpus = [c for _, c in pairs if c == c]
    row: dict[str, Any] = {"name": f"gvisor_{name}", "n": len(pairs)}
    if walls:
        row["wall_median_ms"] = round(statistics.median(walls) * 1000, 1)
        row["wall_max_ms"] = round(max(walls) * 1000, 1)
    if cpus:
        row["cpu_median_ms"] = round(statistics.median(cpus) * 1000, 1)
    print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duts", type=int, default=10)
    args = parser.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    plan = naming.WorkerPlan(naming.new_run_id(), 0)
    target = GvisorTarget(plan, DutConfig())
    target.fabric = Fabric(plan, target.config, pool_size=0)  # built on demand, timed
    ownership.register(plan.run_id, naming.base36(plan.worker))
    os.makedirs(target.root, mode=0o700, exist_ok=True)
    target.agent = build_agent()  # (what target.start does, without its prepared pool)
    samples: dict[str, list[tuple[float, float]]] = {}
    try:
        target.fabric.start()
        target.packet_socket = open_packet_socket(plan.tester_netns)
        for _ in range(args.duts):
            one_dut(target, samples)
    finally:
        target.stop()
    for name, pairs in samples.items():
        emit(name, pairs)


if __name__ == "__main__":
    main()
