"""Count the lockstep divergences of a run: ``python -m suites.divergences RESULTS.json [-v]``.

Prints the total, how many an expectations file explained, the unexplained ones grouped by
(rule, field) with their count, and the number of tests that have any; ``-v`` lists each
unexplained divergence with its test. Exit status 0, or 2 on an unreadable results file."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any


def count(results: dict[str, Any]) -> dict[str, Any]:
    groups: Counter[tuple[str, str]] = Counter()
    total = explained = 0
    tests: set[str] = set()
    unexplained: list[tuple[str, dict[str, Any]]] = []
    for test in results.get("tests", []):
        for d in test.get("divergences") or []:
            total += 1
            if d.get("explained"):
                explained += 1
                continue
            tests.add(test["id"])
            groups[(str(d.get("rule")), str(d.get("field")))] += 1
            unexplained.append((test["id"], d))
    return {"total": total, "explained": explained, "unexplained": total - explained,
            "tests_with_unexplained": len(tests), "groups": groups.most_common(),
            "list": unexplained}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suites.divergences",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        with open(args.results, encoding="utf-8") as f:
            results = json.load(f)
        summary = count(results)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(f"{args.results}: not a readable results.json: {exc}", file=sys.stderr)
        return 2
    print(f"target {results.get('target')}: {summary['total']} divergences, "
          f"{summary['explained']} explained, {summary['unexplained']} unexplained "
          f"in {summary['tests_with_unexplained']} tests")
    for (rule, fld), n in summary["groups"]:
        print(f"  {n:4d}  {rule or '(no rule)'}  {fld}")
    if args.verbose:
        for test_id, d in summary["list"]:
            print(f"{test_id}: {d.get('field')}: expected {d.get('expected')}, "
                  f"actual {d.get('actual')} [{d.get('rule')}]")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `| head`
        sys.exit(0)
