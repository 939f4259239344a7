"""Test outcomes and how they group (one place, shared by summary, matrix, gate and JUnit)."""

from __future__ import annotations

OUTCOMES: tuple[str, ...] = ("passed", "failed", "xfailed", "xpassed", "skipped", "error")

# The test ran and the target did what was required (an unexpected pass is still a pass).
PASSING = frozenset({"passed", "xpassed"})
# The test ran and the target (or the harness) did not do what was required.
FAILING = frozenset({"failed", "error"})
# The test reached a verdict about the target, so its requirements count as covered.
COVERING = frozenset({"passed", "failed", "xfailed", "xpassed"})

# Requirement matrix cell states, in display order.
CELL_PASSED = "passed"
CELL_FAILED = "failed"
CELL_XFAIL = "xfail"
CELL_UNTESTED = "untested"
CELL_STATES: tuple[str, ...] = (CELL_PASSED, CELL_FAILED, CELL_XFAIL, CELL_UNTESTED)
CELL_LABELS = {
    CELL_PASSED: "passed",
    CELL_FAILED: "failed",
    CELL_XFAIL: "expected failure",
    CELL_UNTESTED: "untested",
}


STRICT_XPASS_PREFIX = "[XPASS(strict)]"


def failed_run(test: dict) -> bool:
    """Whether the run itself counted this test as a failure (a strict xpass does)."""
    if test["outcome"] in FAILING:
        return True
    message = test.get("message") or ""
    return test["outcome"] == "xpassed" and message.startswith(STRICT_XPASS_PREFIX)


def intermittent_pass(test: dict) -> bool:
    """An expected failure whose entry is intermittent (a timing-dependent non-conformance)
    that passed this time: not a failure, and no prompt to update the expectations file."""
    return test["outcome"] == "xpassed" and bool(test.get("xfail_intermittent"))


def outcome_label(test: dict) -> str:
    """The outcome as a report shows it: an intermittent entry's pass is "intermittent"."""
    return "intermittent" if intermittent_pass(test) else test["outcome"]


def verdict(test: dict) -> str:
    """The outcome a requirement's cell counts: an intermittent entry's pass is its expected
    failure (the non-conformance is the target's whichever way the race went this time)."""
    return "xfailed" if intermittent_pass(test) else test["outcome"]


def count_outcomes(tests: list[dict]) -> dict[str, int]:
    """Counts by outcome, every outcome present (zero when absent)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for test in tests:
        counts[test["outcome"]] += 1
    return counts


def cell_state(outcomes: list[str]) -> str:
    """The matrix state of one requirement on one target, from the outcomes of its tests."""
    present = set(outcomes)
    if present & FAILING:
        return CELL_FAILED
    if "xfailed" in present:
        return CELL_XFAIL
    if present & PASSING:
        return CELL_PASSED
    return CELL_UNTESTED
