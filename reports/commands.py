"""The ``netconform report``, ``gate`` (and ``gate --behaviour``) and ``diff`` commands (the
CLI parses arguments).

Both print a short summary to stdout and return an exit code: 0 ok, 1 regression (gate), 2 bad
input, with one line ``netconform: error: <what>`` on stderr and no traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from reports.behaviour import (
    BehaviourDiff,
    apply_accept,
    behaviour_diff,
    gate_lines,
    has_fingerprint,
    load_accept,
)
from reports.gate import describe_run, gate, mismatch
from reports.html import render_report
from reports.model import ResultsError, label_columns, load_results
from reports.outcomes import OUTCOMES

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_BAD_INPUT = 2


def report_command(results_paths: list[str], out_dir: str) -> int:
    """Render ``out_dir/index.html`` from one or more results.json files."""
    def run() -> int:
        if not results_paths:
            raise ResultsError("no results file given")
        results = [load_results(path) for path in results_paths]
        sources = [os.path.dirname(os.path.abspath(path)) for path in results_paths]
        index = render_report(results, out_dir, source_dirs=sources)
        for doc in label_columns(results, sources):
            counts = ", ".join(f"{doc['summary'][o]} {o}" for o in OUTCOMES if doc["summary"][o])
            print(f"{doc['label']}: {len(doc['tests'])} tests ({counts or 'none'})")
        print(f"report: {index}")
        return EXIT_OK
    return _guarded(run)


def _comparable_pair(baseline_path: str, new_path: str, allow_target_change: bool,
                     allow_kernel_change: bool = False, verb: str = "gate"
                     ) -> tuple[dict, dict]:
    """Both runs loaded, complete and comparable (else ResultsError, one line): runs of
    another target, or on another kernel unless ``allow_kernel_change``, need
    ``allow_target_change``."""
    baseline, new = load_results(baseline_path), load_results(new_path)
    for path, doc in ((new_path, new), (baseline_path, baseline)):
        if doc.get("complete") is False:  # a partial run's missing tests are no verdict
            raise ResultsError(f"{path} is an incomplete run "
                               f"({doc.get('incomplete_reason') or 'no reason recorded'}): "
                               f"{verb} compares complete runs only")
    changes = [c for c in mismatch(baseline, new)
               if not (allow_kernel_change and c.kind == "environment-changed")]
    if changes and not allow_target_change:
        raise ResultsError(
            f"{new_path} ({describe_run(new)}) is not comparable with baseline "
            f"{baseline_path} ({describe_run(baseline)}): "
            + "; ".join(f"{c.subject}, {c.detail}" for c in changes)
            + " (--allow-target-change to compare anyway)")
    return baseline, new


def gate_command(baseline_path: str, new_path: str, allow_target_change: bool = False) -> int:
    """Compare a run with a baseline; 1 on any regression, with what changed.

    Runs of different targets or kernels are not compared (exit 2, one line) unless
    ``allow_target_change``.
    """
    def run() -> int:
        baseline, new = _comparable_pair(baseline_path, new_path, allow_target_change)
        print(f"gate: comparing {new_path} ({describe_run(new)}) with baseline "
              f"{baseline_path} ({describe_run(baseline)})")
        result = gate(baseline, new)
        print("\n".join(result.lines()))
        return EXIT_REGRESSION if result.exit_code else EXIT_OK
    return _guarded(run)


def _fingerprinted_diff(baseline_path: str, new_path: str, allow_target_change: bool,
                        verb: str) -> tuple[dict, dict, BehaviourDiff]:
    """The behaviour diff of two runs; a kernel change is what it is for (allowed), another
    target needs ``allow_target_change``; a run without any fingerprint is refused (its
    empty diff would say nothing)."""
    baseline, new = _comparable_pair(baseline_path, new_path, allow_target_change,
                                     allow_kernel_change=True, verb=verb)
    for path, doc in ((baseline_path, baseline), (new_path, new)):
        if not has_fingerprint(doc):
            raise ResultsError(f"{path} holds no behaviour fingerprint (a run with --lockstep "
                               "off, or from an older netconform): nothing to compare")
    print(f"{verb}: {baseline_path} ({describe_run(baseline)}) -> {new_path} "
          f"({describe_run(new)})")
    return baseline, new, behaviour_diff(baseline, new)


def diff_command(baseline_path: str, new_path: str, allow_target_change: bool = False) -> int:
    """List, per test, each behaviour choice that changed between two runs (exit 0; 2 on bad
    input)."""
    def run() -> int:
        _, _, diff = _fingerprinted_diff(baseline_path, new_path, allow_target_change, "diff")
        print("\n".join(diff.lines()))
        return EXIT_OK
    return _guarded(run)


def behaviour_gate_command(baseline_path: str, new_path: str, accept_path: str | None = None,
                           allow_target_change: bool = False) -> int:
    """1 on any behaviour change no entry of the accept file lists, naming each."""
    def run() -> int:
        accept = load_accept(accept_path) if accept_path else ()
        _, _, diff = _fingerprinted_diff(baseline_path, new_path, allow_target_change,
                                         "gate --behaviour")
        code, lines = gate_lines(apply_accept(diff, accept))
        print("\n".join(lines))
        return EXIT_REGRESSION if code else EXIT_OK
    return _guarded(run)


def _guarded(command: Callable[[], int]) -> int:
    try:
        return command()
    except ResultsError as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")


def _fail(message: str) -> int:
    print(f"netconform: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
