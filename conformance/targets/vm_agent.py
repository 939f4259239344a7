"""The DUT control agent of the ``vm`` target: runs inside the VM, on the host's Python.

The VM's init (:mod:`conformance.targets.vm_initramfs`) starts it in the host's root file
system (9p, read-only) with the control port's device::

    python -B -m conformance.targets.vm_agent --port /dev/vport1p1

It speaks the JSON-lines protocol of :mod:`conformance.dut.agent` on that virtio-serial port:
first ``{"ready": true, ...}``, then one reply per request. The DUT socket calls run in the
current test's network namespace with :class:`~conformance.dut.kernel_sockets.KernelSocketApi`
(the ``gvisor`` agent's dispatch); the VM's own calls (:class:`VmCalls`) give each test a fresh
namespace with the NIC moved into it (:mod:`conformance.targets.vm_netns`) and read the
evidence inside the VM: MIB counters, ``skb:kfree_skb`` drop reasons and new kernel log lines.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import platform
import sys
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from conformance.dut.agent import decode, encode
from conformance.dut.agent_server import serve_each
from conformance.dut.kernel_sockets import KernelSocketApi
from conformance.evidence import kmsg, mib
from conformance.evidence.drops import DropMonitor
from conformance.fabric import netns
from conformance.targets import vm_netns
from conformance.targets.gvisor_agent import handle as socket_call

CRASH_STATUS = 70
NIC = "eth0"
DROPS_INSTANCE = "nc-vm-drops"


class VmCalls:
    """The calls the harness makes of the VM beside the DUT socket calls."""

    def __init__(self) -> None:
        self.ns: str | None = None  # the running test's namespace
        self.holder: str | None = None  # the namespace holding the NIC (None: the VM's first)
        self.seq = 0
        self.setup: dict[str, Any] | None = None
        self.next_ns: Future[str] | None = None  # the next test's, being prepared
        self.preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nc-vm-prepare")
        self.api = KernelSocketApi(None)
        self.drops = DropMonitor(DROPS_INSTANCE, all_pids=True)  # the VM carries only our traffic
        self.kernel_log = kmsg.KernelLog()
        self.mib_before: mib.Counters = {}

    def dut_begin(self, setup: dict[str, Any]) -> dict[str, Any]:
        """A fresh network namespace with the NIC in it, configured as ``setup`` says
        (:func:`conformance.targets.vm_netns.configure`); the evidence windows start."""
        t0 = time.perf_counter()
        if self.ns is not None:
            self.dut_end()
        if setup != self.setup and self.next_ns is not None:  # prepared for another set-up
            self._discard_prepared()
        self.setup = setup
        if self.next_ns is None:
            self._prepare_next()
        assert self.next_ns is not None
        next_ns, self.next_ns = self.next_ns, None
        name = next_ns.result()
        t_prepared = time.perf_counter()
        self.ns = name
        timings = vm_netns.configure(name, NIC, setup, self.holder)
        t_configured = time.perf_counter()
        if self.holder is not None:  # the last test's namespace goes, in the background
            self.preparer.submit(vm_netns.delete, self.holder)
        self.holder = name
        self.api = KernelSocketApi(name)
        self.mib_before = mib.snapshot(name)
        self.drops.clear()
        self.kernel_log.new_problems()
        t1 = time.perf_counter()
        return {"netns": name, "begin_s": round(t1 - t0, 4),
                "prepared_wait_s": round(t_prepared - t0, 4), **timings,
                "evidence_start_s": round(t1 - t_configured, 4)}

    def _prepare_next(self) -> None:
        """The next test's namespace and its sysctls, made while the harness does other work."""
        assert self.setup is not None
        self.seq += 1
        name, setup = f"dut{self.seq}", self.setup
        self.next_ns = self.preparer.submit(lambda: (vm_netns.prepare(name, NIC, setup), name)[1])

    def _discard_prepared(self) -> None:
        assert self.next_ns is not None
        try:
            vm_netns.delete(self.next_ns.result())
        except OSError:
            pass
        self.next_ns = None

    def dut_end(self) -> dict[str, Any]:
        """The test's evidence; its sockets closed. The NIC stays in its namespace until the
        next test moves it straight into its own (one move a test; the tester's link of the next
        test starts after that move, so nothing this namespace still sends reaches it); the
        next namespace is prepared meanwhile."""
        if self.ns is None:
            return {}
        name, self.ns = self.ns, None
        evidence = {"mib_deltas": mib.delta(self.mib_before, mib.snapshot(name)),
                    "drop_reasons": self.drops.collect(),
                    "kernel_log": self.kernel_log.new_problems()}
        self.api.close_all()
        self.api = KernelSocketApi(None)
        self._prepare_next()
        return evidence

    def drop_reasons(self) -> list[dict[str, object]]:
        return self.drops.collect()

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
             "agent_start_s": round(time.perf_counter() - t0, 4)}
    out.write(json.dumps(facts).encode() + b"\n")
    out.flush()
    serve_each(lambda message: handle(calls, message), inp, out)


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(CRASH_STATUS)
