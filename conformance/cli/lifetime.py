"""How a netconform process starts and stops, whoever started it (issue 17, item 6).

- SIGINT and SIGTERM both raise KeyboardInterrupt, so fixtures' finalizers tear down what the
  run made. The handlers are installed explicitly: a shell's ``cmd &`` starts a process with
  SIGINT ignored, and Python keeps an ignored SIGINT ignored.
- A child (an xdist worker, the rootless re-execution) gets SIGTERM when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), so nothing keeps running, or printing, after a kill -9.
- ``--out``: an earlier run's files there are removed before a run writes its own, so old
  pcaps never sit beside new ones; a folder holding files netconform did not write is refused
  unless ``--force`` (and even then only netconform's own files are removed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1
SIGNAL_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}
# What a run or a fuzz campaign writes into --out (conformance.cli.output, fuzz.commands,
# reports.html): an earlier run's copies are removed before a new run starts.
OUTPUT_FILES = ("results.json", "results.json.tmp", "junit.xml", "index.html",
                "findings.json", "fuzz-summary.json")
OUTPUT_DIRS = ("pcaps", "findings")


class OutDirRefused(Exception):
    """--out holds files netconform did not write (one line; exit 2)."""


def on_stop_signals(record: Callable[[str], None] | None = None) -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt (after ``record(name)``), in this process,
    whatever disposition it inherited."""

    def handler(signum: int, frame: Any) -> None:
        name = SIGNAL_NAMES.get(signum, f"signal {signum}")
        if record is not None:
            record(name)
        raise KeyboardInterrupt(name)

    for signum in SIGNAL_NAMES:
        signal.signal(signum, handler)


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent exits."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before prctl: nobody will signal us
        os.kill(os.getpid(), signum)


def prepare_out(out: str, force: bool = False) -> list[str]:
    """Make ``out`` ready for a new run: remove an earlier run's outputs (returned, by name).
    Raises OutDirRefused if it holds other files and ``force`` is not given."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutDirRefused(f"--out {out}: exists and is not a directory")
    if not path.exists():
        return []
    names = set(os.listdir(path))
    ours = sorted(names & set(OUTPUT_FILES + OUTPUT_DIRS))
    foreign = sorted(names - set(ours))
    if foreign and not force:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise OutDirRefused(f"--out {out} holds files netconform did not write ({shown}): "
                            "choose an empty folder, or --force to write there anyway")
    for name in ours:
        target = path / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    return ours
