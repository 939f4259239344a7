"""``tox -e bench``: every benchmark of the project, printed as JSON lines.

Runs the harness benchmarks, the linux suite through ``netconform run -n 2`` (its wall
seconds, case count and where the time goes: tests/bench/suite_time.py), then each
component's own benchmark script that exists (the wire codecs, the reference stack, the report
renderer), one process each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS: tuple[str | tuple[str, ...], ...] = (
    "tests/bench/harness.py",
    ("tests/bench/suite_time.py", "--run", "--workers", "2"),
    "tests/bench/vm.py",
    "tests/unit/wire/bench_wire.py",
    "tests/unit/refstack/bench_refstack.py",
    "tests/unit/refstack/bench_ipsec.py",
    "tests/reports/bench_report.py",
    "tests/fuzz/bench_fuzz.py",
)


def main() -> int:
    failed = 0
    for entry in SCRIPTS:
        script, *args = (entry,) if isinstance(entry, str) else entry
        path = REPO / script
        if not path.exists():
            continue
        env = dict(os.environ, PYTHONPATH=str(REPO))  # scripts import tests.* and conformance
        proc = subprocess.run([sys.executable, str(path), *args], cwd=REPO, env=env)
        if proc.returncode != 0:
            print(f'{{"name": "error", "script": "{script}", "exit_code": {proc.returncode}}}')
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
