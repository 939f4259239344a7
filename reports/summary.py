"""Summary counts of a report: by target, by RFC and by requirement level."""

from __future__ import annotations

from dataclasses import dataclass

from reports.outcomes import OUTCOMES, count_outcomes
from reports.requirements import LEVELS, Requirement

NO_REQUIREMENT = "no requirement"


@dataclass(frozen=True)
class CountRow:
    name: str
    counts: dict[str, int]  # outcome -> number of (test, requirement) or test results

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Summary:
    by_target: tuple[CountRow, ...]
    total: CountRow
    by_rfc: tuple[CountRow, ...]
    by_level: tuple[CountRow, ...]


def build_summary(targets: list[dict], describe) -> Summary:
    """Counts by outcome per target and in all; per RFC and per level over test results.

    A test that covers requirements of two RFCs counts once in each; a test without any
    requirement counts under "no requirement".
    """
    by_target = tuple(CountRow(run["label"], count_outcomes(run["tests"])) for run in targets)
    total = CountRow("all targets", count_outcomes([t for run in targets for t in run["tests"]]))
    by_rfc: dict[str, dict[str, int]] = {}
    by_level: dict[str, dict[str, int]] = {}
    rfc_order: dict[str, tuple] = {}
    for run in targets:
        for test in run["tests"]:
            reqs: list[Requirement] = [describe(req_id) for req_id in test["requirements"]]
            rfcs = {req.rfc for req in reqs} or {NO_REQUIREMENT}
            levels = {req.level or "unknown" for req in reqs} or {NO_REQUIREMENT}
            for req in reqs:
                rfc_order.setdefault(req.rfc, req.sort_key[:1])
            for rfc in rfcs:
                _bump(by_rfc, rfc, test["outcome"])
            for level in levels:
                _bump(by_level, level, test["outcome"])
    rfc_names = sorted(by_rfc, key=lambda name: (rfc_order.get(name, (1 << 31,)), name))
    level_names = sorted(by_level, key=_level_key)
    return Summary(
        by_target=by_target,
        total=total,
        by_rfc=tuple(CountRow(name, by_rfc[name]) for name in rfc_names),
        by_level=tuple(CountRow(name, by_level[name]) for name in level_names),
    )


def _bump(table: dict[str, dict[str, int]], key: str, outcome: str) -> None:
    counts = table.setdefault(key, dict.fromkeys(OUTCOMES, 0))
    counts[outcome] += 1


def _level_key(level: str) -> tuple:
    return (LEVELS.index(level), level) if level in LEVELS else (len(LEVELS), level)
