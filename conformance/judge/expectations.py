"""Per-target expected failures, as data: ``suites/expectations/<target>.toml``.

::

    [[xfail]]
    test = "suites/tcp/test_foo.py::test_bar[case]"   # exact test id (or prefix ending in '*')
    reason = "Linux sends ... where RFC 9293 3.10.7.4 says ...; allowed by ..."
    link = "https://..."                              # optional
    unless_sysctl = { "net.ipv4.tcp_syn_linear_timeouts" = "0" }   # optional
    intermittent = "failed 7 of 12 runs: ..."          # optional, see below

Strict: an expected failure that passes is reported as xpassed and fails the run, so the file is
kept true. Every entry needs a reason. An entry about a behaviour a sysctl switches names the
run-wide settings (``--dut-sysctl``, a value or a list of values) under which the target
behaves as the test expects, so it does not apply there (``unless_sysctl``).

A non-conformance that shows only when a race inside the target goes one way (a
timing-dependent one) says so in ``intermittent``: the measured rate and what it depends on.
That entry alone is not strict: a pass is reported as xpassed, marked intermittent
(results.json ``xfail_intermittent``), and fails neither the run nor the gate.

A target whose expected failures are another's (the ``vm`` target runs Linux, as ``linux``
does) says ``inherit = "linux"`` at the top: that file's expected failures apply too, except the
ones its ``[[not_inherited]]`` entries name (test id and reason: a kernel version or build
that behaves otherwise); a ``not_inherited`` test the other file does not list is an error.

Analysed differences between the target and the oracle (``[[divergence]]`` entries) live in the
same file; :mod:`conformance.judge.store` reads them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from reports.family_ids import canonical

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "suites" / "expectations"


class ExpectationsError(ValueError):
    pass


@dataclass(frozen=True)
class Expectation:
    test: str
    reason: str
    link: str | None = None
    unless_sysctl: tuple[tuple[str, tuple[str, ...]], ...] = ()
    intermittent: str | None = None  # the measured rate and why: the xfail is not strict

    @property
    def strict(self) -> bool:
        return self.intermittent is None

    def lifted_by(self, sysctls: dict[str, str]) -> bool:
        """The run's DUT sysctls make the target do what the test expects."""
        return any(sysctls.get(key, "").split() in [v.split() for v in values]
                   for key, values in self.unless_sysctl)

    def matches(self, test_id: str) -> bool:
        # An entry written before the address families names a test's IPv4 run without
        # the family (reports/family_ids.py).
        test_id = canonical(test_id)
        if self.test.endswith("*"):
            return test_id.startswith(self.test[:-1])
        return test_id == canonical(self.test)


def read(target: str, directory: Path | str | None) -> tuple[Path, dict]:
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
    path, data = read(target, directory)
    out = _inherited(path, data, directory)
    for i, entry in enumerate(data.get("xfail", [])):
        test, reason = entry.get("test"), entry.get("reason")
        if not isinstance(test, str) or not isinstance(reason, str) or not reason.strip():
            raise ExpectationsError(f"{path}: xfail #{i + 1} needs a test id and a reason")
        link = entry.get("link")
        unless = entry.get("unless_sysctl", {})
        if not isinstance(unless, dict):
            raise ExpectationsError(f"{path}: xfail #{i + 1}: unless_sysctl is a table")
        lifted = tuple((str(k), tuple(str(x) for x in (v if isinstance(v, list) else [v])))
                       for k, v in unless.items())
        out.append(Expectation(test, reason.strip(), link if isinstance(link, str) else None,
                               lifted, _intermittent(path, i, entry)))
    return out


def _intermittent(path: Path, index: int, entry: dict) -> str | None:
    """An entry's ``intermittent``: absent, or a text saying the measured rate and why."""
    if "intermittent" not in entry:
        return None
    value = entry["intermittent"]
    if not isinstance(value, str) or not value.strip():
        raise ExpectationsError(f"{path}: xfail #{index + 1}: intermittent is a text (the "
                                "measured failure rate and what it depends on)")
    return " ".join(value.split())


def find(expectations: list[Expectation], test_id: str) -> Expectation | None:
    for exp in expectations:
        if exp.matches(test_id):
            return exp
    return None


def _inherited(path: Path, data: dict, directory: Path | str | None) -> list[Expectation]:
    """The entries of the file ``inherit`` names, less those ``[[not_inherited]]`` names."""
    parent = data.get("inherit")
    if parent is None:
        return []
    if not isinstance(parent, str) or parent == path.stem:
        raise ExpectationsError(f"{path}: inherit names another target's file")
    entries = load(parent, directory)
    dropped = set()
    for i, entry in enumerate(data.get("not_inherited", [])):
        test, reason = entry.get("test"), entry.get("reason")
        if not isinstance(test, str) or not isinstance(reason, str) or not reason.strip():
            raise ExpectationsError(f"{path}: not_inherited #{i + 1} needs a test id and a reason")
        if not any(e.test == test for e in entries):
            raise ExpectationsError(f"{path}: not_inherited #{i + 1}: {parent}.toml has no "
                                    f"entry for {test}")
        dropped.add(test)
    return [e for e in entries if e.test not in dropped]
