"""The DUT control agent of the ``gvisor`` target: runs inside a runsc sandbox.

The sandbox's only process is this agent, started by the target with the host's Python (the
sandbox's root file system is the host's ``/``, read-only)::

    python -S .../conformance/targets/gvisor_agent.py

(by its path, with the checkout on PYTHONPATH: ``-m`` would import the conformance.targets
package, the harness's side). It imports only C modules of the standard library and the
few light modules of the checkout listed in tests/unit/gvisor/test_agent_imports.py: gVisor
serves each file read and page fault of a module import, so the agent's imports were most of a
sandbox's start-up CPU (tests/bench/gvisor_time.py, conformance/dut/socket_calls.py).
Its system calls are served by gVisor's Sentry, so the sockets it makes are netstack's: it
executes the DUT API calls on ordinary sockets (:class:`~conformance.dut.socket_calls.SocketCalls`,
the calls of the ``linux`` target's KernelSocketApi, without a namespace to enter), one
JSON line in, one JSON line out (protocol: :mod:`conformance.dut.agent`), plus
``mib_texts`` (netstack's MIB counters, as text). It first says
``{"ready": true, ...}`` and ends when its input closes (the harness went away), which ends
the sandbox.
"""

from __future__ import annotations

import errno
import os
import sys
import time

from conformance.dut.agent_codec import decode, dumps, encode, protocol_stream
from conformance.dut.agent_server import run_agent, serve_each
from conformance.dut.socket_calls import SocketCalls

TYPE_CHECKING = False
if TYPE_CHECKING:  # (names for annotations only: typing is not imported at run time)
    from typing import Any, BinaryIO


def mib_texts(proc_net: str = "/proc/net") -> dict[str, str]:
    """netstack's MIB counters as the Sentry shows them: the text of ``/proc/net/snmp`` and
    ``netstat`` by file name (a missing file left out), parsed by the harness
    (conformance.targets.gvisor.flat_counters)."""
    texts = {}
    for name in ("snmp", "netstat"):
        try:
            with open(f"{proc_net}/{name}") as f:
                texts[name] = f.read()
        except OSError:
            continue
    return texts


def handle(api: SocketCalls, message: dict[str, Any]) -> dict[str, Any]:
    """Execute one request; every outcome is a reply (errno 0 on success)."""
    reply: dict[str, Any] = {"id": message.get("id")}
    call = str(message.get("call"))
    if call == "close_all":
        api.close_all()
        return {**reply, "value": None, "errno": 0}
    if call == "mib_texts":
        return {**reply, "value": mib_texts(), "errno": 0}
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


def serve(api: SocketCalls, inp: BinaryIO, out: BinaryIO) -> None:
    serve_each(lambda message: handle(api, message), inp, out)


def main() -> None:
    t0 = time.perf_counter()
    out = protocol_stream()
    # The kernel release netstack's Sentry reports (not the host's): evidence that the agent
    # really runs inside the sandbox.
    facts = {"ready": True, "pid": os.getpid(), "sentry_release": os.uname().release,
             "python": ".".join(map(str, sys.version_info[:3])),
             "agent_start_s": round(time.perf_counter() - t0, 4)}
    out.write(dumps(facts).encode() + b"\n")
    out.flush()
    serve(SocketCalls(), sys.stdin.buffer, out)


if __name__ == "__main__":
    run_agent(main)
