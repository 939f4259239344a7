"""The target's behaviour fingerprint: the choices it made where the RFCs leave latitude.

Where an RFC allows several outputs (DESIGN principle 3), the oracle's prediction allows them
and the target's frame resolves the choice: its TTL, its SYN's window and shift, its option
layout, how late its delayed ACK came. The lockstep replay tells a :class:`Fingerprint` every
prediction a target frame answered (``Matcher.on_match``); it keeps, per choice, the value the
target took, the frame (its kind and the rule the oracle applied to it) and the RFC text that
allows the latitude (:data:`CHOICES`). Two runs are compared choice by choice
(``reports/behaviour.py``): a kernel change that stays inside the RFCs is then a visible
change, not two passing runs.

What is recorded is what is stable between two runs of one kernel, so a diff shows changes
and not noise:

- values the RFCs leave free and a stack fixes by configuration: TTL and hop limit, DF, a
  SYN's window, window scale and MSS, the TCP option layout;
- free values that are random per connection (ISN, TSval, ephemeral port, a flow label, the
  IP ID) only as a policy class (``zero``/``nonzero``, the IP ID's step on a connection);
- timing as a class: a timer's interval on a 1-2-5 ladder (``immediate`` under 25 ms, then
  ``~50ms`` for 25-71 ms, ``~100ms`` for 71-141 ms, ``~200ms``, ``~500ms``, ``~1s``, ...: each
  class spans a factor of two or more around its name, so a timer's jitter stays inside it);
  an ACK's delay as ``immediate``, ``delayed`` or ``delayed >300ms`` (:func:`delay_class`);
- the initial window as the number of data segments a connection's first flight held (the
  predictions of one step of the oracle, which the target's segments met);
- which ICMP errors the target sent (type/code).

Entries are aggregated per (field, frame kind): the distinct values, sorted, with the first
such frame's summary and the oracle's rules for those frames (the first one as ``rule``).
Not per rule: one frame may meet a timer's prediction in one run and a step's in the next
(a tail loss probe racing the tester's ACK), so the rule is shown, not compared. JSON-safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from conformance.judge.divergence import frame_kind
from reference_stack.variance import Prediction, jsonable
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import Dissected, dissect

DELAY_KEY = "timing.delay_ms"

# field -> the RFC text that leaves it to the sender (the variance the rfc profile allows:
# reference_stack/iface/state.py ip_variance, iface/ipv6_output.py, tcp/variance.py,
# tcp/output.py MAY_DELAY).
CHOICES: dict[str, str] = {
    "ipv4.ttl": "RFC 1122 3.2.1.7: any TTL but zero is the sender's choice",
    "ipv4.df": "RFC 1191 3: setting DF (path MTU discovery) is the sender's choice",
    "ipv4.ident": "RFC 6864 4.1: an atomic datagram's ID is free (policy class)",
    "ipv6.hop_limit": "RFC 8200 3: the hop limit is the sender's choice",
    "ipv6.flow_label": "RFC 6437 3: a source sets a flow label or zero (policy class)",
    "tcp.window": "RFC 9293 3.8.6, RFC 7323 2.2: the window a SYN offers is the receiver's",
    "tcp.opt.wscale": "RFC 7323 2.3: the shift offered is the receiver's choice, 0 to 14",
    "tcp.opt.mss": "RFC 9293 3.7.1, RFC 6691 2: any MSS up to the MTU less 40",
    "tcp.options": "RFC 9293 3.1: which options and in which order is the sender's choice",
    "tcp.initial_window": "RFC 5681 3.1, RFC 6928: the initial window (segments) is the "
                          "sender's, up to its IW",
    "timing.ack_delay": "RFC 1122 4.2.3.2, RFC 9293 3.8.6.3: an ACK may be delayed, under "
                        "0.5 s (class)",
    "timing.retransmission": "RFC 6298 2, 5: a timer's interval is the sender's within the "
                             "RFC's bounds (class: time since the flow's previous frame)",
    "icmp.error": "RFC 1122 3.2.2, RFC 4443 2.4: which ICMP errors a host sends (type/code)",
}

# Per frame, read from the dissected frame (only where the layer is there).
_SYN_ONLY = ("tcp.window", "tcp.opt.wscale", "tcp.opt.mss")
ICMPV4_ERRORS = frozenset((3, 4, 5, 11, 12))  # RFC 792
ICMPV6_ERRORS = frozenset((1, 2, 3, 4))  # RFC 4443 2.1
IMMEDIATE_S = 0.025
DELAYED_MAX_S = 0.3
SHORT_TIMER_S = 0.071  # below the "~100ms" class: see Fingerprint.on_match
IDENT_STEP_MAX = 8  # a per-connection counter's step (Linux: inet_id += segments)


def timing_class(seconds: float) -> str:
    """A duration as a class stable under jitter: ``immediate`` under 25 ms, else the
    nearest value of the 1-2-5 ladder on a log scale (``~200ms``, ``~1s``, ``~2s``)."""
    if seconds < IMMEDIATE_S:
        return "immediate"
    ms = seconds * 1000
    decade = 10 ** math.floor(math.log10(ms))
    best = min((step * decade for step in (1, 2, 5, 10)),
               key=lambda v: abs(math.log(ms / v)))
    return f"~{best / 1000:g}s" if best >= 1000 else f"~{best:g}ms"


def delay_class(seconds: float) -> str:
    """An ACK's delay as a class: ``immediate`` (under 25 ms), ``delayed`` (up to 300 ms:
    Linux's delayed-ACK timeout adapts between TCP_ATO_MIN, 40 ms, and TCP_DELACK_MAX, 200 ms,
    to the arrival pattern, so two runs of one kernel land anywhere in it: measured 40 ms and
    80-100 ms in one test), ``delayed >300ms`` (towards RFC 1122's 0.5 s bound)."""
    if seconds < IMMEDIATE_S:
        return "immediate"
    return "delayed" if seconds <= DELAYED_MAX_S else "delayed >300ms"


def kind_of(frame: bytes, d: Dissected) -> str:
    """A short class of a frame (``tcp:S.``, ``icmp:3``), IPv6 ones prefixed ``ipv6 ``. A
    TCP segment's PSH is left out: where a stack sets it on data is its choice per segment
    (tcp/variance.py), not a class of frame."""
    if d.tcp is not None:
        prefix = "ipv6 " if d.ipv6 is not None else ""
        return f"{prefix}tcp:{tcpw.flags_str(d.tcp.flags & ~tcpw.PSH)}"
    if d.ipv6 is None:
        return frame_kind(frame)
    if d.icmpv6 is not None:
        return f"ipv6 icmp:{d.icmpv6.type}"
    return "ipv6 udp" if d.udp is not None else "ipv6"


def summary_of(d: Dissected) -> str:
    """The frame's summary from the IP layer on (its Ethernet header is the link's)."""
    parts = d.summary().split(" | ")
    return " | ".join(parts[1:] if len(parts) > 1 and parts[0].startswith("Ether") else parts)


def flow_of(d: Dissected) -> tuple:
    """Both directions of a flow alike: protocol and the unordered pair of endpoints."""
    ip = d.ipv4 or d.ipv6
    if ip is None:
        return ()
    l4 = d.tcp or d.udp
    ports = (l4.src_port, l4.dst_port) if l4 is not None else (0, 0)
    ends = sorted(((ip.src, ports[0]), (ip.dst, ports[1])))
    return ("tcp" if d.tcp else "udp" if d.udp else "ip", *ends)


@dataclass
class Choice:
    """One (field, frame kind) of a test: the values the target took there."""

    field: str
    kind: str
    rules: list[str]  # the oracle's rules for these frames, the first frame's first
    frame: str  # the first such frame, summarised
    values: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        values = sorted(self.values, key=repr)
        return {"field": self.field, "value": values[0] if len(values) == 1 else values,
                "kind": self.kind, "rule": self.rules[0], "rules": sorted(self.rules),
                "frame": self.frame, "allows": CHOICES[self.field]}


class Fingerprint:
    """The choices of one test's target, told by the matcher (``on_match``) and the replay
    (``tester_frame``, for the timing of a flow)."""

    def __init__(self) -> None:
        self.choices: dict[tuple[str, str], Choice] = {}
        self.last_seen: dict[tuple, float] = {}  # flow -> time of its latest frame
        self.last_ident: dict[tuple, int] = {}  # TCP flow -> the target's latest IP ID
        self.first_flight: dict[tuple, tuple[float, int, str, str, str]] = {}

    # -- told by the replay ------------------------------------------------------------------
    def tester_frame(self, frame: bytes, t: float) -> None:
        flow = flow_of(dissect(frame))
        if flow:
            self.last_seen[flow] = t

    def on_match(self, prediction: Prediction, made_at: float, timer: bool, frame: bytes,
                 t: float) -> None:
        """A target frame at ``t`` answered ``prediction`` (made at ``made_at``, by one of
        the oracle's timers when ``timer``)."""
        d = dissect(frame)
        kind, rule, summary = kind_of(frame, d), prediction.rule, summary_of(d)
        flow = flow_of(d)

        def put(name: str, value: Any) -> None:
            key = (name, kind)
            choice = self.choices.get(key)
            if choice is None:
                choice = self.choices[key] = Choice(name, kind, [rule], summary)
            elif rule not in choice.rules:
                choice.rules.append(rule)
            value = jsonable(value)
            if value not in choice.values:
                choice.values.append(value)

        self._ip_choices(d, flow, put)
        self._tcp_choices(d, put)
        self._icmp_choice(d, put)
        if DELAY_KEY in prediction.variance:
            put("timing.ack_delay", delay_class(t - made_at))
        if timer and flow in self.last_seen:
            interval = t - self.last_seen[flow]
            if interval >= SHORT_TIMER_S:
                # A timer frame sooner after the flow's previous frame races the tester's
                # answer (a tail loss probe's 2 RTT on a veth against a Python tester's ACK):
                # one run meets it with a timer's prediction, the next the ACK came first.
                put("timing.retransmission", timing_class(interval))
        if d.tcp is not None and d.tcp.payload and not timer:
            self._flight(flow, made_at, kind, rule, summary)
        if flow:
            self.last_seen[flow] = t

    # -- the choices ---------------------------------------------------------------------------
    def _ip_choices(self, d: Dissected, flow: tuple, put: Any) -> None:
        if d.ipv4 is not None:
            put("ipv4.ttl", d.ipv4.ttl)
            put("ipv4.df", bool(d.ipv4.df))
            put("ipv4.ident", self._ident_class(d, flow))
        elif d.ipv6 is not None:
            put("ipv6.hop_limit", d.ipv6.hop_limit)
            put("ipv6.flow_label", "zero" if not d.ipv6.flow_label else "nonzero")

    def _ident_class(self, d: Dissected, flow: tuple) -> str:
        """``zero``; on a TCP connection the step from the target's previous datagram
        (``+1``: a counter; ``other``), its first one ``nonzero``; elsewhere ``nonzero``
        (Linux's ICMP and UDP IDs come from a hashed, time-perturbed counter: ip_idents_reserve,
        whose step between two datagrams is noise)."""
        ident = d.ipv4.ident
        if d.tcp is None:
            return "zero" if not ident else "nonzero"
        prev = self.last_ident.get(flow)
        self.last_ident[flow] = ident
        if not ident:
            return "zero"
        if not prev:
            return "nonzero"
        step = (ident - prev) % 65536
        return f"+{step}" if step <= IDENT_STEP_MAX else "other"

    def _tcp_choices(self, d: Dissected, put: Any) -> None:
        if d.tcp is None:
            return
        seg = d.tcp
        put("tcp.options", tuple(type(o).__name__ for o in seg.options))
        if seg.flags & tcpw.SYN:
            put("tcp.window", seg.window)
            put("tcp.opt.wscale", seg.window_scale)
            put("tcp.opt.mss", seg.mss)

    def _icmp_choice(self, d: Dissected, put: Any) -> None:
        if d.icmpv4 is not None and d.icmpv4.type in ICMPV4_ERRORS:
            put("icmp.error", f"{d.icmpv4.type}/{d.icmpv4.code}")
        elif d.icmpv6 is not None and d.icmpv6.type in ICMPV6_ERRORS:
            put("icmp.error", f"v6 {d.icmpv6.type}/{d.icmpv6.code}")

    def _flight(self, flow: tuple, made_at: float, kind: str, rule: str, summary: str) -> None:
        """The first step that predicted data on a flow is its first flight: the initial
        window, as far as the data sent fills it."""
        first = self.first_flight.get(flow)
        if first is None:
            self.first_flight[flow] = (made_at, 1, kind, rule, summary)
        elif first[0] == made_at:
            self.first_flight[flow] = (made_at, first[1] + 1, *first[2:])

    # -- the result ----------------------------------------------------------------------------
    def entries(self) -> list[dict[str, Any]]:
        """The choices, JSON-safe, in a stable order (field, kind)."""
        choices = dict(self.choices)
        for _, count, kind, rule, summary in self.first_flight.values():
            key = ("tcp.initial_window", kind)
            choice = choices.setdefault(key, Choice(key[0], kind, [rule], summary))
            if count not in choice.values:
                choice.values.append(count)
        return [choices[key].to_dict() for key in sorted(choices)]
