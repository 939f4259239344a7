"""Requirement coverage of the suites, computed from the tests' ``requirement`` markers.

    python suites/requirements/coverage.py [--min-must 80] [--uncovered]

Collects the suites with pytest (``--collect-only``, no target started), reads every test's
``requirement`` marker, and prints per RFC how many catalogue requirements at MUST level
(MUST and MUST NOT) and at any level at least one test cites. Never typed by hand.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MUST_LEVELS = ("MUST", "MUST NOT")


class _Markers:
    """A pytest plugin that records the requirement ids of every collected test."""

    def __init__(self) -> None:
        self.cited: dict[str, int] = collections.Counter()
        self.tests = 0

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.tests += 1
            for mark in item.iter_markers("requirement"):
                for rid in mark.args:
                    self.cited[str(rid)] += 1


def collect(paths: list[str]) -> _Markers:
    markers = _Markers()
    code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *paths],
                       plugins=[markers])
    if code not in (0, pytest.ExitCode.OK):
        raise SystemExit(f"collection failed (pytest exit code {int(code)})")
    return markers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-must", type=float, default=None,
                        help="exit 1 if overall MUST-level coverage is below this percentage")
    parser.add_argument("--uncovered", action="store_true", help="list uncovered requirements")
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "suites")])
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from conformance.requirements import catalogue

    with contextlib.redirect_stdout(io.StringIO()):
        markers = collect(args.paths)
    reqs = catalogue.load()
    by_rfc: dict[str, list] = collections.defaultdict(list)
    for req in reqs.values():
        by_rfc[req.rfc].append(req)

    def pct(n: int, d: int) -> str:
        return f"{100.0 * n / d:5.1f} %" if d else "    - "

    print(f"{markers.tests} tests; {len(by_rfc)} RFCs; {len(reqs)} requirements in the catalogue")
    print(f"{'RFC':<11} {'MUST covered':>14} {'':>8} {'all covered':>13} {'':>8}")
    total_must = covered_must = total_all = covered_all = 0
    def order(name: str) -> tuple:  # RFCs by number, then other standards (IEEE 802.3)
        number = name.removeprefix("RFC ")
        return (0, int(number), "") if number.isdigit() else (1, 0, name)

    for rfc in sorted(by_rfc, key=order):
        group = by_rfc[rfc]
        must = [r for r in group if r.level in MUST_LEVELS]
        must_cov = sum(1 for r in must if markers.cited[r.id])
        all_cov = sum(1 for r in group if markers.cited[r.id])
        total_must += len(must)
        covered_must += must_cov
        total_all += len(group)
        covered_all += all_cov
        print(f"{rfc:<11} {must_cov:>6} / {len(must):<5} {pct(must_cov, len(must))} "
              f"{all_cov:>5} / {len(group):<5} {pct(all_cov, len(group))}")
    print(f"{'total':<11} {covered_must:>6} / {total_must:<5} {pct(covered_must, total_must)} "
          f"{covered_all:>5} / {total_all:<5} {pct(covered_all, total_all)}")
    if args.uncovered:
        for req in sorted(reqs.values(), key=lambda r: r.id):
            if not markers.cited[req.id]:
                print(f"uncovered: {req.id} ({req.level})")
    must_pct = 100.0 * covered_must / total_must if total_must else 100.0
    if args.min_must is not None and must_pct < args.min_must:
        print(f"MUST-level coverage below {args.min_must} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
