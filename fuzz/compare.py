"""Comparing what the target sent with what the oracle predicted (DESIGN principle 3: a
divergence is real only outside the allowed set).

Predictions and actual frames are paired in order. A prediction with ``timing.delay_ms``
latitude may be missing (the target may delay it, e.g. a delayed ACK, RFC 9293 3.8.6.3);
any other missing or extra frame is a divergence, as is a field outside its constraint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fuzz.frames import frame_kind
from reference_stack.variance import Prediction, jsonable

DELAY_KEY = "timing.delay_ms"


@dataclass(frozen=True)
class Mismatch:
    """One way the target's response left the allowed set."""

    kind: str  # "field" | "missing" | "unexpected"
    rule: str
    field: str = ""
    expected: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "field": self.field,
                "expected": jsonable(self.expected), "actual": jsonable(self.actual)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Mismatch:
        return cls(d["kind"], d["rule"], d.get("field", ""), d.get("expected"), d.get("actual"))


def compare(predictions: tuple[Prediction, ...], actual: list[bytes], bindings: dict[str, int],
            deciding_rule: str,
            timer_frames: Callable[[], tuple[Prediction, ...]] | None = None) -> list[Mismatch]:
    """Mismatches between the oracle's predictions and the frames the target sent.
    ``deciding_rule`` names the oracle's last decision, blamed for frames it did not predict.
    ``timer_frames``, asked only when the response diverges: frames the oracle's timers sent
    about now (a retransmission, RFC 6298 5.4, or a loss probe, RFC 8985 7.3). The target's
    own timer fires at its own moment, so its copy may or may not be among ``actual``, in any
    place: a frame one of them allows is timer-driven, not part of the response."""
    trial = dict(bindings)
    found = _paired(predictions, actual, trial, deciding_rule)
    if found and timer_frames is not None:
        rest = _without_timer_frames(timer_frames(), actual, bindings)
        if len(rest) < len(actual):
            retrial = dict(bindings)
            alternative = _paired(predictions, rest, retrial, deciding_rule)
            if len(alternative) < len(found):
                found, trial = alternative, retrial
    bindings.update(trial)
    return found


def _paired(predictions: tuple[Prediction, ...], actual: list[bytes], bindings: dict[str, int],
            deciding_rule: str) -> list[Mismatch]:
    out: list[Mismatch] = []
    remaining = list(actual)
    for pred in predictions:
        if not remaining:
            if DELAY_KEY not in pred.variance:
                out.append(Mismatch("missing", pred.rule, "frame", frame_kind(pred.frame), None))
            continue
        frame = remaining.pop(0)
        out.extend(Mismatch("field", d.rule, d.field, d.expected, d.actual)
                   for d in pred.check(frame, bindings))
    out.extend(Mismatch("unexpected", deciding_rule, "frame", None, frame_kind(f))
               for f in remaining)
    return out


def _without_timer_frames(optional: tuple[Prediction, ...], actual: list[bytes],
                          bindings: dict[str, int]) -> list[bytes]:
    """``actual`` without the frames an optional prediction allows (each allows one)."""
    rest = list(actual)
    for pred in optional:
        for i, frame in enumerate(rest):
            if not pred.check(frame, dict(bindings)):
                del rest[i]
                break
    return rest


def response_class(mismatches: list[Mismatch]) -> str:
    """A coarse, stable description of how a response diverged (for deduplication): frames
    missing or unexpected by kind, fields by layer (``field:icmpv4``, ``field:tcp.opt``)."""
    parts = sorted({
        f"{m.kind}:{m.expected if m.kind == 'missing' else m.actual}" if m.kind != "field"
        else f"field:{m.field.rsplit('.', 1)[0]}"
        for m in mismatches
    })
    return ",".join(parts)
