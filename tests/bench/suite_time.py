"""Where a suite run's wall time goes (issues 12/13: linux's whole suite in <= 60 s with -n 2;
issue 16: gvisor's and lwip's in <= 180 s).

    python -m tests.bench.suite_time --run [--target T] [--workers 2] [--out DIR]   # run, split
    python -m tests.bench.suite_time RESULTS.json [--top 30]            # the split of a run

``--run`` runs ``netconform run -n WORKERS`` against the target (linux) and prints its wall
seconds and case count as a JSON line (the ``tox -e bench`` figure), then the split below.
The split reads each test's ``timing`` (conformance/cli/timing.py, measured on the worker that
ran it) and sorts its time into:

- overhead: the set-up and tear-down phases (fresh DUT namespace, link, MIB snapshots,
  evidence, pcap), the fixed cost of any test;
- waiting: the test body's wall time not spent on its CPU: blocked for frames (deadlines
  waited out, sleeps, kernel timers: ``link_wait``) or in DUT calls and sysctl writes
  (``other_wait``; on a loaded machine also the CPU queue);
- cpu: the body's CPU (codecs, matching, templates) and the lockstep replay into the oracle.

The load-independent figures: the sum of the tests' durations by outcome, and the test beds
made (a record with ``setup_s``: a fresh DUT each, a gVisor sandbox), the skipped tests' among
them (a bed a skip before it would have saved: conformance.author.before_bed).

And the run's own: the start-up before the first test, the end after the last one (worker
shut-down, results.json, junit.xml, the HTML report), and how evenly the workers were loaded.
The output writing is also re-timed piece by piece on the document read (``--outputs``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

CATEGORIES = ("overhead", "link_wait", "other_wait", "body_cpu", "lockstep")


def split(test: dict[str, Any]) -> dict[str, float] | None:
    """One test's seconds by category, or None for a run without per-test timing."""
    t = test.get("timing")
    if not t:
        return None
    body_wait = max(0.0, t["body_s"] - t["body_cpu_s"])
    link_wait = min(t["link_wait_s"], body_wait)
    return {
        "overhead": t["setup_s"] + t["teardown_s"],
        "link_wait": link_wait,
        "other_wait": body_wait - link_wait,
        "body_cpu": t["body_cpu_s"],
        "lockstep": t["lockstep_s"],
    }


def summarise(results: dict[str, Any], top: int = 30, wall: float | None = None,
              t_start: float | None = None) -> dict[str, Any]:
    tests = results["tests"]
    totals: dict[str, float] = defaultdict(float)
    per_worker: dict[str, float] = defaultdict(float)
    spans: dict[str, list[float]] = {}
    rows = []
    for test in tests:
        parts = split(test)
        rows.append((test["duration_s"], test["id"], parts))
        if parts is None:
            continue
        for key, value in parts.items():
            totals[key] += value
        timing = test["timing"]
        per_worker[timing["worker"]] += test["duration_s"]
        end = timing["start"] + test["duration_s"]
        span = spans.setdefault(timing["worker"], [timing["start"], end])
        span[0], span[1] = min(span[0], timing["start"]), max(span[1], end)
    rows.sort(key=lambda row: -row[0])
    by_file: dict[str, float] = defaultdict(float)
    for duration, tid, _ in rows:
        by_file[tid.split("::", 1)[0]] += duration
    by_outcome: dict[str, float] = defaultdict(float)
    for test in tests:
        by_outcome[test.get("outcome", "?")] += test["duration_s"]
    beds = [test for test in tests if "setup_s" in test]
    out: dict[str, Any] = {
        "tests": len(tests),
        "summary": results.get("summary"),
        "sum_of_test_durations_s": round(sum(r[0] for r in rows), 3),
        "durations_by_outcome_s": {k: round(v, 3) for k, v in sorted(by_outcome.items())},
        "beds": len(beds),
        "skipped_with_bed": sum(1 for test in beds if test.get("outcome") == "skipped"),
        "bed_setup_s": round(sum(test["setup_s"] for test in beds), 3),
        "totals_s": {k: round(totals[k], 3) for k in CATEGORIES} if totals else None,
        "waiting_s": round(totals["link_wait"] + totals["other_wait"], 3) if totals else None,
        "cpu_s": round(totals["body_cpu"] + totals["lockstep"], 3) if totals else None,
        "per_worker_busy_s": {w: round(v, 3) for w, v in sorted(per_worker.items())},
        "run_duration_s": results.get("duration_s"),
        "wall_s": round(wall, 3) if wall is not None else None,
        "top_files": [{"file": f, "s": round(v, 3)} for f, v in
                      sorted(by_file.items(), key=lambda kv: -kv[1])[:top]],
        "top": [{"id": tid, "s": round(d, 3),
                 **({k: round(v, 3) for k, v in parts.items()} if parts else {})}
                for d, tid, parts in rows[:top]],
    }
    if spans:
        first = min(s[0] for s in spans.values())
        last = max(s[1] for s in spans.values())
        out["tests_span_s"] = round(last - first, 3)
        out["per_worker_span_s"] = {w: round(s[1] - s[0], 3) for w, s in sorted(spans.items())}
        out["worker_finish_spread_s"] = round(last - min(s[1] for s in spans.values()), 3)
        if t_start is not None and wall is not None:
            out["start_up_s"] = round(first - t_start, 3)  # CLI start to the first test
            out["end_s"] = round(t_start + wall - last, 3)  # the last test to the CLI's exit
    return out


def time_outputs(results: dict[str, Any]) -> dict[str, float]:
    """Re-time writing the run's outputs from its document, as the controller does it."""
    from conformance.requirements.vocabulary import requirements_json
    from reports.html import render_report
    from reports.junit import write_junit

    timings = {}
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        requirements_json()
        timings["requirements_json_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with open(os.path.join(out, "results.json"), "w") as f:
            f.write(json.dumps(results))
        timings["results_json_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_junit(results, os.path.join(out, "junit.xml"))
        timings["junit_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        render_report([results], out)
        timings["html_s"] = time.perf_counter() - t0
    return {k: round(v, 3) for k, v in timings.items()}


def run_suite(workers: int, out: str, target: str = "linux") -> tuple[float, float, int]:
    """``netconform run -n WORKERS`` against ``target``: (start epoch, wall seconds, exit
    code)."""
    cmd = [sys.executable, "-m", "conformance.cli.main", "run", "--target", target,
           "--out", out] + (["-n", str(workers)] if workers else [])
    t_start = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return t_start, time.perf_counter() - t0, proc.returncode


def print_human(s: dict[str, Any]) -> None:
    print(f"\n{s['tests']} tests, sum of durations {s['sum_of_test_durations_s']} s, "
          f"per worker {s['per_worker_busy_s']}", file=sys.stderr)
    print(f"by outcome (s): {s['durations_by_outcome_s']}; beds {s['beds']} "
          f"({s['skipped_with_bed']} of them skipped), their set-up {s['bed_setup_s']} s",
          file=sys.stderr)
    if s.get("totals_s"):
        print("totals by category (s): " + ", ".join(f"{k} {v}" for k, v in
                                                      s["totals_s"].items())
              + f"; waiting {s['waiting_s']}, cpu {s['cpu_s']}", file=sys.stderr)
    for key in ("wall_s", "run_duration_s", "tests_span_s", "per_worker_span_s",
                "worker_finish_spread_s", "start_up_s", "end_s", "outputs"):
        if s.get(key) is not None:
            print(f"{key}: {s[key]}", file=sys.stderr)
    print(f"top {len(s['top_files'])} files by time (s):", file=sys.stderr)
    for row in s["top_files"]:
        print(f"  {row['s']:6.2f}  {row['file']}", file=sys.stderr)
    print(f"top {len(s['top'])} tests by time (s: total, then by category):", file=sys.stderr)
    for row in s["top"]:
        parts = " ".join(f"{k}={row[k]}" for k in CATEGORIES if k in row)
        print(f"  {row['s']:6.2f}  {row['id']}  {parts}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", help="a results.json to split")
    parser.add_argument("--run", action="store_true", help="run the target's suite first")
    parser.add_argument("--target", default="linux", help="the target --run runs against")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", help="the run's output folder (default: a temporary one)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--outputs", action="store_true",
                        help="also re-time writing results.json, junit.xml and the report")
    args = parser.parse_args(argv)
    if not args.run and not args.results:
        parser.error("give RESULTS.json or --run")
    wall = t_start = None
    with tempfile.TemporaryDirectory() as tmp:
        path = args.results
        if args.run:
            out = args.out or tmp
            t_start, wall, code = run_suite(args.workers, out, args.target)
            path = os.path.join(out, "results.json")
        results = json.loads(Path(path).read_text())
        if args.run:
            print(json.dumps({"name": f"{args.target}_suite_wall_s_n{args.workers}",
                              "value": round(wall, 3), "unit": "s", "exit_code": code,
                              "tests": len(results["tests"]),
                              "goal": "<= 60" if args.target == "linux" else "<= 180",
                              "loadavg": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    summary = summarise(results, args.top, wall, t_start)
    if args.outputs:
        summary["outputs"] = time_outputs(results)
    print(json.dumps({"name": f"{results.get('target', 'linux')}_suite_time_split", **{
        k: v for k, v in summary.items() if k not in ("top", "top_files")}}), flush=True)
    print_human(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
