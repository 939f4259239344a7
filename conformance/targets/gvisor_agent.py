"""The DUT control agent of the ``gvisor`` target: runs inside a runsc sandbox.

The sandbox's only process is this agent, started by the target with the host's Python (the
sandbox's root file system is the host's ``/``, read-only)::

    python -S .../conformance/targets/gvisor_agent.py

(by its path, with the checkout on PYTHONPATH: ``-m`` would import the conformance.targets
package, the harness's side). It imports only light modules: gVisor serves each file read and
page fault of a module import, so the agent's imports were most of a sandbox's start-up CPU
(tests/bench/gvisor_time.py: 0.33 CPU-s a sandbox with the harness's modules, 0.14 with the
standard library's socket and json alone).
Its system calls are served by gVisor's Sentry, so the sockets it makes are netstack's: it
executes the DUT API calls with the ordinary socket module (the ``linux`` target's
:class:`~conformance.dut.kernel_sockets.KernelSocketApi`, without a namespace to enter), one
JSON line in, one JSON line out (protocol: :mod:`conformance.dut.agent`), plus
``net_counters`` (netstack's MIB counters). It first says
``{"ready": true, ...}`` and ends when its input closes (the harness went away), which ends
the sandbox.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time
from typing import Any, BinaryIO

from conformance.dut.agent_codec import decode, encode, protocol_stream
from conformance.dut.agent_server import run_agent, serve_each
from conformance.dut.kernel_sockets import KernelSocketApi
from conformance.evidence.mib import Counters, parse_paired


def net_counters(proc_net: str = "/proc/net") -> dict[str, int]:
    """netstack's MIB counters as the Sentry shows them (``/proc/net/snmp`` and ``netstat``),
    flat as ``Group.Name`` (the evidence of what it dropped or answered)."""
    counters: Counters = {}
    for name in ("snmp", "netstat"):
        try:
            with open(f"{proc_net}/{name}") as f:
                parse_paired(f.read(), counters)
        except OSError:
            continue
    return {f"{group}.{key}": value for group, values in counters.items()
            for key, value in values.items()}


def handle(api: KernelSocketApi, message: dict[str, Any]) -> dict[str, Any]:
    """Execute one request; every outcome is a reply (errno 0 on success)."""
    reply: dict[str, Any] = {"id": message.get("id")}
    call = str(message.get("call"))
    if call == "close_all":
        api.close_all()
        return {**reply, "value": None, "errno": 0}
    if call == "net_counters":
        return {**reply, "value": net_counters(), "errno": 0}
    method = getattr(api, f"{call}_with_errno", None)
    if method is None or call.startswith("_"):
        return {**reply, "value": None, "errno": errno.ENOSYS, "detail": "no such call"}
    try:
        value, err = method(*decode(message.get("args", [])))
    except ValueError as exc:  # a descriptor this agent never handed out
        return {**reply, "value": None, "errno": errno.EBADF, "detail": str(exc)}
    except (TypeError, OverflowError) as exc:  # arguments the socket module refuses
        return {**reply, "value": None, "errno": errno.EINVAL,
                "detail": f"{type(exc).__name__}: {exc}"}
    return {**reply, "value": encode(value), "errno": err}


def serve(api: KernelSocketApi, inp: BinaryIO, out: BinaryIO) -> None:
    serve_each(lambda message: handle(api, message), inp, out)


def main() -> None:
    t0 = time.perf_counter()
    out = protocol_stream()
    # The kernel release netstack's Sentry reports (not the host's): evidence that the agent
    # really runs inside the sandbox.
    facts = {"ready": True, "pid": os.getpid(), "sentry_release": os.uname().release,
             "python": ".".join(map(str, sys.version_info[:3])),
             "agent_start_s": round(time.perf_counter() - t0, 4)}
    out.write(json.dumps(facts).encode() + b"\n")
    out.flush()
    serve(KernelSocketApi(None), sys.stdin.buffer, out)


if __name__ == "__main__":
    run_agent(main)
