"""Geometry of a packet ladder diagram (tester on the left, target on the right).

Only numbers and plain strings are computed here; the SVG is written by a Jinja template
(autoescaped), so nothing from the network reaches the page unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
TESTER_X = 150
TARGET_X = 590
HEAD = 44  # room for the two column titles
ROW = 36  # vertical distance between two frames
MAX_FRAMES = 200  # a longer exchange is cut, with a note (the pcap has all of it)
MAX_LABEL = 60


@dataclass(frozen=True)
class Arrow:
    x1: int
    x2: int
    y: int
    label: str  # flags, seq/ack, length (or the summary when those are absent)
    time: str  # time since the first frame
    title: str  # the full one-line summary, shown as a tooltip
    direction: str  # "out" (tester to target) or "in" (target to tester)


@dataclass(frozen=True)
class Ladder:
    width: int
    height: int
    tester_x: int
    target_x: int
    target: str
    arrows: tuple[Arrow, ...]
    omitted: int  # frames not drawn


def build_ladder(frames: list[dict], target: str) -> Ladder:
    """Lay out frames as arrows between the tester and the target lifelines."""
    shown = frames[:MAX_FRAMES]
    start = _number(shown[0].get("t")) if shown else 0.0
    arrows = []
    for row, frame in enumerate(shown):
        outgoing = frame.get("dir") != "in"
        x1, x2 = (TESTER_X, TARGET_X) if outgoing else (TARGET_X, TESTER_X)
        elapsed = _number(frame.get("t")) - start
        arrows.append(Arrow(
            x1=x1, x2=x2, y=HEAD + row * ROW + ROW // 2,
            label=_clip(frame_label(frame)),
            time=f"+{elapsed * 1000:.3f} ms",
            title=str(frame.get("summary") or ""),
            direction="out" if outgoing else "in",
        ))
    height = HEAD + max(len(shown), 1) * ROW + 8
    return Ladder(WIDTH, height, TESTER_X, TARGET_X, target, tuple(arrows),
                  len(frames) - len(shown))


def frame_label(frame: dict) -> str:
    """Short text for one frame: TCP-like frames by flags, seq/ack and length; others by the
    innermost layer of their summary (e.g. "ICMP echo request id=1 seq=1 len=18")."""
    summary = str(frame.get("summary") or "")
    if summary and not frame.get("flags") and frame.get("seq") is None:
        return summary.rsplit(" | ", 1)[-1]
    parts = []
    if frame.get("proto"):
        parts.append(str(frame["proto"]))
    if frame.get("flags"):
        parts.append(f"[{frame['flags']}]")
    for key in ("seq", "ack", "len"):
        if frame.get(key) is not None:
            parts.append(f"{key}={frame[key]}")
    return " ".join(parts)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "\u2026"


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
