"""The requirement matrix: requirements (grouped by RFC and section) by targets."""

from __future__ import annotations

from dataclasses import dataclass

from reports.outcomes import CELL_FAILED, FAILING, cell_state, verdict
from reports.requirements import Requirement


@dataclass(frozen=True)
class Cell:
    target: str
    state: str  # one of outcomes.CELL_STATES
    anchors: tuple[str, ...]  # the tests of this requirement on this target, worst first

    @property
    def first(self) -> str | None:
        return self.anchors[0] if self.anchors else None


@dataclass(frozen=True)
class CitingTest:
    target: str
    id: str
    anchor: str


@dataclass(frozen=True)
class Row:
    requirement: Requirement
    cells: tuple[Cell, ...]
    tests: tuple[CitingTest, ...] = ()  # every test citing the requirement, on every target


@dataclass(frozen=True)
class Section:
    rfc: str
    section: str
    rows: tuple[Row, ...]


def build_matrix(targets: list[dict], anchors: list[list[str]], describe) -> tuple[Section, ...]:
    """Rows for every requirement referenced by a test or listed in a catalogue.

    ``anchors[i][j]`` is the HTML anchor of test j of target i. A cell lists its tests with
    failing ones first, so its main link leads to the reason for a red cell.
    """
    req_ids: dict[str, None] = {}
    for run in targets:
        req_ids.update(dict.fromkeys(run["requirements"]))
        for test in run["tests"]:
            req_ids.update(dict.fromkeys(test["requirements"]))
    per_cell: dict[tuple[str, int], list[tuple[str, str]]] = {}
    per_row: dict[str, list[CitingTest]] = {}
    for index, run in enumerate(targets):
        for test, anchor in zip(run["tests"], anchors[index], strict=True):
            for req_id in test["requirements"]:
                per_cell.setdefault((req_id, index), []).append((verdict(test), anchor))
                per_row.setdefault(req_id, []).append(CitingTest(run["label"], test["id"],
                                                               anchor))
    requirements = sorted((describe(req_id) for req_id in req_ids), key=lambda r: r.sort_key)
    sections: list[Section] = []
    rows: list[Row] = []
    for req in requirements:
        cells = tuple(
            _cell(run["label"], per_cell.get((req.id, index), []))
            for index, run in enumerate(targets)
        )
        if rows and _group(rows[-1].requirement) != _group(req):
            sections.append(_section(rows))
            rows = []
        rows.append(Row(req, cells, tuple(per_row.get(req.id, ()))))
    if rows:
        sections.append(_section(rows))
    return tuple(sections)


def _group(req: Requirement) -> tuple[str, str]:
    return (req.rfc, req.section)


def _section(rows: list[Row]) -> Section:
    first = rows[0].requirement
    return Section(first.rfc, first.section, tuple(rows))


def _cell(target: str, tests: list[tuple[str, str]]) -> Cell:
    state = cell_state([outcome for outcome, _ in tests])
    ordered = sorted(tests, key=lambda item: 0 if (state == CELL_FAILED and item[0] in FAILING)
                     else 1)
    return Cell(target, state, tuple(anchor for _, anchor in ordered))
