"""Allowed variance: a prediction is a frame plus, per field, the set of outputs the RFCs allow.

Field paths are `layer.field` over the dissected frame (`eth.dst`, `ipv4.ident`, `tcp.seq`), plus
TCP option values under `tcp.opt.*` (`mss`, `wscale`, `sackperm`, `tsval`, `tsecr`, `sack`) and
the option layout as `tcp.options` (a tuple of option type names). Checksum fields compare
validity (`True` = the checksum on the wire is correct), since a correct checksum is what the
RFCs require whatever the other fields hold. A field without a constraint must match exactly.

Entries under `timing.` are not frame fields and `check()` ignores them: they tell the caller
about latitude in *when* the frame is due (`timing.delay_ms`: the RFCs let this frame be delayed
by that many milliseconds, or merged into the next one, e.g. a delayed ACK).

`check()` resolves relations ("ack == their ISN + 1") against `bindings`, a dict the caller keeps
across the predictions of one exchange: `AnyValue(bind="isn")` records what the target chose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from reference_stack.wire.frame import Dissected, dissect

MOD32 = 1 << 32


@dataclass(frozen=True, slots=True)
class Exact:
    value: Any

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        return actual == self.value

    def describe(self) -> Any:
        return jsonable(self.value)


@dataclass(frozen=True, slots=True)
class AnyValue:
    """Any value is allowed (ISN, IP ident, TSval); `bind` records the actual value by name."""

    bind: str | None = None

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        if self.bind is not None:
            bindings[self.bind] = actual
        return True

    def describe(self) -> Any:
        return "*" if self.bind is None else f"*->{self.bind}"


@dataclass(frozen=True, slots=True)
class Range:
    lo: int
    hi: int

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        return isinstance(actual, int) and self.lo <= actual <= self.hi

    def describe(self) -> Any:
        return f"[{self.lo}, {self.hi}]"


@dataclass(frozen=True, slots=True)
class OneOf:
    values: tuple[Any, ...]

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        return actual in self.values

    def describe(self) -> Any:
        return {"one_of": [jsonable(v) for v in self.values]}


@dataclass(frozen=True, slots=True)
class Relation:
    """actual == bindings[var] + offset (mod `modulus`); an unbound var is bound by this field."""

    var: str
    offset: int = 0
    modulus: int = MOD32

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        if not isinstance(actual, int):
            return False
        if self.var not in bindings:
            bindings[self.var] = (actual - self.offset) % self.modulus
            return True
        return actual == (bindings[self.var] + self.offset) % self.modulus

    def describe(self) -> Any:
        return f"{self.var}{self.offset:+d}"


@dataclass(frozen=True, slots=True)
class PrefixOf:
    """A byte string that is a prefix of `value` at least `min_len` long (ICMP error quotes)."""

    value: bytes
    min_len: int

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        return (isinstance(actual, bytes) and len(actual) >= min(self.min_len, len(self.value))
                and self.value.startswith(actual))

    def describe(self) -> Any:
        return {"prefix_of": self.value.hex(), "min_len": self.min_len}


@dataclass(frozen=True, slots=True)
class Masked:
    """A byte string of ``value``'s length equal to it outside the ``free`` spans (start,
    end): octets the sender draws at random, e.g. a DAD solicitation's nonce (RFC 7527);
    ``bind`` records the first span's actual octets (as an integer) by that name."""

    value: bytes
    free: tuple[tuple[int, int], ...]
    bind: str | None = None

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        if not isinstance(actual, bytes) or len(actual) != len(self.value):
            return False
        fixed = bytearray(actual)
        for start, end in self.free:
            fixed[start:end] = self.value[start:end]
        if bytes(fixed) != self.value:
            return False
        if self.bind is not None and self.free:
            start, end = self.free[0]
            bindings[self.bind] = int.from_bytes(actual[start:end], "big")
        return True

    def describe(self) -> Any:
        return {"masked": self.value.hex(), "free": [list(span) for span in self.free]}


IGNORED_OPTION_KINDS = ("TcpOptNop", "TcpOptEol")


@dataclass(frozen=True, slots=True)
class Unordered:
    """The same option kinds in any order, NOP and EOL padding ignored."""

    value: tuple[str, ...]

    def allows(self, actual: Any, bindings: dict[str, int]) -> bool:
        def norm(kinds: Any) -> list[str]:
            return sorted(k for k in kinds if k not in IGNORED_OPTION_KINDS)
        return isinstance(actual, tuple) and norm(actual) == norm(self.value)

    def describe(self) -> Any:
        return {"unordered": list(self.value)}


Constraint = Exact | AnyValue | Range | OneOf | Relation | PrefixOf | Masked | Unordered


@dataclass(frozen=True, slots=True)
class Divergence:
    field: str
    expected: Any
    actual: Any
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "expected": jsonable(self.expected),
                "actual": jsonable(self.actual), "rule": self.rule}


_new = object.__new__


class Prediction:
    """A frame the oracle emits, the rule that made it, and the variance allowed per field.

    Immutable, compared by (frame, rule, variance), like the frozen dataclass it was. The
    variance may be given as a function and its arguments (`Prediction.lazy`): it is then
    built on first read, so a caller that never reads it (a live link, the benchmark) does
    not pay for it. Its inputs are values fixed when the frame is emitted, so reading it
    later gives the dict the eager construction gives (tests/unit/refstack/
    test_lazy_predictions.py)."""

    # `_variance`: the dict, or (make, args) until first read; `_cache`: the dissection.
    __slots__ = ("_frame", "_rule", "_variance", "_cache")

    # Read-only (properties without a setter; the private slots are written only by the
    # constructors and the caches below): plain stores are cheaper than the object.__setattr__
    # a __setattr__ guard would need, on every frame the stack emits.
    frame = property(attrgetter("_frame"))
    rule = property(attrgetter("_rule"))

    def __init__(self, frame: bytes, rule: str,
                 variance: Mapping[str, Constraint] | None = None) -> None:
        self._frame = frame
        self._rule = rule
        self._variance = {} if variance is None else variance
        self._cache = None

    @classmethod
    def lazy(cls, frame: bytes, rule: str, make: Any, *args: Any) -> Prediction:
        """A prediction whose variance is `make(*args)`, built when first read."""
        return lazy_prediction(frame, rule, make, args)

    @property
    def variance(self) -> Mapping[str, Constraint]:
        v = self._variance
        if type(v) is tuple:
            make, args = v
            v = self._variance = make(*args)
        return v

    @property
    def dissected(self) -> Dissected:
        d = self._cache
        if d is None:
            d = self._cache = dissect(self._frame)
        return d

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.frame, self.rule, self.variance) == (other.frame, other.rule,
                                                          other.variance)

    def __hash__(self) -> int:
        return hash((self.frame, self.rule, self.variance))

    def __repr__(self) -> str:
        return (f"Prediction(frame={self.frame!r}, rule={self.rule!r}, "
                f"variance={self.variance!r})")

    def __reduce__(self) -> tuple:
        return (Prediction, (self.frame, self.rule, self.variance))

    def fields(self) -> dict[str, Any]:
        return flatten(self.dissected)

    def check(self, actual: bytes, bindings: dict[str, int] | None = None) -> list[Divergence]:
        """Compare an actual frame with this prediction; an empty list means it is allowed."""
        if bindings is None:
            bindings = {}
        expected = self.fields()
        got = flatten(dissect(actual))
        out: list[Divergence] = []
        for path, exp in expected.items():
            constraint = self.variance.get(path)
            if path not in got:
                if constraint is None or not isinstance(constraint, AnyValue):
                    out.append(Divergence(path, exp, None, self.rule))
                continue
            act = got[path]
            if constraint is None:
                if act != exp:
                    out.append(Divergence(path, exp, act, self.rule))
            elif not constraint.allows(act, bindings):
                out.append(Divergence(path, constraint.describe(), act, self.rule))
        for path in got.keys() - expected.keys():
            constraint = self.variance.get(path)
            if constraint is None or not constraint.allows(got[path], bindings):
                out.append(Divergence(path, None, got[path], self.rule))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.frame.hex(), "rule": self.rule,
                "summary": self.dissected.summary(),
                "variance": {k: v.describe() for k, v in self.variance.items()}}


_CONTAINER_PAYLOAD = {"eth": "arp ipv4 ipv6", "ipv4": "icmpv4 udp tcp",
                      "ipv6": "icmpv6 udp tcp"}


def flatten(d: Dissected) -> dict[str, Any]:
    """Field path -> value for every parsed layer of a dissected frame."""
    out: dict[str, Any] = {}
    ip = d.ipv4 or d.ipv6
    for layer in ("eth", "arp", "ipv4", "ipv6", "icmpv4", "icmpv6", "udp", "tcp"):
        r = getattr(d, layer)
        if r is None:
            continue
        out[layer] = "present"
        uppers = _CONTAINER_PAYLOAD.get(layer, "").split()
        for f in dataclasses.fields(r):
            name = f.name
            value = getattr(r, name)
            if name == "payload" and any(getattr(d, u) is not None for u in uppers):
                continue
            if name == "checksum":
                value = _checksum_valid(layer, r, ip)
            elif layer == "tcp" and name == "options":
                out.update(_tcp_option_fields(r))
                value = tuple(type(o).__name__ for o in value)
            out[f"{layer}.{name}"] = value
    if d.ipv6_ext is not None and d.ipv6_ext.headers:
        # The extension headers as a whole, by their octets (RFC 8200 4).
        out["ipv6.ext"] = b"".join(h.emit() for _, _, h in d.ipv6_ext.headers)
    if d.error is not None:
        out["error"] = d.error
    return out


def _checksum_valid(layer: str, r: Any, ip: Any) -> bool | None:
    try:
        if layer == "ipv4":
            return bool(r.header_checksum_ok())
        if layer in ("tcp", "udp"):
            return bool(r.checksum_ok(ip.src, ip.dst)) if ip is not None else None
        if layer == "icmpv4":
            return bool(r.checksum_ok()) or _zero_icmp_message(r)
        if layer == "icmpv6":
            return bool(r.checksum_ok(ip.src, ip.dst)) if ip is not None else None
        return bool(r.checksum_ok())
    except Exception:  # a layer without a checkable checksum
        return None


def _zero_icmp_message(icmp: Any) -> bool:
    """An ICMP message whose every field but the checksum is zero, with either zero as its
    checksum. RFC 1624 3: one's complement has two zeros, +0 (0x0000) and -0 (0xFFFF); such a
    message sums to +0 and RFC 1071 writes ~(+0) = 0xFFFF, but a sender whose sum came out as
    -0 writes ~(-0) = 0x0000 (Linux's csum_fold in icmp_push_reply does: measured with an echo
    of identifier, sequence and data all zero), the same value in one's complement; only this
    message can carry it (a non-zero sum is never +0), and the RFC 1071 check (sum == -0)
    rejects it."""
    return (icmp.checksum in (0x0000, 0xFFFF) and not (icmp.type or icmp.code or icmp.rest)
            and not any(icmp.payload))


def _tcp_option_fields(tcp: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tcp.mss is not None:
        out["tcp.opt.mss"] = tcp.mss
    if tcp.window_scale is not None:
        out["tcp.opt.wscale"] = tcp.window_scale
    if tcp.sack_permitted:
        out["tcp.opt.sackperm"] = True
    ts = tcp.timestamps
    if ts is not None:
        tsval, tsecr = (ts.tsval, ts.tsecr) if hasattr(ts, "tsval") else ts
        out["tcp.opt.tsval"] = tsval
        out["tcp.opt.tsecr"] = tsecr
    blocks = tcp.sack_blocks
    if blocks:
        out["tcp.opt.sack"] = tuple(tuple(b) for b in blocks)
    return out


def jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, tuple | list):
        return [jsonable(x) for x in v]
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def lazy_prediction(frame: bytes, rule: str, make: Any, args: tuple) -> Prediction:
    """`Prediction.lazy(frame, rule, make, *args)` (for every frame the stack emits: a plain
    call with the arguments as one tuple costs less than a class method's *args)."""
    p = _new(Prediction)
    p._frame = frame
    p._rule = rule
    p._variance = (make, args)
    p._cache = None
    return p
