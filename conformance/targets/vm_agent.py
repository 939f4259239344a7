"""The DUT control agent of the ``vm`` target: runs inside the VM, on the host's Python.

The VM's init (:mod:`conformance.targets.vm_initramfs`) starts it in the host's root file
system (9p, read-only) with the control port's device::

    python -B -m conformance.targets.vm_agent --port /dev/vport1p1

It speaks the JSON-lines protocol of :mod:`conformance.dut.agent` on that virtio-serial port:
first ``{"ready": true, ...}``, then one reply per request. The DUT socket calls run in the
current test's network namespace with :class:`~conformance.dut.kernel_sockets.KernelSocketApi`
(served by :func:`conformance.dut.socket_calls.handle`); the VM's own calls (:class:`VmCalls`)
give each test a fresh namespace with the NIC moved into it
(:mod:`conformance.targets.vm_netns`) and read the evidence inside the VM: MIB counters,
``skb:kfree_skb`` drop reasons and new kernel log lines.
"""

from __future__ import annotations

import argparse
import bisect
import errno
import json
import os
import platform
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from conformance.dut.agent_codec import decode, encode
from conformance.dut.agent_server import run_agent, serve_each
from conformance.dut.kernel_sockets import KernelSocketApi
from conformance.dut.socket_calls import handle as socket_call
from conformance.evidence import kmsg, mib
from conformance.evidence.drops import DropMonitor
from conformance.fabric import netns
from conformance.fabric.namespaces import run_ip
from conformance.targets import vm_netns, vm_rtnl

NIC = "eth0"
DROPS_INSTANCE = "nc-vm-drops"
RAW_POINTER = re.compile(r"(0x)?[0-9a-f]{16}")


class KernelSymbols:
    """Kernel addresses by function name (/proc/kallsyms), for drop locations that an older
    kernel's tracepoint prints as a pointer (``location=ffffffff8...``) where a newer one
    prints ``func+0x12/0x40`` (conformance.evidence.drops keeps the name)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.names: list[str] = []
        self.loaded = threading.Event()

    def load(self) -> None:
        try:
            with open("/proc/kallsyms") as f:
                table = sorted((int(a, 16), n) for a, kind, n, *_ in map(str.split, f)
                               if kind in "tTwW")
            self.starts = [a for a, _ in table]
            self.names = [n for _, n in table]
        finally:
            self.loaded.set()

    def name(self, rows: list[dict[str, object]]) -> list[dict[str, object]]:
        self.loaded.wait(timeout=30)
        out = []
        for row in rows:
            location = str(row["location"])
            if RAW_POINTER.fullmatch(location) and self.starts:
                i = bisect.bisect_right(self.starts, int(location, 16)) - 1
                if i >= 0 and self.starts[i]:
                    location = self.names[i]
            out.append({**row, "location": location})
        return out


class VmCalls:
    """The calls the harness makes of the VM beside the DUT socket calls."""

    def __init__(self) -> None:
        self.ns: str | None = None  # the running test's namespace
        self.holder: str | None = None  # the namespace holding the NIC (None: the VM's first)
        self.seq = 0
        self.setup: dict[str, Any] | None = None
        # The next test's namespace, being made ready in the background: (name, set-up, job).
        self.ready: tuple[str, dict[str, Any], Future[dict[str, float]]] | None = None
        self.preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nc-vm-prepare")
        self.api = KernelSocketApi(None)
        self.drops = DropMonitor(DROPS_INSTANCE, all_pids=True)  # the VM carries only our traffic
        self.kernel_log = kmsg.KernelLog()
        self.mib_before: mib.Counters = {}
        self.symbols = KernelSymbols()
        self.preparer.submit(self.symbols.load)  # before any test needs it

    def dut_begin(self, setup: dict[str, Any]) -> dict[str, Any]:
        """A fresh network namespace with the NIC in it, configured as ``setup`` says
        (:func:`conformance.targets.vm_netns.configure`; made ready in the background since
        the last test ended); the evidence windows start."""
        t0 = time.perf_counter()
        if self.ns is not None:
            self.dut_end()
        if self.ready is not None and self.ready[1] != setup:
            self._settle()  # made for another set-up: it becomes the next one's source
        if self.ready is None:
            self._make_ready(setup)
        assert self.ready is not None
        name, _, job = self.ready
        self.ready = None
        try:
            timings = job.result()
        except BaseException:
            self.holder = self._nic_namespace(name)
            raise
        self.holder = name
        t_ready = time.perf_counter()
        self.ns = name
        self.api = KernelSocketApi(name)
        self.mib_before = mib.snapshot(name)
        self.drops.clear()
        self.kernel_log.new_problems()
        t1 = time.perf_counter()
        return {"netns": name, "begin_s": round(t1 - t0, 4),
                "ready_wait_s": round(t_ready - t0, 4), **timings,
                "evidence_start_s": round(t1 - t_ready, 4)}

    def _make_ready(self, setup: dict[str, Any]) -> None:
        """In the background: a new namespace with its sysctls, the NIC moved in from the
        namespace holding it, configured and up; then that namespace deleted."""
        self.setup = setup
        self.seq += 1
        name, source = f"dut{self.seq}", self.holder

        def work() -> dict[str, float]:
            vm_netns.prepare(name, NIC, setup)
            timings = vm_netns.configure(name, NIC, setup, source)
            if source is not None:
                vm_netns.delete(source)
            return timings

        self.ready = (name, setup, self.preparer.submit(work))

    def _settle(self) -> None:
        """Wait for the background job; where the NIC is then (its namespace or not)."""
        assert self.ready is not None
        name, _, job = self.ready
        self.ready = None
        try:
            job.result()
            self.holder = name
        except BaseException:  # noqa: BLE001 - the NIC is wherever the job left it
            self.holder = self._nic_namespace(name)

    def _nic_namespace(self, candidate: str) -> str | None:
        """The namespace the NIC is in after a failed job: ``candidate``, the old holder or
        the VM's first (None)."""
        for name in (candidate, self.holder):
            if name is not None:
                try:
                    vm_rtnl.link_index(name, NIC)
                    return name
                except OSError:
                    continue
        return None

    def dut_end(self) -> dict[str, Any]:
        """The test's evidence; its sockets closed; the next namespace is made ready in the
        background while the harness judges this test (the NIC leaves this namespace then:
        the next test's tester link starts after, so nothing this one still sends reaches
        it)."""
        if self.ns is None:
            return {}
        name, self.ns = self.ns, None
        evidence = {"mib_deltas": mib.delta(self.mib_before, mib.snapshot(name)),
                    "drop_reasons": self.symbols.name(self.drops.collect()),
                    "kernel_log": self.kernel_log.new_problems()}
        self.api.close_all()
        self.api = KernelSocketApi(None)
        assert self.setup is not None
        self._make_ready(self.setup)
        return evidence

    def drop_reasons(self) -> list[dict[str, object]]:
        return self.symbols.name(self.drops.collect())

    def read_sysctls(self, keys: list[str]) -> dict[str, str]:
        """The sysctls of the current DUT namespace (absent ones left out)."""
        assert self.ns is not None, "dut_begin first"
        out = {}
        for key in keys:
            try:
                out[key] = netns.read_sysctl(self.ns, key)
            except OSError:
                continue
        return out

    def set_sysctl(self, key: str, value: str) -> None:
        assert self.ns is not None, "dut_begin first"
        netns.write_sysctls(self.ns, {key: value})

    def route_metrics(self, destination: str) -> dict[str, object]:
        assert self.ns is not None, "dut_begin first"
        return vm_netns.route_metrics(self.ns, destination)

    def ip_batch(self, script: str) -> None:
        """`ip -batch` in the current DUT namespace (a test's XFRM policies and SAs:
        conformance/dut/xfrm.py)."""
        assert self.ns is not None, "dut_begin first"
        run_ip(["-n", self.ns], script)


def handle(calls: VmCalls, message: dict[str, Any]) -> dict[str, Any]:
    call = str(message.get("call"))
    method = getattr(VmCalls, call, None)
    if method is None or call.startswith("_"):
        return socket_call(calls.api, message)
    reply: dict[str, Any] = {"id": message.get("id")}
    try:
        value = method(calls, *decode(message.get("args", [])))
    except OSError as exc:
        return {**reply, "value": None, "errno": exc.errno or errno.EIO,
                "detail": f"{call}: {exc}"}
    except Exception as exc:  # noqa: BLE001 - any failure is a reply, never a dead agent
        return {**reply, "value": None, "errno": errno.EIO,
                "detail": f"{call}: {type(exc).__name__}: {exc}"}
    return {**reply, "value": encode(value), "errno": 0}


def _crypto_rngs() -> list[str]:
    """The random number generators the crypto API has (/proc/crypto, type rng): ESP's IV
    generators (seqiv, echainiv) take the default one, drbg's stdrng."""
    names, name = [], None
    for line in (_read("/proc/crypto") or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "name":
            name = value.strip()
        elif key.strip() == "type" and value.strip() == "rng" and name not in names:
            names.append(name)
    return names


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def main() -> None:
    t0 = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", required=True)
    args = parser.parse_args()
    fd = os.open(args.port, os.O_RDWR)
    inp, out = os.fdopen(fd, "rb"), os.fdopen(os.dup(fd), "wb")
    calls = VmCalls()
    facts = {"ready": True, "pid": os.getpid(), "kernel": platform.release(),
             "python": platform.python_version(), "drop_reasons": calls.drops.unavailable
             or "available", "uptime_s": float(open("/proc/uptime").read().split()[0]),
             # AH and ESP over IPv6 are protocols this kernel knows (the oracle's ipv6_ipsec)
             "ipv6_ipsec": all(os.path.isdir(f"/sys/module/{m}") for m in ("esp6", "ah6")),
             # ESP SAs can be installed (capabilities.has_esp): esp4/esp6 and an IV source
             "esp": all(os.path.isdir(f"/sys/module/{m}") for m in ("esp4", "esp6")),
             # tunnel4 takes IPv4 protocols 4 and 41 (the oracle's ipv4_tunnel_protocols)
             "xfrm4_tunnel": os.path.isdir("/sys/module/xfrm4_tunnel"),
             # AH and ESP over IPv4 are protocols this kernel knows (the oracle's ipv4_ipsec)
             "ipv4_ipsec": all(os.path.isdir(f"/sys/module/{m}") for m in ("esp4", "ah4")),
             "crypto_rng": _crypto_rngs(),
             "crypto_rng_log": calls.kernel_log.boot_lines(r"(?i)jitter|drbg"),
             "virtio_net_napi_tx": _read("/sys/module/virtio_net/parameters/napi_tx"),
             "agent_start_s": round(time.perf_counter() - t0, 4)}
    out.write(json.dumps(facts).encode() + b"\n")
    out.flush()
    serve_each(lambda message: handle(calls, message), inp, out)


if __name__ == "__main__":
    run_agent(main)
