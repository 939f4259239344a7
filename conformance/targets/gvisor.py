"""The ``gvisor`` target: gVisor's netstack, in a runsc sandbox that owns the DUT's veth end.

::

    tester netns                 DUT netns nc-<run>-<w>-d<seq>
      veth ...-v<seq>  <------>    veth ...-d<seq>  (addresses and the tester's neighbour entry
                                   set before the start; runsc takes them into netstack and
                                   deletes them from the kernel; the kernel is kept off it: a
                                   port of the down bridge nc-sink, and sysctls)
                                   runsc sandbox (--network=sandbox, ptrace platform):
                                     netstack on an AF_PACKET socket bound to the veth,
                                     the agent (a static C program built at first use,
                                     gvisor_agent.c; root fs = the host's /, read-only)

Each test gets a fresh DUT namespace and a fresh sandbox in it (the bed is per test: a sandbox
kept across tests would keep netstack's TIME-WAIT connections, neighbour entries and ports),
prepared in the background while a test runs. The agent speaks the JSON-lines DUT protocol
over the sandbox's standard input and output (runsc hands its own stdio to the container). It
is C, not Python, because a sandbox is started for every test and gVisor serves each of its
process's file reads, page faults and system calls: a Python agent's start cost ~100 ms of CPU
per sandbox, half of a sandbox's life (gvisor_agent.c's notes).

Facts of Debian's runsc 0.0~20221219 on a 6.18 kernel, each measured here:
  * it refuses ``--network=sandbox`` when ``/proc/sys/net/core/rmem_default`` exists, its test
    for the root namespace, and newer kernels have that file in every namespace: the launch
    command masks ``/proc/sys/net/core`` with a tmpfs in the mount namespace ``ip netns exec``
    makes (private to that command);
  * the OCI spec's network namespace must name the DUT namespace by path (no path: runsc makes
    a new, empty one);
  * ``--ignore-cgroups`` (under ``ip netns exec``), ``--rx-checksum-offload=false`` (else
    netstack accepts bad checksums; the DUT veth's TX checksum offload is off already, see
    conformance.fabric.namespaces), ``--gso=false --software-gso=false`` (else the tester sees
    segments of 60 kB);
  * ``runsc run`` is attached: SIGKILL to it (by its PID, which is the one we spawn: ``ip``
    and ``sh`` exec it) takes the sandbox and the gofer down too; the per-worker state root
    is removed at the end of the run and by the reaper after a kill.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from conformance.evidence.mib import Counters, parse_paired
from conformance.fabric import netns as netns_mod
from conformance.fabric import ownership
from conformance.fabric.namespaces import DutConfig, DutNetns, add_bridge, attach_to_sink
from conformance.fabric.naming import WorkerPlan, base36
from conformance.fabric.reaper import RUNSC_STATE_DIR
from conformance.targets import c_build
from conformance.targets.agent_target import (
    READY_TIMEOUT_S,
    AgentDut,
    AgentTarget,
)
from conformance.targets.base import Capabilities

AGENT_SOURCE = Path(__file__).with_name("gvisor_agent.c")
AGENT_HEADER = Path(__file__).with_name("agent_json.h")  # (its JSON, included by the source)
# Static: the sandbox's process then opens no shared library (gVisor's gofer serves each open).
AGENT_GCC_OPTIONS = ("-O2", "-Wall", "-static")
LIBC_STATIC = Path("/usr/lib/x86_64-linux-gnu/libc.a")  # Debian's libc6-dev
RUNSC = "runsc"
RUNSC_FLAGS = (
    "--network=sandbox", "--platform=ptrace", "--ignore-cgroups",
    "--rx-checksum-offload=false", "--gso=false", "--software-gso=false",
)
# The launch, in the DUT namespace: /proc/sys/net/core masked (module notes), then runsc.
LAUNCH_SCRIPT = 'mount -t tmpfs nc-mask /proc/sys/net/core && exec "$@"'
# The DUT namespace's bridge that takes the veth as its port and stays down
# (keep_kernel_off_the_link).
SINK_BRIDGE = "nc-sink"
# Sandboxes prepared ahead of the tests (each ~50 MiB PSS): a test takes ~0.1 s, a sandbox
# ~0.4 s to start on a loaded machine, so 2 left tests waiting for one (setup 0.14 s median
# on suites/tcp/test_rst_in_synchronized_states.py, 29 s for it; 4: 0.03 s, 21 s).
PREPARED_SANDBOXES = 4
# netstack answers an echo in the sandbox's own goroutines; a frame it sends on its own (its
# delayed ACK: 200 ms, pkg/tcpip/transport/tcp/snd.go) must fall inside the quiescence window.
QUIESCENCE_WINDOW_S = 0.3
# netstack answers an ICMP echo (the barrier probe) in the goroutine that read it from the link,
# as it does a datagram or a segment for no endpoint; a TCP segment for an endpoint goes to a
# processor goroutine of its TCP dispatcher (pkg/tcpip/transport/tcp/dispatcher.go,
# queuePacket), whose answer may come after the echo's reply sent behind it: measured at most
# 6.8 ms after it, p99 0.1 ms (5,000 SYN + echo pairs, load average 8 on 2 CPUs:
# tests/bench/gvisor_latency.py), and at most 3.8 ms, p99 0.15 ms (2,000 pairs beside a whole
# `netconform run --target gvisor -n 2`, load average 12-16, session 11), where an answer came
# up to 32 ms after its own frame (the sandbox waiting for a CPU, which delays the echo's reply
# as much). So "expect nothing" waits for the echo's reply, then a short window
# (Capabilities.barrier_grace_s) of twice the longest lag measured: each test ends with one
# (its trailing settle), many have more.
BARRIER_GRACE_S = 0.015

# After the start the kernel has no address on the veth any more, but it must not answer
# there at all: it sends nothing of IPv6 (link-local, MLD, ND) nor ARP (these sysctls, set after
# the start: runsc reads the addresses they would remove), and it processes nothing it receives
# (the down bridge: keep_kernel_off_the_link).
HOST_SILENT_SYSCTLS = {
    "net.ipv6.conf.{dut_if}.disable_ipv6": "1",
    "net.ipv4.conf.{dut_if}.arp_ignore": "8",
}


def runsc_root(plan: WorkerPlan) -> str:
    """Each worker's runsc state (--root), named so the reaper removes it once its run is gone."""
    return os.path.join(RUNSC_STATE_DIR, plan.stem)


def sandbox_spec(netns_path: str, agent: str) -> dict[str, Any]:
    """The OCI runtime spec of one sandbox: the agent (a static program) on the host's file
    system (read-only), in the DUT namespace, with only the capabilities its sockets need.

    The agent's folder is bound in again at its own path, read-only: the sandbox's /tmp is its
    own tmpfs, and the build cache may be under /tmp (XDG_CACHE_HOME)."""
    caps = ["CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"]
    folder = os.path.dirname(agent)
    return {
        "ociVersion": "1.0.0",
        "process": {
            "user": {"uid": 0, "gid": 0},
            "args": [agent],
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": dict.fromkeys(
                ("bounding", "effective", "inheritable", "permitted"), caps),
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 4096}],
        },
        "root": {"path": "/", "readonly": True},
        "hostname": "nc-gvisor",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"},
            {"destination": folder, "type": "bind", "source": folder,
             "options": ["rbind", "ro"]},
        ],
        "linux": {"namespaces": [
            {"type": "pid"}, {"type": "network", "path": netns_path}, {"type": "ipc"},
            {"type": "uts"}, {"type": "mount"},
        ]},
    }


def agent_path() -> Path:
    """Where the agent's build is (or goes): by a hash of its source, its header and the
    static libc."""
    return c_build.output_path(AGENT_SOURCE, "nc-gvisor-agent", "",
                               [AGENT_HEADER, *([LIBC_STATIC] if LIBC_STATIC.exists() else [])])


def build_agent() -> str:
    """The agent program, built now if not cached (c_build.BuildError on a failure)."""
    return str(c_build.build(AGENT_SOURCE, agent_path(), AGENT_GCC_OPTIONS, ["-lm"]))


def runsc_argv(netns_name: str, root: str, bundle: str, container_id: str) -> list[str]:
    """``runsc run`` inside the DUT namespace with /proc/sys/net/core masked (module notes)."""
    return ["ip", "netns", "exec", netns_name, "sh", "-c", LAUNCH_SCRIPT, "sh",
            RUNSC, "--root", root, *RUNSC_FLAGS, "run", "--bundle", bundle, container_id]


def runsc_version() -> str | None:
    try:
        out = subprocess.run([RUNSC, "--version"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = out.splitlines()[0] if out else ""
    return first.removeprefix("runsc version ").strip() or None


class GvisorTarget(AgentTarget):
    name = "gvisor"
    analyses_module = "conformance.targets.gvisor_analyses"
    description = "gVisor's netstack under runsc (ptrace), a fresh sandbox per test"
    stack_label = "gVisor sandbox"
    prepared_duts = PREPARED_SANDBOXES
    # The lockstep check enforces the oracle's `gvisor` profile (netstack's choices, each
    # citing pkg/tcpip: reference_stack/profiles.py); netstack's non-conformances and the
    # analysed differences are in suites/expectations/gvisor.toml.

    def __init__(self, plan: WorkerPlan, config: DutConfig) -> None:
        super().__init__(plan, config)
        self.root = runsc_root(plan)
        self.agent = ""  # the agent program (start: build_agent)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if shutil.which(RUNSC) is None:
            return "runsc is not installed (Debian package runsc; .ci/install-system-deps)"
        if shutil.which("gcc") is None or not LIBC_STATIC.exists():
            return ("the agent's build needs gcc and a static libc (Debian packages gcc and "
                    "libc6-dev; .ci/install-system-deps)")
        if os.geteuid() != 0:
            return "needs root (network namespaces, runsc sandboxes and raw sockets)"
        if shutil.which("ip") is None:
            return "iproute2's ip command is not installed"
        return None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(replies_synchronously=False, quiescence_window_s=QUIESCENCE_WINDOW_S,
                            barrier_grace_s=BARRIER_GRACE_S, oracle_profile="gvisor")

    def start(self) -> None:
        # Owned before the state root exists: another run's reaper starting meanwhile removes
        # a root nobody owns (it removed this one under a starting run: FileNotFoundError on
        # its first bundle). AgentTarget.start registers again, stop() unregisters.
        ownership.register(self.plan.run_id, base36(self.plan.worker))
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root, mode=0o700)
        self.agent = build_agent()  # before the launcher threads need it
        super().start()

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- one DUT ------------------------------------------------------------------------
    def _launch(self) -> AgentDut:
        """A fresh namespace (addresses set), a sandbox started in it, the kernel silenced."""
        netns = self.fabric.acquire()
        try:
            keep_kernel_off_the_link(netns)
            bundle = self._write_bundle(netns)
            dut = self._start_agent(netns, runsc_argv(netns.name, self.root, bundle, netns.name),
                                    env=dict(os.environ))
        except BaseException:
            self.fabric.release(netns)
            raise
        try:
            silence_host(netns)
        except BaseException:
            self._end(dut)
            raise
        return dut

    def _counters(self, dut: AgentDut) -> dict[str, int]:
        """netstack's MIB counters now (/proc/net/snmp and netstat inside the sandbox)."""
        reply = dut.agent.request("mib_texts", [], timeout=READY_TIMEOUT_S)
        value = reply.get("value")
        return flat_counters(value) if isinstance(value, dict) else {}

    def _write_bundle(self, netns: DutNetns) -> str:
        bundle = Path(self.root) / f"bundle-{netns.name}"
        bundle.mkdir()
        spec = sandbox_spec(netns_mod.netns_path(netns.name), self.agent)
        (bundle / "config.json").write_text(json.dumps(spec))
        return str(bundle)

    def _end(self, dut: AgentDut) -> None:
        try:
            super()._end(dut)
        finally:
            shutil.rmtree(Path(self.root) / f"bundle-{dut.netns.name}", ignore_errors=True)

    def environment(self) -> dict[str, Any]:
        return {
            "runsc": runsc_version(),
            "runsc_flags": list(RUNSC_FLAGS),
            "quiescence_window_s": QUIESCENCE_WINDOW_S,
            "barrier_grace_s": BARRIER_GRACE_S,
            "sysctls": self.config.recorded_sysctls(),
            "setup_commands": list(self.config.setup_commands),
            "gvisor_startup_s": self.startup_median_s(),
        }


def flat_counters(texts: dict[str, str]) -> dict[str, int]:
    """The agent's MIB texts (gvisor_agent.c's mib_texts: parsed here, not in the sandbox, where
    the parser's import would cost CPU in every start) flat as ``Group.Name``: the evidence of
    what netstack dropped or answered."""
    counters: Counters = {}
    for text in texts.values():
        if isinstance(text, str):
            parse_paired(text, counters)
    return {f"{group}.{key}": value for group, values in counters.items()
            for key, value in values.items()}


def keep_kernel_off_the_link(netns: DutNetns) -> None:
    """The DUT namespace's kernel processes nothing that arrives on the veth, from before the
    start: the veth becomes a port of a bridge that is never brought up, whose receive handler
    frees every frame after the packet sockets had their copy (as the tester's veths:
    conformance.fabric.namespaces.attach_to_sink), and netstack's AF_PACKET socket is one of
    them. runsc leaves the bridge alone: it takes only interfaces that are up."""
    add_bridge(netns.name, SINK_BRIDGE)
    attach_to_sink(netns.name, netns.dut_ifname, SINK_BRIDGE)


def silence_host(netns: DutNetns) -> None:
    """The DUT namespace's kernel sends nothing on the link once runsc has taken the veth's
    addresses (keep_kernel_off_the_link keeps it from answering)."""
    dut_if = netns.dut_ifname
    netns_mod.write_sysctls(netns.name, {k.format(dut_if=dut_if): v
                                         for k, v in HOST_SILENT_SYSCTLS.items()})
