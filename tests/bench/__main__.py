"""``tox -e bench``: every benchmark of the project, printed as JSON lines.

Runs the harness benchmarks, then each component's own benchmark script that exists
(the wire codecs, the reference stack, the report renderer), one process each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = (
    "tests/bench/harness.py",
    "tests/bench/vm.py",
    "tests/unit/wire/bench_wire.py",
    "tests/unit/refstack/bench_refstack.py",
    "tests/unit/refstack/bench_ipsec.py",
    "tests/reports/bench_report.py",
    "tests/fuzz/bench_fuzz.py",
)


def main() -> int:
    failed = 0
    for script in SCRIPTS:
        path = REPO / script
        if not path.exists():
            continue
        env = dict(os.environ, PYTHONPATH=str(REPO))  # scripts import tests.* and conformance
        proc = subprocess.run([sys.executable, str(path)], cwd=REPO, env=env)
        if proc.returncode != 0:
            print(f'{{"name": "error", "script": "{script}", "exit_code": {proc.returncode}}}')
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
