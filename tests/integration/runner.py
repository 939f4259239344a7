"""Running the real ``netconform`` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Measured, idle 2-CPU machine (tests/timing.py): the run reaches its DUT namespace in ~1.2 s
# and exits ~0.5 s after SIGTERM or SIGINT. A process-level wait allows 40 times that, scaled
# by the slowdown measured when it starts (these waits used to be a fixed 60 s and 30 s).
RUN_UP_IDLE_S = 1.2
STOP_IDLE_S = 0.5
PROCESS_MARGIN = 40.0


def netconform(*args: str, env: dict[str, str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli.main", *args], capture_output=True, text=True,
        timeout=timeout, env=env, cwd=REPO,
    )


def results(out_dir: Path) -> dict:
    return json.loads((out_dir / "results.json").read_text())


def write_suite(directory: Path, body: str, name: str = "test_tmp_suite.py") -> Path:
    """A throw-away suite file (the plugin's fixtures are available to it)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(body)
    return path


def nc_namespaces(run_id: str | None = None) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in out.splitlines() if line.startswith("nc-")]
    return [n for n in names if run_id is None or n.startswith(f"nc-{run_id}-")]
