"""Geometry of a packet ladder diagram (tester on the left, target on the right).

Only numbers and plain strings are computed here; the SVG is written by a Jinja template
(autoescaped), so nothing from the network reaches the page unescaped. Each arrow carries its
TCP flags, sequence numbers relative to the flow's first one (as Wireshark shows them) and TCP
options as text; frames are decoded from their ``hex`` (reports.decode: IPv4, IPv6, ICMPv6,
NDP), else from the row's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.decode import Decoded, decode_hex

WIDTH = 700
TESTER_X = 170
TARGET_X = 650
HEAD = 44  # room for the two column titles
ROW = 44  # vertical distance between two frames (label above the arrow, options below)
MAX_FRAMES = 200  # a longer exchange is cut, with a note (the pcap has all of it)
MAX_LABEL = 64


@dataclass(frozen=True)
class Arrow:
    x1: int
    x2: int
    y: int
    label: str  # protocol, ports, flags, relative seq/ack, length (or the summary's last layer)
    options: str  # TCP options ("mss=1460 sackOK ts=1/0 ws=7"), or ICMP/NDP detail, or ""
    time: str  # time since the first frame
    title: str  # the full one-line summary and absolute numbers, shown as a tooltip
    direction: str  # "out" (tester to target) or "in" (target to tester)
    offending: bool = False  # a frame the failed expectation named


@dataclass(frozen=True)
class Window:
    """The rows an expectation looked at: from its stimulus to the last frame it judged."""
    y: int
    height: int


@dataclass(frozen=True)
class Ladder:
    width: int
    height: int
    tester_x: int
    target_x: int
    target: str
    arrows: tuple[Arrow, ...]
    omitted: int  # frames not drawn
    window: Window | None = None


def build_ladder(frames: list[dict], target: str, offending: frozenset[int] = frozenset(),
                 window: tuple[int, int] | None = None) -> Ladder:
    """Lay out frames as arrows between the tester and the target lifelines.

    ``offending`` holds indexes of frames to highlight; ``window`` a (first, last) index range
    drawn as a band behind the arrows.
    """
    shown = frames[:MAX_FRAMES]
    start = _number(shown[0].get("t")) if shown else 0.0
    bases: dict[tuple, int] = {}
    arrows = []
    for row, frame in enumerate(shown):
        outgoing = frame.get("dir") != "in"
        x1, x2 = (TESTER_X, TARGET_X) if outgoing else (TARGET_X, TESTER_X)
        elapsed = _number(frame.get("t")) - start
        label, options, absolute = describe_frame(frame, bases)
        summary = str(frame.get("summary") or "")
        arrows.append(Arrow(
            x1=x1, x2=x2, y=_y(row),
            label=_clip(label), options=_clip(options),
            time=f"+{elapsed * 1000:.3f} ms",
            title=" \u2014 ".join(part for part in (summary, absolute) if part),
            direction="out" if outgoing else "in",
            offending=row in offending,
        ))
    band = None
    if window is not None and shown:
        first, last = max(window[0], 0), min(window[1], len(shown) - 1)
        if first <= last:
            band = Window(_y(first) - ROW // 2, (last - first + 1) * ROW)
    height = HEAD + max(len(shown), 1) * ROW + 8
    return Ladder(WIDTH, height, TESTER_X, TARGET_X, target, tuple(arrows),
                  len(frames) - len(shown), band)


def _y(row: int) -> int:
    return HEAD + row * ROW + ROW // 2


def describe_frame(frame: dict, bases: dict[tuple, int] | None = None) -> tuple[str, str, str]:
    """(label, options line, absolute numbers) of one frame.

    ``bases`` (flow -> first sequence number) is updated, so that a ladder's sequence and
    acknowledgment numbers are relative to each flow's first segment.
    """
    bases = {} if bases is None else bases
    esp = frame.get("esp")
    if isinstance(esp, dict):
        # An ESP frame opened with the test's SA (conformance/cli/esp_frames.py): the ESP
        # header on the arrow, the inner packet under it.
        # With ESN, the high half the ICV verified with (RFC 4303 2.2.1: never sent).
        high = f" (ESN high {esp['seq_high']})" if esp.get("seq_high") is not None else ""
        return (f"ESP spi={esp.get('spi')} seq={esp.get('seq')}{high}",
                f"\u21b3 {esp.get('inner', '')}", str(esp.get("sa", "")))
    decoded = decode_hex(frame.get("hex"))
    if decoded is not None and decoded.proto:
        return _decoded_label(decoded, bases)
    if decoded is not None and decoded.network == "IPv6":
        return f"IPv6 {decoded.detail}".strip(), "", f"{decoded.src} > {decoded.dst}"
    return _row_label(frame, bases)


def _decoded_label(d: Decoded, bases: dict[tuple, int]) -> tuple[str, str, str]:
    prefix = d.proto if d.network != "IPv6" or d.proto == "ICMPv6" else f"{d.proto}/IPv6"
    addresses = f"{d.src} > {d.dst}"
    if d.proto == "ICMPv6" or d.proto == "ICMP":
        length = f" len={d.length}" if d.length else ""
        return f"{prefix} {d.detail}{length}", "", addresses
    parts = [prefix, f"{d.sport}\u2192{d.dport}"]
    absolute = addresses
    if d.proto == "TCP":
        flow = (d.src, d.dst, d.sport, d.dport)
        reverse = (d.dst, d.src, d.dport, d.sport)
        parts.append(f"[{d.flags or '.'}]")
        parts += _relative(d.seq, d.ack, "A" in d.flags, flow, reverse, bases)
        absolute += f" seq={d.seq} ack={d.ack}"
    parts.append(f"len={d.length}")
    return " ".join(parts), " ".join(d.options), absolute


def _row_label(frame: dict, bases: dict[tuple, int]) -> tuple[str, str, str]:
    """Rows without decodable bytes: the row's own fields, or the summary's last layer."""
    summary = str(frame.get("summary") or "")
    if summary and not frame.get("flags") and frame.get("seq") is None:
        return summary.rsplit(" | ", 1)[-1], "", ""
    parts = []
    if frame.get("proto"):
        parts.append(str(frame["proto"]))
    if frame.get("flags"):
        parts.append(f"[{frame['flags']}]")
    seq, ack = frame.get("seq"), frame.get("ack")
    absolute = ""
    if isinstance(seq, int):
        flow = ("row", frame.get("dir") != "in")
        reverse = ("row", frame.get("dir") == "in")
        has_ack = isinstance(ack, int) and ("A" in str(frame.get("flags")) or ack != 0)
        parts += _relative(seq, ack if has_ack else None, has_ack, flow, reverse, bases)
        absolute = "" if summary else f"seq={seq} ack={ack}"  # a summary has them already
    if frame.get("len") is not None:
        parts.append(f"len={frame['len']}")
    return " ".join(parts), str(frame.get("options") or ""), absolute


def _relative(seq, ack, ack_valid: bool, flow: tuple, reverse: tuple,
              bases: dict[tuple, int]) -> list[str]:
    """seq relative to this flow's first seq; ack relative to the other direction's."""
    if not isinstance(seq, int):
        return []
    base = bases.setdefault(flow, seq)
    parts = [f"seq={(seq - base) % 2**32}"]
    if ack_valid and isinstance(ack, int):
        other = bases.get(reverse)
        parts.append(f"ack={(ack - other) % 2**32}" if other is not None else f"ack={ack}")
    return parts


def frame_label(frame: dict) -> str:
    """The arrow label of a single frame (numbers relative to itself)."""
    return describe_frame(frame)[0]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "\u2026"


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
