"""Instructions per frame of the reference stack's data path, counted by callgrind.

    python tests/bench/callgrind_refstack.py [--rounds 2000] [--repo DIR] [--functions N]

Wall-clock figures on a shared machine drift with its load; the number of instructions the
interpreter executes does not. This runs the data path of bench_refstack.py (one side sends
a full segment, the other receives it, reads it and acknowledges, the ACK is received) under
``valgrind --tool=callgrind`` twice, for a few rounds and for ``--rounds`` more, and prints
the difference of the two totals divided by the frames it adds (two a round), as a JSON
line: start-up, imports and the connection's set-up cancel out. ``--repo`` measures the
reference stack of another checkout (its tests/unit/refstack/harness.py drives it).
``--functions N`` adds the N C functions whose instructions per frame differ most between the
two runs (``callgrind_annotate``'s self cost: the interpreter's loop, ``int.from_bytes`` of the
checksums, allocation...): where the figure goes below the Python level, which
opcount_refstack.py counts. Needs valgrind; takes about a minute.

Instructions are not time: they do not all take the same. On main at ba54523, ``l_mod`` (the
checksums' big-integer modulo, one hardware division per digit) was 3% of the instructions
and 10% of the CPU time (``perf record -e cpu-clock``); cpu_refstack.py measures the time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WARM_ROUNDS = 100


def data_path() -> Callable[[int], None]:
    """Set up a connection; return the function that runs `rounds` data-path rounds on it
    (also cpu_refstack.py's)."""
    from reference_stack.profiles import LINUX
    from reference_stack.socket_api import TCP_NODELAY
    from tests.unit.refstack.harness import connected_pair

    link, a, _, b = connected_pair(LINUX)
    link.a.setsockopt(a, 6, TCP_NODELAY, 1)
    chunk = b"d" * 1448
    sender, receiver, now = link.a, link.b, link.now

    def run(rounds: int) -> None:
        for _ in range(rounds):
            for frame in sender.send(a, chunk, now).reaction.frames:
                acks = receiver.receive(frame, now).frames
                receiver.recv(b, 1 << 16, now)
                for ack in acks:
                    sender.receive(ack, now)

    return run


def instructions(repo: Path, rounds: int, functions: bool = False) -> tuple[int, Counter]:
    """Total instructions (callgrind's Ir) of a child running `rounds` rounds, and with
    `functions` each C function's own (self) instructions."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = dict(os.environ, PYTHONPATH=str(repo), PYTHONHASHSEED="0")
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--child", str(rounds)],
            cwd=repo, env=env, capture_output=True, text=True, check=True)
        match = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
        if match is None:
            raise RuntimeError(f"no instruction count in valgrind's output:\n{proc.stderr}")
        return int(match.group(1)), self_costs(out) if functions else Counter()


_COST_LINE = re.compile(r"^\s*([\d,]+)\s+(\S.*?)(?:\s+\[.*\])?$")


def self_costs(out: Path) -> Counter:
    """Each function's self instructions from ``callgrind_annotate`` (named file:function,
    the file without its build directory)."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no",
                           "--show-percs=no", str(out)],
                          capture_output=True, text=True, check=True).stdout
    costs: Counter = Counter()
    for line in text.splitlines():
        match = _COST_LINE.match(line)
        if match and "PROGRAM TOTALS" not in line:
            name = match.group(2)
            file, _, function = name.rpartition(":")
            costs[f"{Path(file).name}:{function}"] += int(match.group(1).replace(",", ""))
    return costs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--repo", type=Path, default=REPO)
    ap.add_argument("--functions", type=int, default=0, metavar="N",
                    help="also the N C functions that take most instructions per frame")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        data_path()(args.child)
        return
    if args.rounds < 1 or args.functions < 0:
        ap.error("--rounds must be >= 1 and --functions >= 0")
    base, base_fns = instructions(args.repo, WARM_ROUNDS, args.functions > 0)
    more, more_fns = instructions(args.repo, WARM_ROUNDS + args.rounds, args.functions > 0)
    frames = 2 * args.rounds
    result = {"bench": "data_path_instructions_per_frame",
              "value": round((more - base) / frames),
              "frames": frames, "repo": str(args.repo.resolve())}
    if args.functions:
        more_fns.subtract(base_fns)
        result["functions"] = [{"function": name, "instructions_per_frame": round(n / frames)}
                               for name, n in more_fns.most_common(args.functions)]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
