"""The CPU time of a command and of everything it starts, orphans included (a gVisor sandbox
outlives the ``runsc`` process that spawned it), as one JSON line: what a run costs apart from
how loaded the machine is, where its wall time is not (issue 16: the ``gvisor`` run is
CPU-bound, so its wall time at ``-n 2`` is about its CPU time over the two CPUs).

    python -m tests.bench.run_cpu [--name NAME] -- COMMAND [ARG...]

The command runs in a cgroup of its own (cgroup v1 ``cpuacct``, which every process it starts
stays in), whose CPU is read once no process is left in it. Needs root.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
SETTLE_S = 30.0  # at most this long for the orphans to end after the command


def run(command: list[str], name: str) -> dict[str, object]:
    group = CPUACCT / f"nc-run-cpu-{os.getpid()}"
    group.mkdir()
    try:
        tasks = group / "tasks"
        t0 = time.perf_counter()
        status = subprocess.run(
            command, check=False,
            preexec_fn=lambda: tasks.write_text(str(os.getpid()))).returncode
        wall = time.perf_counter() - t0
        deadline = time.monotonic() + SETTLE_S
        while tasks.read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = len(tasks.read_text().split())
        cpu_s = int((group / "cpuacct.usage").read_text()) / 1e9
    finally:
        if not (group / "tasks").read_text().strip():
            group.rmdir()
    return {"name": name, "cpu_s": round(cpu_s, 2), "wall_s": round(wall, 2),
            "exit": status, "processes_left": left}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run_cpu",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default="run_cpu")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("a command to run is needed (after --)")
    if not (CPUACCT / "tasks").exists() or os.geteuid() != 0:
        print(f"run_cpu: needs root and cgroup v1 cpuacct at {CPUACCT}", file=sys.stderr)
        return 2
    print(json.dumps(run(command, args.name)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
