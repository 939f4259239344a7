"""CPU time of the reference stack's data path, for checkouts compared in one sitting.

    python tests/bench/cpu_refstack.py [--repo DIR ...] [--samples 15] [--rounds 3000]

The data path is callgrind_refstack.py's (one side sends a full segment, the other receives
it, reads it and acknowledges, the ACK is received: two frames a round). Each sample is a fresh
process per checkout (``--repo``, default this one; its tests/unit/refstack/harness.py drives
its stack), run in turn, that times ``--rounds`` rounds after a warm-up by the CPU time it
used (``time.process_time``), so a loaded machine's waits do not count as they do in
bench_refstack.py's wall clock; what other work costs the caches still does, so compare
checkouts in one sitting. Prints a JSON line per checkout: the median and quartiles of the
samples' microseconds per round and the frames per second of the median.

CPU time, unlike callgrind_refstack.py's instruction count, sees what an instruction costs:
e.g. the hardware division of each digit when CPython reduces a big integer modulo a small
one (wire/checksum.py word_sum).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WARM_ROUNDS = 300


def child(rounds: int) -> None:
    """Set up a connection, warm up, then print the CPU microseconds per round."""
    from callgrind_refstack import data_path  # (the sibling script's data path: this folder
    # is the script's first import path)

    run = data_path()
    run(WARM_ROUNDS)
    start = time.process_time()
    run(rounds)
    print((time.process_time() - start) / rounds * 1e6)


def sample(repo: Path, rounds: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(repo), PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, __file__, "--child", str(rounds)], cwd=repo,
                          env=env, capture_output=True, text=True, check=True)
    return float(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, action="append",
                    help="a checkout to measure (repeat to compare; default: this one)")
    ap.add_argument("--samples", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=3000)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child)
        return
    repos = args.repo or [REPO]
    if args.samples < 2 or args.rounds < 1:
        ap.error("--samples must be >= 2 and --rounds >= 1")
    for repo in repos:
        if not (repo / "tests/unit/refstack/harness.py").is_file():
            ap.error(f"{repo}: not a checkout (no tests/unit/refstack/harness.py)")
    times: dict[Path, list[float]] = {repo: [] for repo in repos}
    for _ in range(args.samples):
        for repo in repos:  # (in turn: a change in the machine's load touches all alike)
            times[repo].append(sample(repo, args.rounds))
    for repo, values in times.items():
        q1, median, q3 = statistics.quantiles(values, n=4)
        print(json.dumps({"bench": "data_path_cpu_us_per_round", "repo": str(repo.resolve()),
                          "median": round(median, 2), "q1": round(q1, 2), "q3": round(q3, 2),
                          "frames_per_s": round(2e6 / median), "samples": len(values),
                          "rounds": args.rounds}))


if __name__ == "__main__":
    main()
