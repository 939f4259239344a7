"""The behaviour diff: what changed, test by test, in the choices a target made inside the
RFCs' latitude (each test's ``behaviour`` list in results.json, recorded by the lockstep
replay: conformance/judge/fingerprint.py), and the behaviour gate over it.

A choice is identified by (field, frame kind); it changed
when its value differs between the two runs, or it is in one run only (``absent``: e.g. an
ICMP error no longer sent). Only tests that ran in both runs are compared (not skipped, not
missing in either): a test that could not run says nothing about a choice.

A few fields are compared over the whole run (:data:`RUN_LEVEL`): the classes the run's tests
took, as one set, under the test id ``(whole run)``. Whether Linux delays one given ACK
depends on timing inside the kernel (tcp_event_data_recv adapts ato and the quick-ACK count
to the gaps between arrivals), so one test's ACK was ``delayed`` in one run and ``immediate``
in the next (measured: 1 test in 692, full suite twice); a stack that stops delaying ACKs, or
starts delaying them past 300 ms, changes the run's set.

``gate --behaviour`` fails on any change that no entry of an accept file lists. The accept
file is TOML::

    [[accept]]
    test = "suites/tcp/*"          # a test id pattern (fnmatch: * ? [..])
    field = "ipv4.ttl"             # a field, or a pattern ("tcp.opt.*")
    reason = "the new default TTL" # optional, shown when the change is accepted
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from reports.model import ResultsError

NOT_RUN = ("skipped",)
RUN_LEVEL = frozenset({"timing.ack_delay"})
WHOLE_RUN = "(whole run)"
ABSENT = "absent"
ACCEPT_KEYS = {"test", "field", "reason"}


@dataclass(frozen=True)
class BehaviourChange:
    test: str
    field: str
    old: Any  # ABSENT when the choice is not in the baseline's test
    new: Any  # ABSENT when it is not in the candidate's
    kind: str  # the frame's kind (tcp:S., icmp:3)
    rule: str  # the oracle's rule for the frame
    frame: str  # the frame, summarised (the candidate's, else the baseline's)
    allows: str  # the RFC text that leaves the field to the stack
    accepted_by: str | None = None  # the accept entry's reason (or pattern) that lists it

    def describe(self) -> str:
        return (f"{self.field}: {show(self.old)} -> {show(self.new)} "
                f"({self.kind}, {self.rule}; allowed by {self.allows})")

    def to_dict(self) -> dict[str, Any]:
        return {"test": self.test, "field": self.field, "old": self.old, "new": self.new,
                "kind": self.kind, "rule": self.rule, "frame": self.frame,
                "allows": self.allows, "accepted_by": self.accepted_by}


@dataclass(frozen=True)
class BehaviourDiff:
    changes: tuple[BehaviourChange, ...]
    compared: int  # tests that ran in both runs
    not_compared: tuple[str, ...]  # tests skipped or missing in one of them

    def by_test(self) -> dict[str, list[BehaviourChange]]:
        out: dict[str, list[BehaviourChange]] = {}
        for change in self.changes:
            out.setdefault(change.test, []).append(change)
        return out

    def by_field(self) -> str:
        """``field: changes in tests`` per field, most changes first (a summary line)."""
        counts: dict[str, set[str]] = {}
        total: dict[str, int] = {}
        for change in self.changes:
            counts.setdefault(change.field, set()).add(change.test)
            total[change.field] = total.get(change.field, 0) + 1
        order = sorted(total, key=lambda f: (-total[f], f))
        return ", ".join(f"{f} {total[f]} in {len(counts[f])} test(s)" for f in order)

    def lines(self, limit: int = 200) -> list[str]:
        """Per test, each change and its frame; at most ``limit`` changes."""
        tests = self.by_test()
        lines = [f"diff: {len(self.changes)} behaviour change(s) in {len(tests)} test(s), "
                 f"{self.compared} test(s) compared"
                 + (f", {len(self.not_compared)} not run in both" if self.not_compared
                    else "")]
        if self.changes:
            lines.append(f"by field: {self.by_field()}")
        shown = 0
        for test, changes in tests.items():
            if shown >= limit:
                lines.append(f"... and {len(self.changes) - shown} more change(s)")
                break
            lines.append(test)
            for change in changes:
                mark = f"  [accepted: {change.accepted_by}]" if change.accepted_by else ""
                lines.append(f"  {change.describe()}{mark}")
                lines.append(f"    frame: {change.frame}")
                shown += 1
        return lines


def fingerprint_of(test: dict) -> dict[tuple[str, str], dict]:
    """A test's behaviour entries by (field, kind)."""
    out = {}
    for entry in test.get("behaviour", []):
        key = (str(entry.get("field")), str(entry.get("kind")))
        out[key] = entry
    return out


def has_fingerprint(results: dict) -> bool:
    return any(test.get("behaviour") for test in results["tests"])


def behaviour_diff(baseline: dict, candidate: dict) -> BehaviourDiff:
    """Compare the fingerprints of two validated results documents, test by test."""
    old_tests = {t["id"]: t for t in baseline["tests"]}
    new_tests = {t["id"]: t for t in candidate["tests"]}
    changes: list[BehaviourChange] = []
    compared = 0
    not_compared = []
    run_old: dict[str, dict[Any, dict]] = {}
    run_new: dict[str, dict[Any, dict]] = {}
    for test_id in sorted(old_tests.keys() | new_tests.keys()):
        old, new = old_tests.get(test_id), new_tests.get(test_id)
        if old is None or new is None or old["outcome"] in NOT_RUN or new["outcome"] in NOT_RUN:
            not_compared.append(test_id)
            continue
        compared += 1
        old_choices, new_choices = fingerprint_of(old), fingerprint_of(new)
        _collect_run_level(old_choices, run_old)
        _collect_run_level(new_choices, run_new)
        changes += _test_changes(test_id, old_choices, new_choices)
    changes += _run_level_changes(run_old, run_new)
    return BehaviourDiff(tuple(changes), compared, tuple(not_compared))


def _values(entry: dict) -> list:
    value = entry.get("value")
    return value if isinstance(value, list) else [value]


def _collect_run_level(choices: dict, into: dict[str, dict[Any, dict]]) -> None:
    """The classes of the :data:`RUN_LEVEL` fields, each with the first entry that took it."""
    for (field, _), entry in choices.items():
        if field in RUN_LEVEL:
            for value in _values(entry):
                into.setdefault(field, {}).setdefault(json_key(value), entry)


def _run_level_changes(old: dict[str, dict], new: dict[str, dict]) -> list[BehaviourChange]:
    out = []
    for field in sorted(old.keys() | new.keys()):
        before, after = old.get(field, {}), new.get(field, {})
        if set(before) == set(after):
            continue
        added = [k for k in after if k not in before]
        example = after[added[0]] if added else next(iter(before.values()))
        out.append(BehaviourChange(
            WHOLE_RUN, field, sorted(before) or ABSENT, sorted(after) or ABSENT, "all frames",
            "", f"e.g. {example.get('frame', '')} ({example.get('kind')}, "
            f"{example.get('rule')})", str(example.get("allows", ""))))
    return out


def json_key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _test_changes(test_id: str, old: dict, new: dict) -> list[BehaviourChange]:
    out = []
    for key in sorted(old.keys() | new.keys()):
        if key[0] in RUN_LEVEL:
            continue
        before, after = old.get(key), new.get(key)
        old_value = before.get("value") if before is not None else ABSENT
        new_value = after.get("value") if after is not None else ABSENT
        if before is not None and after is not None and old_value == new_value:
            continue
        shown = after if after is not None else before
        field, kind = key
        out.append(BehaviourChange(test_id, field, old_value, new_value, kind,
                                   str(shown.get("rule", "")), str(shown.get("frame", "")),
                                   str(shown.get("allows", ""))))
    return out


def show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return "none" if value is None else str(value)


# -- the accept file -------------------------------------------------------------------------

@dataclass(frozen=True)
class Accept:
    test: str
    field: str
    reason: str = ""

    def lists(self, change: BehaviourChange) -> bool:
        return fnmatchcase(change.test, self.test) and fnmatchcase(change.field, self.field)

    def label(self) -> str:
        return self.reason or f"test {self.test!r}, field {self.field!r}"


def load_accept(path: str) -> tuple[Accept, ...]:
    """Read an accept file; ResultsError (one line, naming the file) when it is bad."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not valid TOML: {exc}") from None
    extra = set(data) - {"accept"}
    if extra:
        raise ResultsError(f"{path}: unknown key {sorted(extra)[0]!r} (expected [[accept]] "
                           "entries)")
    entries = data.get("accept", [])
    if not isinstance(entries, list):
        raise ResultsError(f"{path}: 'accept' must be an array of tables ([[accept]])")
    return tuple(_accept_entry(path, i, entry) for i, entry in enumerate(entries))


def _accept_entry(path: str, index: int, entry: object) -> Accept:
    where = f"{path}: accept[{index}]"
    if not isinstance(entry, dict):
        raise ResultsError(f"{where}: expected a table")
    unknown = set(entry) - ACCEPT_KEYS
    if unknown:
        raise ResultsError(f"{where}: unknown key {sorted(unknown)[0]!r} "
                           f"(keys: {', '.join(sorted(ACCEPT_KEYS))})")
    for key in ("test", "field"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ResultsError(f"{where}: {key!r} must be a non-empty string")
    reason = entry.get("reason", "")
    if not isinstance(reason, str):
        raise ResultsError(f"{where}: 'reason' must be a string")
    return Accept(entry["test"], entry["field"], reason)


def apply_accept(diff: BehaviourDiff, accept: tuple[Accept, ...]) -> BehaviourDiff:
    """The diff with each change an accept entry lists marked as accepted."""
    changes = []
    for change in diff.changes:
        entry = next((a for a in accept if a.lists(change)), None)
        if entry is not None:
            change = BehaviourChange(**{**change.__dict__, "accepted_by": entry.label()})
        changes.append(change)
    return BehaviourDiff(tuple(changes), diff.compared, diff.not_compared)


def gate_lines(diff: BehaviourDiff, limit: int = 50) -> tuple[int, list[str]]:
    """The behaviour gate's verdict: (1 when a change is not accepted, else 0; its lines)."""
    refused = [c for c in diff.changes if c.accepted_by is None]
    accepted = [c for c in diff.changes if c.accepted_by is not None]
    if refused:
        head = f"gate --behaviour: FAILED, {len(refused)} behaviour change(s) not accepted"
    else:
        head = "gate --behaviour: ok, no behaviour change outside the accept file"
    lines = [head + f" ({diff.compared} test(s) compared)"]
    if refused:
        lines.append("  by field: " + BehaviourDiff(tuple(refused), diff.compared, ()).by_field())
    for kind, changes in (("behaviour-changed", refused), ("accepted", accepted)):
        for change in changes[:limit]:
            note = f" [{change.accepted_by}]" if change.accepted_by else ""
            lines.append(f"  {kind}: {change.test}: {change.describe()}{note}")
        if len(changes) > limit:
            lines.append(f"  ... and {len(changes) - limit} more {kind}")
    if refused:
        lines.append("  to accept a change, list it in an accept file: [[accept]] test = "
                     "\"<test id pattern>\", field = \"<field>\", reason = \"...\"")
    return (1 if refused else 0), lines


# -- the report's section --------------------------------------------------------------------

REPORT_LIMIT = 2000  # rows of one comparison in the HTML report; the rest is a count


@dataclass(frozen=True)
class ReportRow:
    change: BehaviourChange
    anchor: str  # the candidate's test in the report (its base's when only there)
    old: str
    new: str


@dataclass(frozen=True)
class ReportSection:
    base: str  # column labels
    candidate: str
    diff: BehaviourDiff
    rows: tuple[ReportRow, ...]

    @property
    def tests(self) -> int:
        return len(self.diff.by_test())


def report_sections(columns: list[dict], anchors: list[list[str]]) -> list[ReportSection]:
    """The behaviour diff of the first column against each other column, where both hold a
    fingerprint (labelled, validated documents and their tests' anchors, column by column)."""
    if not columns or not has_fingerprint(columns[0]):
        return []
    base = columns[0]
    sections = []
    for column, column_anchors in zip(columns[1:], anchors[1:], strict=True):
        if not has_fingerprint(column):
            continue
        diff = behaviour_diff(base, column)
        where = {test["id"]: a for test, a in zip(column["tests"], column_anchors, strict=True)}
        where_base = {t["id"]: a for t, a in zip(base["tests"], anchors[0], strict=True)}
        rows = tuple(ReportRow(c, where.get(c.test) or where_base.get(c.test, ""),
                               show(c.old), show(c.new))
                     for c in diff.changes[:REPORT_LIMIT])
        sections.append(ReportSection(base["label"], column["label"], diff, rows))
    return sections
