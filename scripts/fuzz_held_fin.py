"""The stateful engine's steps around a FIN the VM's NIC may hold (profile nic_holds_last_frame:
virtio_net without TX NAPI, start_xmit -> free_old_xmit_skbs), against a real target, judged by
its oracle: a passive open, 8 octets sent, SHUT_WR (a FIN of its own; the barrier probe's reply
goes after it), the loss probe and the RTOs waited out, then a recv step that judges them.
Prints each run's answers per step, the target's frames in the NIC's order (background traffic
marked) and the divergences, then how many runs diverged.

Usage, from the root of the tree to measure (the tree's own fuzz.session runs):
    python -m scripts.fuzz_held_fin [--target vm] [--runs N] [--wait SECONDS]
"""

from __future__ import annotations

import argparse
import sys

from conformance.author.background import is_background
from conformance.fabric.pcap import Recorder
from conformance.judge.oracle import oracle_setup
from fuzz.session import DifferentialSession
from fuzz.stateful import ConnectionDriver
from fuzz.targets import build_target
from reference_stack.wire.frame import dissect


def one_run(target, profile, run: int, wait_s: float) -> list[tuple[str, str, str, str]]:
    bed = target.begin_test(f"held-fin-{run}")
    try:
        session = DifferentialSession(bed, profile, seed=run)
        recorder = session.link.recorder = Recorder()  # (the timeline, for the printout)
        driver = ConnectionDriver(session, "passive")
        for step in ({"call": "send", "data": b"probe me".hex()}, {"call": "shutdown"}):
            driver.step(step)
        session.link.watch(wait_s)  # the loss probe and the RTOs, read as they come
        driver.step({"call": "recv"})
        record = driver.finish()
        for call, answers in zip(record.calls, record.call_answers, strict=True):
            segments = [d.tcp.summary() for d in map(dissect, answers) if d.tcp is not None]
            print(f"  {call.split(':')[0]}: {segments}")
        t0 = recorder.frames[0].t  # the target's frames in the NIC's order, background marked
        print("  target:", ", ".join(
            f"{r.t - t0:.3f} {_short(r.data)}" for r in recorder.frames if r.direction == "in"))
        return [(d.kind, d.field, d.expected, d.actual) for d in record.mismatches]
    finally:
        target.end_test(bed)


def _short(frame: bytes) -> str:
    d = dissect(frame)
    if is_background(frame):
        return "BACKGROUND"
    if d.tcp is not None:
        return d.tcp.summary().split(" seq")[0].removeprefix("TCP ")
    return "icmp" if d.icmpv4 is not None else "other"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="vm")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--wait", type=float, default=1.5)
    args = parser.parse_args(argv)
    target = build_target(args.target)
    target.start()
    diverged = 0
    try:
        profile = oracle_setup(target).profile
        print(f"{args.target}: nic_holds_last_frame={profile.nic_holds_last_frame}")
        for run in range(args.runs):
            found = one_run(target, profile, run, args.wait)
            diverged += bool(found)
            print(f"run {run}: {found or 'no divergence'}")
    finally:
        target.stop()
    print(f"{args.runs} runs: {diverged} diverged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
