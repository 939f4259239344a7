"""The reference stack's data path, budgeted: bytecodes and Python calls per round, by phase
and by function.

    python tests/bench/opcount_refstack.py [--rounds 200] [--top 25] [--json]

A round is bench_refstack.py's (and callgrind_refstack.py's): one stack sends a full
segment (phase ``send``), the other receives it (``receive_data``), reads it (``recv``) and
its ACK is received (``receive_ack``): two frames. After warm-up rounds, ``sys.settrace``
with opcode events counts every bytecode the interpreter runs and every Python-level call,
attributed to the function it runs in; builtins and C code (the checksum's
``int.from_bytes``, struct, allocation) are not seen here: callgrind_refstack.py counts
machine instructions. The counts are exact and independent of the machine's load, so a
change to the data path shows here as bytecodes and calls added or removed, where.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WARM_ROUNDS = 100
PHASES = ("send", "receive_data", "recv", "receive_ack")


class Counts:
    """Bytecodes and calls per (phase, function), collected by a trace function."""

    def __init__(self) -> None:
        self.ops: Counter[tuple[str, str]] = Counter()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.phase = ""

    def tracer(self, frame, event, _arg):  # noqa: ANN001, ANN201 (sys.settrace's signature)
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        code = frame.f_code
        path = Path(code.co_filename)  # (folder/module.function: iface/tcp.send, wire/tcp...)
        key = (self.phase, f"{path.parent.name}/{path.stem}.{code.co_qualname}")
        if event == "opcode":
            self.ops[key] += 1
        elif event == "call":
            self.calls[key] += 1
        return self.tracer

    def traced(self, phase: str, fn, *args):  # noqa: ANN001, ANN201
        self.phase = phase
        sys.settrace(self.tracer)
        try:
            return fn(*args)
        finally:
            sys.settrace(None)


def run(rounds: int) -> Counts:
    from reference_stack.profiles import LINUX
    from reference_stack.socket_api import TCP_NODELAY
    from tests.unit.refstack.harness import connected_pair

    link, a, _, b = connected_pair(LINUX)
    link.a.setsockopt(a, 6, TCP_NODELAY, 1)
    chunk = b"d" * 1448
    sender, receiver, now = link.a, link.b, link.now
    counts = Counts()

    def one_round(traced) -> None:  # noqa: ANN001
        for frame in traced("send", sender.send, a, chunk, now).reaction.frames:
            acks = traced("receive_data", receiver.receive, frame, now).frames
            traced("recv", receiver.recv, b, 1 << 16, now)
            for ack in acks:
                traced("receive_ack", sender.receive, ack, now)

    def untraced(_phase: str, fn, *args):  # noqa: ANN001, ANN202
        return fn(*args)

    for _ in range(WARM_ROUNDS):
        one_round(untraced)
    for _ in range(rounds):
        one_round(counts.traced)
    return counts


def summary(counts: Counts, rounds: int) -> dict:
    phases = {}
    for phase in PHASES:
        fns = sorted(((fn, ops) for (p, fn), ops in counts.ops.items() if p == phase),
                     key=lambda item: -item[1])
        phases[phase] = {
            "bytecodes": sum(ops for _, ops in fns) / rounds,
            "calls": sum(n for (p, _), n in counts.calls.items() if p == phase) / rounds,
            "functions": [{"function": fn, "bytecodes": ops / rounds,
                           "calls": counts.calls[(phase, fn)] / rounds} for fn, ops in fns],
        }
    return {"bench": "data_path_bytecodes_per_round", "rounds": rounds, "frames_per_round": 2,
            "bytecodes": sum(p["bytecodes"] for p in phases.values()),
            "calls": sum(p["calls"] for p in phases.values()), "phases": phases}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--top", type=int, default=25, help="functions shown per phase")
    ap.add_argument("--json", action="store_true", help="one JSON line, every function")
    args = ap.parse_args()
    if args.rounds < 1 or args.top < 0:
        ap.error("--rounds must be >= 1 and --top >= 0")
    sys.path.insert(0, str(REPO))
    result = summary(run(args.rounds), args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    print(f"per round (2 frames): {result['bytecodes']:.0f} bytecodes, "
          f"{result['calls']:.0f} Python calls")
    for phase, p in result["phases"].items():
        print(f"{phase}: {p['bytecodes']:.0f} bytecodes, {p['calls']:.0f} calls")
        for f in p["functions"][:args.top]:
            print(f"  {f['bytecodes']:7.1f}  {f['calls']:4.1f}  {f['function']}")


if __name__ == "__main__":
    main()
