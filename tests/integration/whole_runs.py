"""The whole suite against one target, run once per pytest session and shared.

Two integration tests read a whole run of the suite against the same target: the reference
comparison (test_reference_targets.py) and the vocabulary check (test_rule_vocabulary.py).
Each whole run takes a minute or more, so a session makes one per target and both tests read
its results.json. Under pytest-xdist the workers share it through a lock file in the
session's common temporary directory: the first worker that needs a target's run makes it,
the others wait for it and read it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .runner import netconform, results

WORKERS = "2"  # (-n 2, as the README's run; each worker still runs half the suite in turn)


@dataclass(frozen=True)
class WholeRun:
    target: str
    out: Path
    returncode: int
    seconds: float
    stderr_tail: str

    def results(self) -> dict[str, Any]:
        return results(self.out)

    def outcomes(self) -> dict[str, str]:
        return {t["id"]: t["outcome"] for t in self.results()["tests"]}


def shared_dir(factory: pytest.TempPathFactory) -> Path:
    """This session's directory common to every xdist worker (each worker's own base
    directory is a child of it); without xdist, the session's own."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def whole_run(factory: pytest.TempPathFactory, target: str, timeout: float) -> WholeRun:
    """The whole suite against ``target`` in this session: run now, or already run (by this
    worker or another)."""
    root = shared_dir(factory)
    out = root / f"whole-run-{target}"
    record = root / f"whole-run-{target}.json"
    with open(root / f"whole-run-{target}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            started = time.monotonic()
            proc = netconform("run", "--target", target, "-n", WORKERS, "--out", str(out),
                              timeout=timeout)
            record.write_text(json.dumps({"returncode": proc.returncode,
                                          "seconds": time.monotonic() - started,
                                          "stderr_tail": proc.stderr[-2000:]}))
    done = json.loads(record.read_text())
    return WholeRun(target, out, done["returncode"], done["seconds"], done["stderr_tail"])
