"""The CI gate: compare a new run with a baseline run of the same target.

Regressions (exit code 1):
- a test that passed in the baseline (passed or xpassed) now failed or errored;
- a test absent from the baseline that now failed or errored;
- an expected failure that now passes where the run itself failed it (strict xfail);
- an unexplained divergence in a test that the baseline's same test did not have
  (a divergence is identified by its field and rule: values such as an ISN may vary),
  except in a test an intermittent entry expects to fail, where it is a note: the
  divergences of a timing-dependent non-conformance come and go with its race;
- a requirement covered in the baseline (some test of it reached a verdict) and not now.

Reported without failing the gate: expected failures that now pass (update the expectations
file), those of an intermittent entry that passed this time (a timing-dependent
non-conformance: nothing to update), tests that were fixed, tests that disappeared.

Not comparable (``mismatch``; the command exits 2 with one line): a baseline of another target,
or one run on another kernel, unless the user allows it (``--allow-target-change``), when the
change is a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from reports.family_ids import canonical
from reports.outcomes import COVERING, FAILING, PASSING, failed_run, intermittent_pass


@dataclass(frozen=True)
class Change:
    kind: str  # "regression", "new-failure", "new-divergence", "coverage-lost", "xpassed", ...
    subject: str  # a test id or a requirement id
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@dataclass(frozen=True)
class GateResult:
    regressions: tuple[Change, ...] = ()
    notes: tuple[Change, ...] = field(default=())  # xpassed prompts and harmless changes

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    @property
    def xpassed(self) -> tuple[Change, ...]:
        return tuple(change for change in self.notes if change.kind == "xpassed")

    def lines(self, limit: int = 50) -> list[str]:
        """A short human summary, regressions first, at most ``limit`` lines of each list."""
        if self.regressions:
            head = f"gate: FAILED, {len(self.regressions)} regression(s)"
        else:
            head = "gate: ok, no regression"
        lines = [head]
        for changes in (self.regressions, self.notes):
            lines += [f"  {change}" for change in changes[:limit]]
            if len(changes) > limit:
                lines.append(f"  ... and {len(changes) - limit} more")
        if self.xpassed:
            lines.append("  expected failures now pass: update the expectations file")
        return lines


def describe_run(run: dict) -> str:
    """What a run measured, for the gate's first line: its target and kernel."""
    return f"{run.get('target')} on kernel {run['environment'].get('kernel') or 'unknown'}"


def mismatch(baseline: dict, new: dict) -> list[Change]:
    """Why two runs are not comparable: a different target, or a different kernel."""
    changes = []
    if baseline.get("target") != new.get("target"):
        changes.append(Change("target-changed", str(new.get("target")),
                              f"baseline target is {baseline.get('target')}"))
    old_kernel = baseline["environment"].get("kernel")
    new_kernel = new["environment"].get("kernel")
    if old_kernel != new_kernel:
        changes.append(Change("environment-changed", f"kernel {new_kernel or 'unknown'}",
                              f"baseline kernel is {old_kernel or 'unknown'}"))
    return changes


def gate(baseline: dict, new: dict) -> GateResult:
    """Compare two validated results documents (see ``model.validate_results``).

    A target or kernel change (``mismatch``) is listed as a note: the caller decides first
    whether the runs may be compared at all.
    """
    # Ids compared in their canonical form: a baseline from before the address families has
    # `test_x` where the new run has `test_x[ipv4]` (reports/family_ids.py).
    old_tests = {canonical(test["id"]): test for test in baseline["tests"]}
    new_tests = {canonical(test["id"]): test for test in new["tests"]}
    regressions: list[Change] = []
    notes: list[Change] = list(mismatch(baseline, new))
    for test_id, test in new_tests.items():
        before = old_tests.get(test_id)
        regressions += _outcome_regressions(test, before)
        divergences = _new_divergences(test, before)
        if test.get("xfail_intermittent"):
            notes += [replace(change, kind="intermittent-divergence") for change in divergences]
        else:
            regressions += divergences
        notes += _outcome_notes(test, before)
    for test_id in old_tests.keys() - new_tests.keys():
        notes.append(Change("removed", test_id, "test not in the new run"))
    regressions += _coverage_lost(baseline, new)
    return GateResult(tuple(regressions), tuple(sorted(notes, key=_note_order)))


def covered_requirements(results: dict) -> set[str]:
    """Requirement ids with at least one test that reached a verdict."""
    return {req for test in results["tests"] if test["outcome"] in COVERING
            for req in test["requirements"]}


def _outcome_regressions(test: dict, before: dict | None) -> list[Change]:
    outcome = test["outcome"]
    if outcome == "xpassed" and failed_run(test):
        return [Change("strict-xpassed", test["id"],
                       "expected failure passed and the run failed it (strict): "
                       "update the expectations file")]
    if outcome not in FAILING:
        return []
    if before is None:
        return [Change("new-failure", test["id"], f"new test {outcome}")]
    if before["outcome"] in PASSING:
        return [Change("regression", test["id"], f"{before['outcome']} -> {outcome}")]
    return []


def _new_divergences(test: dict, before: dict | None) -> list[Change]:
    known = {_divergence_key(d) for d in (before or {}).get("divergences", [])}
    changes = []
    for divergence in test["divergences"]:
        if divergence.get("explained") or _divergence_key(divergence) in known:
            continue
        changes.append(Change(
            "new-divergence", test["id"],
            f"{divergence.get('field')}: expected {divergence.get('expected')}, "
            f"actual {divergence.get('actual')} ({divergence.get('rule')})",
        ))
    return changes


def _outcome_notes(test: dict, before: dict | None) -> list[Change]:
    outcome = test["outcome"]
    if intermittent_pass(test):
        return [Change("intermittent", test["id"],
                       f"intermittent expected failure passed this time "
                       f"({test['xfail_intermittent']})")]
    if outcome == "xpassed" and not failed_run(test):
        reason = f" ({test['xfail_reason']})" if test.get("xfail_reason") else ""
        return [Change("xpassed", test["id"], f"expected failure now passes{reason}")]
    if before is not None and before["outcome"] in FAILING and outcome in PASSING:
        return [Change("fixed", test["id"], f"{before['outcome']} -> {outcome}")]
    return []


def _coverage_lost(baseline: dict, new: dict) -> list[Change]:
    lost = covered_requirements(baseline) - covered_requirements(new)
    return [Change("coverage-lost", req, "covered in baseline, not in the new run")
            for req in sorted(lost)]


def _divergence_key(divergence: dict) -> tuple[str, str]:
    return (str(divergence.get("field")), str(divergence.get("rule")))


def _note_order(change: Change) -> tuple[int, str]:
    order = ("xpassed", "intermittent", "intermittent-divergence", "fixed", "removed",
             "target-changed", "environment-changed")
    return (order.index(change.kind) if change.kind in order else len(order), change.subject)
