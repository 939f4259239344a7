"""What a failed or errored test says: a one-line reason, an expected/actual table, the frames
it blames and the window of frames its expectation judged.

Derived from a results.json test entry only (its ``message``, ``diff``, ``divergences`` and
``frames``), so every failure kind gets a table: a missing reply with near misses, an
unwanted reply, an oracle divergence, a plain ``assert`` (bytes shown as hex with the first
differing offset), a set-up error or any other exception.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from reports.outcomes import failed_run

BARRIER_HEX = b"netconform-barrier".hex()  # the payload of the harness's barrier echo probe
MAX_REASON = 200
MAX_VALUE = 400

_EXPECTED_WITHIN = re.compile(r"^expected (?P<what>.+) within (?P<timeout>[\d.e+-]+) s;?$")
_UNWANTED = re.compile(r"^expected (?P<what>.+), but the target sent (?P<count>\d+) frame\(s\):$")
_NEAR_MISS = re.compile(r"^near miss \d+: (?P<summary>.+)$")
_NEAR_FIELD = re.compile(r"^\s+(?P<field>\S+): expected (?P<expected>.*), got (?P<actual>.*)$")
_ASSERT = re.compile(r"^(?:AssertionError: )?assert (?P<expr>.+)$")
_WHERE = re.compile(r"^\+\s+where (?P<value>.+?) = (?P<expr>.+)$")
_FRAME = re.compile(r"^\s*frame: (?P<summary>.+)$")
_ERROR_PREFIX = re.compile(r"^(?:AssertionError|[\w.]*ExpectationFailed): ")
_COMPARE = re.compile(r"^(?P<left>.+?) (?P<op>==|!=|<=|>=|<|>|is not|is|not in|in) "
                      r"(?P<right>.+)$")
_EXCEPTION = re.compile(r"^(?P<line>[\w.]+(?:Error|Exception|Failed|Timeout|Exit)\b.*)$")


@dataclass(frozen=True)
class Row:
    what: str
    expected: str
    actual: str


@dataclass(frozen=True)
class Failure:
    kind: str  # "missing-reply", "unwanted-reply", "divergence", "assertion", "error", "other"
    reason: str  # one line
    rows: tuple[Row, ...]  # expected versus actual, never empty
    offending: frozenset[int]  # indexes into the test's frames
    window: tuple[int, int] | None  # (first, last) frame index the expectation judged


def explain(test: dict) -> Failure | None:
    """The failure of a test the run counted as failed (None for any other test)."""
    if not failed_run(test):
        return None
    message = test.get("message") or ""
    lines = explanation_lines(message)
    frames = test.get("frames") or []
    if test["outcome"] == "xpassed":
        return _failure("strict-xpass", message, [Row(
            "outcome", f"an expected failure ({test.get('xfail_reason') or 'xfail'})",
            "passed")], frames, [])
    for parse in (_missing_reply, _unwanted_reply):
        failure = parse(lines, test, frames)
        if failure is not None:
            return failure
    if test["divergences"]:
        rows = [Row(str(d.get("field")), _text(d.get("expected")), _text(d.get("actual")))
                for d in test["divergences"] if not d.get("explained")]
        if rows:
            first, more = rows[0], f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
            reason = (f"oracle divergence: {first.what}: expected {first.expected}, "
                      f"actual {first.actual}{more}")
            blamed = list(dict.fromkeys(m.group("summary") for m in map(_FRAME.match, lines)
                                        if m))
            return _failure("divergence", reason, rows, frames, blamed)
    assertion = _assertion(lines)
    if assertion is not None:
        return _failure("assertion", assertion[0], assertion[1], frames, assertion[2])
    line = _exception_line(lines) or _first_line(lines) or f"test {test['outcome']}"
    if test["outcome"] == "error":
        when = re.match(r"error in (\w+):", message)
        stage = when.group(1) if when else "set-up or tear-down"
        rows = [Row(stage, f"{stage} completes", line)]
        return _failure("error", line if line.startswith("error") else f"error in {stage}: {line}",
                        rows, frames, [])
    return _failure("other", line, [Row("test", "completes without an exception", line)],
                    frames, [])


def explanation_lines(message: str) -> list[str]:
    """pytest's ``E`` lines (what the failure says, without the traceback's source lines),
    with the exception's class name removed from the first; the whole text if it has none."""
    lines = message.splitlines()
    explained = [line[4:] if line.startswith("E   ") else line[1:].lstrip()
                 for line in lines if line.startswith("E ") or line == "E"]
    if not explained:
        return lines
    explained[0] = _ERROR_PREFIX.sub("", explained[0], count=1)
    return explained


def _missing_reply(lines: list[str], test: dict, frames: list[dict]) -> Failure | None:
    head = next((m for m in map(_EXPECTED_WITHIN.match, lines) if m), None)
    if head is None:
        return None
    rows = [Row(str(d.get("field")), _text(d.get("expected")), _text(d.get("actual")))
            for d in test["diff"]]
    near = [m.group("summary") for m in map(_NEAR_MISS.match, lines) if m]
    if not rows:
        fields = [m for m in map(_NEAR_FIELD.match, lines) if m]
        rows = [Row(m.group("field"), m.group("expected"), m.group("actual")) for m in fields]
    if not rows:
        rows = [Row("reply", head.group("what"), "nothing arrived within "
                    f"{head.group('timeout')} s" if not near else "; ".join(near))]
    reason = f"expected {head.group('what')} within {head.group('timeout')} s: "
    reason += (f"near miss {rows[0].what} expected {rows[0].expected}, got {rows[0].actual}"
               if near else "nothing arrived")
    return _failure("missing-reply", reason, rows, frames, near)


def _unwanted_reply(lines: list[str], test: dict, frames: list[dict]) -> Failure | None:
    for index, line in enumerate(lines):
        head = _UNWANTED.match(line.strip())
        if head is None:
            continue
        count = int(head.group("count"))
        sent = [text.strip() for text in lines[index + 1:index + 1 + count]]
        rows = [Row("reply", head.group("what"), summary) for summary in sent] or [
            Row("reply", head.group("what"), f"{count} frame(s)")]
        return _failure("unwanted-reply", line.strip().rstrip(":"), rows, frames, sent)
    return None


def _assertion(lines: list[str]) -> tuple[str, list[Row], list[str]] | None:
    """pytest's ``assert left op right`` (its first such line) as expected/actual rows.

    Returns (reason, rows, blamed frame summaries): the assertion's own message, if any, is
    the line before it; it names a frame when it is that frame's summary.
    """
    for index, line in enumerate(lines):
        match = _ASSERT.match(line.strip())
        if match is None:
            continue
        expr = _unwrap(match.group("expr").strip())
        note = lines[index - 1].strip() if index else ""
        where = next((m for m in map(_WHERE.match, (x.strip() for x in lines[index + 1:])) if m),
                     None)
        compare = _COMPARE.match(expr)
        reason = f"{note} (assert {expr})" if note else f"assert {expr}"
        if compare is None:
            return reason, [Row("assertion", "true", f"false: {expr}")], [note]
        left, op, right = (compare.group(k).strip() for k in ("left", "op", "right"))
        what = _clip_left(where.group("expr"), 80) if where else "value"
        expected = _show(right) if op == "==" else f"{op} {_show(right)}"
        rows = [Row(what, expected, _show(left))]
        offset = _first_difference(left, right) if op == "==" else None
        if offset is not None:
            rows.append(Row("first differing byte", f"offset {offset[0]}: {offset[1]}",
                            f"offset {offset[0]}: {offset[2]}"))
        return reason, rows, [note]
    return None


def _unwrap(expr: str) -> str:
    """pytest writes ``assert (None is not None)`` for a part of an ``and``."""
    if expr.startswith("(") and expr.endswith(")") and expr.count("(") == 1:
        return expr[1:-1]
    return expr


def _show(literal: str) -> str:
    """A bytes literal as spaced hex (what a frame looks like); anything else as written."""
    value = _bytes(literal)
    if value is None:
        return _clip(literal, MAX_VALUE)
    return _clip(f"{len(value)} bytes: {value.hex(' ')}", MAX_VALUE)


def _bytes(literal: str) -> bytes | None:
    if not re.match(r"^b['\"]", literal):
        return None
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, bytes) else None


def _first_difference(left: str, right: str) -> tuple[int, str, str] | None:
    actual, expected = _bytes(left), _bytes(right)
    if actual is None or expected is None:
        return None
    for index, (a, b) in enumerate(zip(actual, expected, strict=False)):
        if a != b:
            return index, f"{b:02x}", f"{a:02x}"
    shorter = min(len(actual), len(expected))
    return (shorter, _byte_at(expected, shorter), _byte_at(actual, shorter))


def _byte_at(data: bytes, index: int) -> str:
    return f"{data[index]:02x}" if index < len(data) else "end of data"


def _failure(kind: str, reason: str, rows: list[Row], frames: list[dict],
             blamed: list[str]) -> Failure:
    offending = _match_frames(frames, blamed)
    window = judged_window(frames, offending) if kind in ("missing-reply",
                                                           "unwanted-reply") else None
    return Failure(kind, _clip(reason.splitlines()[0] if reason else kind, MAX_REASON),
                   tuple(rows), offending, window)


def _match_frames(frames: list[dict], summaries: list[str]) -> frozenset[int]:
    """Incoming frames whose summary (or its last layers) is one the message named, each
    named summary blaming one frame: the first that matches."""
    found = set()
    for wanted in filter(None, summaries):
        for index, frame in enumerate(frames):
            summary = str(frame.get("summary") or "")
            if frame.get("dir") == "in" and index not in found and (
                    summary == wanted or summary.endswith(" | " + wanted)):
                found.add(index)
                break
    return frozenset(found)


def judged_window(frames: list[dict], offending: frozenset[int]) -> tuple[int, int] | None:
    """From the stimulus (the last tester frame before the first blamed frame, or the last
    tester frame if nothing is blamed) to the frame before the tester's next stimulus.
    Barrier probes are not stimuli: they close an expectation, they do not open one."""
    stimuli = [i for i, f in enumerate(frames)
               if f.get("dir") != "in" and BARRIER_HEX not in str(f.get("hex") or "")]
    if not frames:
        return None
    if offending:
        before = [i for i in stimuli if i < min(offending)]
        first = before[-1] if before else 0
        after = [i for i in stimuli if i > max(offending)]
    else:
        first = stimuli[-1] if stimuli else 0
        after = []
    last = after[0] - 1 if after else len(frames) - 1
    return first, last


def _first_line(lines: list[str]) -> str:
    return next((line.strip() for line in lines if line.strip()), "")


def _exception_line(lines: list[str]) -> str:
    found = [m.group("line") for m in map(_EXCEPTION.match, lines) if m]
    return found[-1].strip() if found else ""


def _text(value: object) -> str:
    return _clip("" if value is None else str(value), MAX_VALUE)


def _clip_left(text: str, limit: int) -> str:
    """The end of an expression says what it is (``....timestamps``)."""
    return text if len(text) <= limit else "\u2026" + text[-(limit - 1):]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
