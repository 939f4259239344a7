"""Analysed differences, as data: one store per target (``suites/expectations/<target>.toml``,
its ``[[divergence]]`` entries) for the suites' timeline replay and the fuzzers alike.

::

    [[divergence]]
    reason = "Linux ... where RFC ... says ...; kernel function ..."   # required
    test = "suites/tcp/test_foo.py::test_bar"   # optional (fuzz findings have none); prefix*
    rule = "RFC9293-3.10.7.4-MUST-first-check"  # optional: the rule the oracle applied (or a list)
    state = ["ESTABLISHED", "CLOSE-WAIT"]       # optional: the TCP state, or "host" (or one)
    field = "tcp.opt*"                          # optional: the divergence's field (prefix*)
    response = "missing:tcp:."                  # optional: the response class
    frame = { "sent.tcp.flags" = "S", "answer.icmpv4.code" = 0 }   # optional, see below
    analysis = "tcp_check_req-ack-first"        # optional: a function, by id (see below)
    link = "https://..."                        # optional

Every key given must match (an entry with none but ``reason`` is malformed). Frame fields
(``frame``) are read from the dissected frames (``reference_stack.wire.frame.dissect``,
flattened as ``reference_stack.variance.flatten`` names them): ``sent.<path>`` of the frame the
tester sent that diverged, ``answer.<path>`` of any of the target's answers to it. A value
matches the field's value; a list, any of its items; for ``tcp.flags`` the value is tcpdump's
letters (``"S"``, ``"R."``, ``"F."``) and ``tcp.flags_set`` / ``tcp.flags_clear`` ask that all
/ none of the letters be set; for a tuple field (``tcp.options``: option class names,
``ipv4.options``) the value must be one of the tuple's items; octets (``tcp.payload``) are
compared as hex (``""``: none); ``sent.tcp = "present"``: the frame has that layer.

Where a match truly needs code (earlier frames of a case, sequence arithmetic), the entry
names an analysis function by id; the function lives next to the target it was analysed on
(``conformance/targets/<target>_analyses.py``, its ``ANALYSES`` table) and gets a
:class:`Context`. An entry applies only to its target's store. Strict: an entry that matches
none of its test's divergences is stale (the suites fail that test under ``--lockstep
enforce``). A malformed file is an :class:`~conformance.judge.expectations.ExpectationsError`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.judge.divergence import Divergence
from conformance.judge.expectations import ExpectationsError, read
from reference_stack.variance import flatten
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import flags_str
from reports.family_ids import canonical

KEYS = ("test", "rule", "state", "field", "response", "frame", "analysis")
FLAG_LETTERS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10, "U": 0x20, "E": 0x40,
                "W": 0x80}


@dataclass(frozen=True)
class Context:
    """What an analysis function sees of a divergence: its signature, the frame that diverged
    (``sent``, as sent to the target; ``canonical``, as a fuzz strategy drew it, where the
    DUT's numbers are known; None in the suites), the target's answers to it, and the
    earlier frames of the exchange with the answers to each. ``constants``: the numbers a
    canonical frame is drawn against (e.g. the tester's ISS), given by the caller. ``steps``:
    a stateful case's steps up to the divergence, in order (``{"frame": hex}`` or
    ``{"call": name, ...}``); empty elsewhere."""

    rule: str
    state: str
    response: str
    divergences: tuple[Divergence, ...] = ()
    sent: bytes | None = None
    canonical: bytes | None = None
    answers: tuple[bytes, ...] = ()
    answered_before: bool = False
    earlier: tuple[tuple[bytes, tuple[bytes, ...]], ...] = ()
    constants: Mapping[str, int] = field(default_factory=dict)
    steps: tuple[Mapping[str, str], ...] = ()


Analysis = Callable[[Context], bool]


@dataclass(frozen=True)
class Entry:
    reason: str
    test: str | None = None
    rule: tuple[str, ...] | None = None
    state: tuple[str, ...] | None = None
    field: str | None = None
    response: str | None = None
    frame: tuple[tuple[str, Any], ...] = ()
    analysis: str | None = None
    link: str | None = None

    def explanation(self) -> str:
        return self.reason + (f" ({self.link})" if self.link else "")

    def key(self) -> str:
        parts = [f"{k}={_one(getattr(self, k))!r}" for k in KEYS
                 if k != "frame" and getattr(self, k)]
        parts += [f"{k}={v!r}" for k, v in self.frame]
        return " ".join(parts)

    def for_test(self, test_id: str | None) -> bool:
        return self.test is None or (test_id is not None and _match(self.test, test_id))

    def matches(self, d: Divergence, test_id: str | None = None) -> bool:
        """The keys one divergence of the suites can match (no frame or analysis keys)."""
        return (self.for_test(test_id) and self.frame == () and self.analysis is None
                and self.response is None
                and (self.rule is None or d.rule in self.rule)
                and (self.state is None or d.state in self.state)
                and (self.field is None or _match(self.field, d.field)))

    def matches_case(self, ctx: Context, analyses: Mapping[str, Analysis]) -> bool:
        """A fuzz finding: its signature, the frames and, last, the analysis."""
        if self.test is not None:
            return False
        if ((self.rule is not None and ctx.rule not in self.rule)
                or (self.state is not None and ctx.state not in self.state)
                or (self.response is not None and self.response != ctx.response)):
            return False
        if self.field is not None and not any(_match(self.field, d.field)
                                              for d in ctx.divergences):
            return False
        if self.frame and not all(_frame_field(name, want, ctx) for name, want in self.frame):
            return False
        return self.analysis is None or analyses[self.analysis](ctx)


@dataclass(frozen=True)
class Store:
    """A target's analysed differences."""

    target: str
    entries: tuple[Entry, ...] = ()
    analyses: Mapping[str, Analysis] = field(default_factory=dict)

    def explain_test(self, test_id: str, divergences: list[Divergence]
                     ) -> tuple[list[Divergence], list[Entry]]:
        """The suites: each divergence of ``test_id`` an entry matches, explained by it; and
        the entries for this test (by test id) that matched none (stale)."""
        mine = [e for e in self.entries if e.test is not None and e.for_test(test_id)]
        used: set[int] = set()
        out = []
        for d in divergences:
            for i, e in enumerate(mine):
                if e.matches(d, test_id):
                    d = d.explained_by(e.explanation())
                    used.add(i)
                    break
            out.append(d)
        return out, [e for i, e in enumerate(mine) if i not in used]

    def explain_case(self, ctx: Context) -> str | None:
        """The fuzzers: the reason of the first entry a finding matches, else None."""
        for e in self.entries:
            if e.matches_case(ctx, self.analyses):
                return e.explanation()
        return None


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _match(pattern: str, value: str) -> bool:
    value = canonical(value)  # `x[ipv4]` is `x` of an entry written before the families
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == canonical(pattern)


def _frame_field(name: str, want: Any, ctx: Context) -> bool:
    which, _, path = name.partition(".")
    frames = (ctx.sent,) if which == "sent" else ctx.answers
    return any(f is not None and _field_matches(flatten(dissect(f)), path, want) for f in frames)


def _field_matches(fields: dict[str, Any], path: str, want: Any) -> bool:
    if path in ("tcp.flags_set", "tcp.flags_clear"):
        if "tcp.flags" not in fields:
            return False
        mask = sum(FLAG_LETTERS[c] for c in str(want))
        got = fields["tcp.flags"] & mask
        return got == mask if path.endswith("_set") else got == 0
    if path not in fields:
        return False
    value = fields[path]
    wants = want if isinstance(want, list) else [want]
    if path == "tcp.flags":
        return flags_str(value) in wants
    if isinstance(value, bytes):
        return value.hex() in wants
    if isinstance(value, tuple):
        return any(w in value for w in wants)
    return any(value == w or str(value) == str(w) for w in wants)


def _entry(path: str, i: int, raw: Mapping[str, Any]) -> Entry:
    def fail(why: str) -> ExpectationsError:
        return ExpectationsError(f"{path}: divergence #{i + 1}: {why}")

    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise fail("needs a reason")
    unknown = set(raw) - set(KEYS) - {"reason", "link"}
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))}")
    if not any(raw.get(k) for k in KEYS):
        raise fail(f"needs at least one of {', '.join(KEYS)}")
    for k in ("test", "field", "response", "analysis", "link"):
        if k in raw and not isinstance(raw[k], str):
            raise fail(f"{k} must be a string")
    for k in ("rule", "state"):
        if k in raw and not (isinstance(raw[k], str) or (
                isinstance(raw[k], list) and all(isinstance(v, str) for v in raw[k]))):
            raise fail(f"{k} must be a string or a list of strings")
    frame = raw.get("frame", {})
    if not isinstance(frame, dict) or not all(
            k.partition(".")[0] in ("sent", "answer") and "." in k for k in frame):
        raise fail("frame must be a table of sent.<layer>.<field> / answer.<layer>.<field>")
    return Entry(reason.strip(), raw.get("test"), _names(raw.get("rule")),
                 _names(raw.get("state")), raw.get("field"), raw.get("response"),
                 tuple(sorted(frame.items())), raw.get("analysis"), raw.get("link"))


def _names(value: str | list[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def load(target: str, directory: Any = None, analyses_module: str | None = None) -> Store:
    """The ``[[divergence]]`` entries of ``<target>.toml`` and, for entries naming an
    analysis, the ``ANALYSES`` table of ``analyses_module`` (the target's own)."""
    path, data = read(target, directory)
    entries = tuple(_entry(str(path), i, raw) for i, raw in enumerate(data.get("divergence", [])))
    analyses: Mapping[str, Analysis] = {}
    wanted = {e.analysis for e in entries if e.analysis}
    if wanted:
        if analyses_module is None:
            raise ExpectationsError(f"{path}: entries name analyses but target {target} has none")
        analyses = importlib.import_module(analyses_module).ANALYSES
        missing = wanted - set(analyses)
        if missing:
            raise ExpectationsError(f"{path}: unknown analysis {', '.join(sorted(missing))}")
    return Store(target, entries, analyses)

