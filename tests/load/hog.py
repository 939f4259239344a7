"""Run a command N times beside a CPU hog on every core, and report how many runs passed.

    python -m tests.load.hog [--runs N] [--hogs K] -- COMMAND...      (default: tox)

Issue 17 item 9: the project's own tests must hold under load (five tox runs in a row with
both cores busy). The hog is K busy-looping processes (default: one per CPU) started before
each run and killed, by PID, after it; each run's exit code and wall time are printed as one
JSON line, then a summary line ``{"passed": P, "runs": N}``. Exit 0 when every run passed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time


def spin() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    while True:
        pass


def start_hogs(count: int) -> list[multiprocessing.Process]:
    hogs = [multiprocessing.Process(target=spin, daemon=True) for _ in range(count)]
    for hog in hogs:
        hog.start()
    return hogs


def stop_hogs(hogs: list[multiprocessing.Process]) -> None:
    for hog in hogs:
        if hog.pid is not None:
            try:
                os.kill(hog.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        hog.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("command", nargs="*", default=["tox"])
    args = parser.parse_args(argv)
    command = args.command or ["tox"]
    passed = 0
    for run in range(1, args.runs + 1):
        hogs = start_hogs(args.hogs)
        t0 = time.monotonic()
        try:
            code = subprocess.run(command, check=False).returncode
        finally:
            stop_hogs(hogs)
        passed += code == 0
        print(json.dumps({"run": run, "exit": code, "seconds": round(time.monotonic() - t0, 1),
                          "hogs": args.hogs, "command": command}), flush=True)
    print(json.dumps({"passed": passed, "runs": args.runs}), flush=True)
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
