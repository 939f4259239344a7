"""The one divergence type: how a target's behaviour left the oracle's allowed set (DESIGN
principle 3), for the suites' timeline replay and every fuzz engine alike. JSON-safe.

Kinds:

- ``field``: a frame answered a prediction, with a field outside its allowed set;
- ``missing``: the oracle predicted a frame the target did not send;
- ``unexpected``: the target sent a frame the oracle did not predict;
- ``call``: a DUT socket call returned another value or errno than the oracle's;
- ``liveness``: the target stopped answering, died, or its kernel complained.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from reference_stack.wire.tcp import flags_str

KINDS = ("field", "missing", "unexpected", "call", "liveness")
HOST_STATE = "host"  # a divergence on a frame that is not a TCP segment of a connection
ETH_P_IP = b"\x08\x00"
ETH_P_ARP = b"\x08\x06"
_L4_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}
ICMP_TYPES = frozenset((0, 3, 4, 5, 8, 11, 12, 13, 14, 15, 16, 17, 18))  # RFC 792, RFC 950
ETH_P_IPV6_OCTETS = b"\x86\xdd"
# RFC 4443 errors and echo, MLD (RFC 2710, 3810), ND (RFC 4861)
ICMPV6_TYPES = frozenset((1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143))


@dataclass(frozen=True)
class Divergence:
    kind: str
    field: str
    expected: str
    actual: str
    rule: str  # the rule id the oracle applied (reference_stack.trace)
    frame: str = ""  # the frame (or call) concerned, summarised
    state: str = ""  # the oracle's TCP state for the frame's connection, or "host"
    frame_kind: str = ""  # frame_kind() of a missing or unexpected frame (response class)
    reason: str | None = None  # the analysed entry that explains it (conformance.judge.store)

    @property
    def explained(self) -> bool:
        return self.reason is not None

    def explained_by(self, reason: str) -> Divergence:
        return replace(self, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        d = {"kind": self.kind, "field": self.field, "expected": self.expected,
             "actual": self.actual, "rule": self.rule, "frame": self.frame,
             "state": self.state, "frame_kind": self.frame_kind,
             "explained": self.reason is not None}
        if self.reason is not None:
            d["reason"] = self.reason
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Divergence:
        return cls(d.get("kind", "field"), d.get("field", ""), str(d.get("expected", "")),
                   str(d.get("actual", "")), d.get("rule", ""), d.get("frame", ""),
                   d.get("state", ""), d.get("frame_kind", ""), d.get("reason"))


def text(value: Any) -> str:
    """A value as the divergence records it: bytes in hex (64 octets at most), else str()."""
    if isinstance(value, bytes):
        return value[:64].hex() + ("..." if len(value) > 64 else "")
    return "" if value is None else str(value)


def frame_kind(frame: bytes) -> str:
    """A short class name for a frame: ``tcp:S``, ``tcp:R.``, ``icmp:8``, ``udp``, ``arp``,
    ``ipv4-frag``, ``ipv4-bad``, ``ipv4-other``, ``eth-other`` (byte-level: hot path)."""
    ethertype = frame[12:14]
    if ethertype == ETH_P_ARP:
        return "arp"
    if ethertype == ETH_P_IPV6_OCTETS and len(frame) >= 54:
        return _ipv6_kind(frame)
    if ethertype != ETH_P_IP or len(frame) < 34:
        return "eth-other"
    if frame[14] >> 4 != 4 or frame[14] & 0x0F < 5:
        return "ipv4-bad"
    if int.from_bytes(frame[20:22], "big") & 0x3FFF:
        return "ipv4-frag"
    protocol = frame[23]
    name = _L4_NAMES.get(protocol, "ipv4-other")
    off = 14 + (frame[14] & 0x0F) * 4
    if protocol == 6 and len(frame) >= off + 14:
        return f"tcp:{flags_str(frame[off + 13])}"
    if protocol == 1 and len(frame) > off:
        return f"icmp:{frame[off]}" if frame[off] in ICMP_TYPES else "icmp:other"
    return name


# IPv6 extension headers (RFC 8200 4): Hop-by-Hop, Routing, Fragment, ESP, AH, Dest. Options.
_IPV6_EXT = frozenset((0, 43, 44, 50, 51, 60))


def _ipv6_kind(frame: bytes) -> str:
    """``tcp6:S``, ``udp6``, ``icmpv6:128`` (RFC 4443 and 4861 types by number, others
    ``icmpv6:other``), ``ipv6-frag``, ``ipv6-ext`` (another extension header first),
    ``ipv6-other``, ``ipv6-bad`` (not version 6): the header right after the fixed one."""
    if frame[14] >> 4 != 6:
        return "ipv6-bad"
    nh = frame[20]
    if nh == 6 and len(frame) >= 68:
        return f"tcp6:{flags_str(frame[67])}"
    if nh == 17:
        return "udp6"
    if nh == 58:
        return f"icmpv6:{frame[54]}" if frame[54] in ICMPV6_TYPES else "icmpv6:other"
    if nh == 44:
        return "ipv6-frag"
    return "ipv6-ext" if nh in _IPV6_EXT else "ipv6-other"


def response_class(divergences: list[Divergence] | tuple[Divergence, ...]) -> str:
    """A coarse, stable description of how a response diverged (for deduplication): frames
    missing or unexpected by kind, fields by layer (``field:icmpv4``, ``field:tcp.opt``),
    calls by name."""
    parts = set()
    for d in divergences:
        if d.kind in ("missing", "unexpected"):
            parts.add(f"{d.kind}:{d.frame_kind}")
        elif d.kind == "field":
            parts.add(f"field:{d.field.rsplit('.', 1)[0]}")
        else:
            parts.add(f"{d.kind}:{d.field}")
    return ",".join(sorted(parts))
