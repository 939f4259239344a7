"""The ``gvisor`` agent's imports stay few and light: each module it imports costs CPU in every
sandbox's start (gVisor serves the import's file reads and page faults; a sandbox a test), so
the agent takes only C modules of the standard library and these modules of the checkout
(conformance/dut/socket_calls.py; tests/bench/gvisor_time.py measures a sandbox's CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conformance.targets import gvisor
from conformance.targets.agent_target import checkout_root

# Beyond what the interpreter imports to start with -S, and os (frozen into the interpreter).
AGENT_IMPORTS = {
    "__future__", "_json", "_socket", "_struct", "binascii", "errno", "select", "struct",
    "time",
    "conformance", "conformance.dut", "conformance.dut.agent_codec",
    "conformance.dut.agent_server", "conformance.dut.socket_calls",
    "reference_stack", "reference_stack.sockopt",
}


def imported(args: list[str]) -> tuple[set[str], str]:
    """The modules a ``python -S ARGS`` run imported (-X importtime), and its stdout."""
    env = {**os.environ, "PYTHONPATH": checkout_root()}
    run = subprocess.run([gvisor.agent_python(), "-S", "-X", "importtime", *args],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    names = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    return names - {"package"}, run.stdout


def test_the_agent_imports_only_its_light_modules():
    agent = os.path.join(checkout_root(), gvisor.AGENT_SCRIPT)
    startup, _ = imported(["-c", "import os"])
    names, stdout = imported([agent])
    ready = json.loads(stdout.splitlines()[0])
    assert ready["ready"] is True and ready["python"].startswith(f"{sys.version_info[0]}.")
    extra = names - startup - AGENT_IMPORTS
    assert not extra, f"the gvisor agent imports more than its light modules: {sorted(extra)}"
    assert {"typing", "re", "json", "socket", "enum"}.isdisjoint(names)
