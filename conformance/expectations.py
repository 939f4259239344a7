"""Per-target expected failures, as data: ``suites/expectations/<target>.toml``.

::

    [[xfail]]
    test = "suites/tcp/test_foo.py::test_bar[case]"   # exact test id (or prefix ending in '*')
    reason = "Linux sends ... where RFC 9293 3.10.7.4 says ...; allowed by ..."
    link = "https://..."                              # optional

Strict: an expected failure that passes is reported as xpassed and fails the run, so the file is
kept true. Every entry needs a reason.

Analysed differences between the target and the lockstep oracle (conformance.judge.timeline) are
filed the same way; a divergence they match is marked explained, with the reason::

    [[divergence]]
    test = "suites/tcp/test_foo.py::test_bar"   # exact test id (or prefix ending in '*')
    field = "dut.recv"                          # the divergence's field (or prefix ending in '*')
    rule = "RFC9293-3.10.2-MUST-send-data"      # optional: the rule the oracle applied
    reason = "Linux ... where the oracle ..."
    link = "https://..."                        # optional

Strict too: in a test run with ``--lockstep enforce``, an entry that matches none of its test's
divergences fails that test (the file must stay true as the oracle improves).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "suites" / "expectations"


class ExpectationsError(ValueError):
    pass


@dataclass(frozen=True)
class Expectation:
    test: str
    reason: str
    link: str | None = None

    def matches(self, test_id: str) -> bool:
        if self.test.endswith("*"):
            return test_id.startswith(self.test[:-1])
        return test_id == self.test


@dataclass(frozen=True)
class ExpectedDivergence:
    test: str
    field: str
    reason: str
    rule: str | None = None
    link: str | None = None

    def matches(self, test_id: str, divergence: dict) -> bool:
        return (_match(self.test, test_id) and _match(self.field, str(divergence["field"]))
                and (self.rule is None or self.rule == divergence["rule"]))

    def key(self) -> str:
        return f"{self.test} {self.field}" + (f" [{self.rule}]" if self.rule else "")


def _match(pattern: str, value: str) -> bool:
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def _read(target: str, directory: Path | str | None) -> tuple[Path, dict]:
    base = directory or os.environ.get("NETCONFORM_EXPECTATIONS") or DEFAULT_DIR
    path = Path(base) / f"{target}.toml"
    if not path.exists():
        return path, {}
    try:
        with open(path, "rb") as f:
            return path, tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(f"{path}: not valid TOML: {exc}") from None


def load(target: str, directory: Path | str | None = None) -> list[Expectation]:
    path, data = _read(target, directory)
    out = []
    for i, entry in enumerate(data.get("xfail", [])):
        test, reason = entry.get("test"), entry.get("reason")
        if not isinstance(test, str) or not isinstance(reason, str) or not reason.strip():
            raise ExpectationsError(f"{path}: xfail #{i + 1} needs a test id and a reason")
        link = entry.get("link")
        out.append(Expectation(test, reason.strip(), link if isinstance(link, str) else None))
    return out


def find(expectations: list[Expectation], test_id: str) -> Expectation | None:
    for exp in expectations:
        if exp.matches(test_id):
            return exp
    return None


def load_divergences(target: str, directory: Path | str | None = None
                     ) -> list[ExpectedDivergence]:
    """The target's ``[[divergence]]`` entries (see the module docstring)."""
    path, data = _read(target, directory)
    out = []
    for i, entry in enumerate(data.get("divergence", [])):
        test, fld, reason = entry.get("test"), entry.get("field"), entry.get("reason")
        if not (isinstance(test, str) and isinstance(fld, str) and isinstance(reason, str)
                and reason.strip()):
            raise ExpectationsError(
                f"{path}: divergence #{i + 1} needs a test id, a field and a reason")
        rule, link = entry.get("rule"), entry.get("link")
        if rule is not None and not isinstance(rule, str):
            raise ExpectationsError(f"{path}: divergence #{i + 1}: rule must be a string")
        out.append(ExpectedDivergence(test, fld, reason.strip(), rule,
                                      link if isinstance(link, str) else None))
    return out


def explain(entries: list[ExpectedDivergence], test_id: str,
            divergences: list[dict]) -> list[ExpectedDivergence]:
    """Mark the divergences of `test_id` that an entry matches explained (with its reason);
    returns the entries for this test that matched none (stale, under strict checking)."""
    mine = [e for e in entries if _match(e.test, test_id)]
    used: set[int] = set()
    for d in divergences:
        for i, e in enumerate(mine):
            if e.matches(test_id, d):
                d["explained"] = True
                d["reason"] = e.reason + (f" ({e.link})" if e.link else "")
                used.add(i)
                break
    return [e for i, e in enumerate(mine) if i not in used]
