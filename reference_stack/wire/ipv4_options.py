"""IPv4 options (RFC 791 3.1, RFC 2113), one frozen dataclass per kind, each with ``emit()``.

An option whose framing is sound but whose body does not fit its kind's format (e.g. a Record
Route whose route data is not whole addresses) is kept as ``Ipv4OptUnknown(kind, data)``;
framing errors end the list with ``Ipv4OptMalformed(raw)`` (see ``options_tlv``).
"""

from dataclasses import dataclass
from typing import ClassVar

from reference_stack.wire.addr import ip4_str
from reference_stack.wire.fields import bits, octets
from reference_stack.wire.options_tlv import emit_tlv, walk_options

IPOPT_EOL = 0
IPOPT_NOP = 1
IPOPT_RR = 7
IPOPT_TIMESTAMP = 68
IPOPT_LSRR = 131
IPOPT_SSRR = 137
IPOPT_ROUTER_ALERT = 148

# RFC 791 3.1 Internet Timestamp flag values.
IPOPT_TS_TSONLY = 0
IPOPT_TS_TSANDADDR = 1
IPOPT_TS_PRESPEC = 3


@dataclass(frozen=True, slots=True)
class Ipv4OptEol:
    """End of Option List; ``padding`` is whatever followed it up to the header end."""

    padding: bytes = b""

    def emit(self) -> bytes:
        return b"\x00" + self.padding


@dataclass(frozen=True, slots=True)
class Ipv4OptNop:
    def emit(self) -> bytes:
        return b"\x01"


@dataclass(frozen=True, slots=True)
class _Ipv4RouteOption:
    """RFC 791 3.1 route options: pointer (1-based octet offset) and route data addresses."""

    pointer: int = 4
    addresses: tuple[bytes, ...] = ()
    KIND: ClassVar[int] = 0

    def emit(self) -> bytes:
        addresses = b"".join([octets("address", a, 4) for a in self.addresses])
        return emit_tlv(self.KIND, bytes((bits("pointer", self.pointer, 8),)) + addresses)


@dataclass(frozen=True, slots=True)
class Ipv4OptRecordRoute(_Ipv4RouteOption):
    KIND: ClassVar[int] = IPOPT_RR


@dataclass(frozen=True, slots=True)
class Ipv4OptLsrr(_Ipv4RouteOption):
    """Loose Source and Record Route."""

    KIND: ClassVar[int] = IPOPT_LSRR


@dataclass(frozen=True, slots=True)
class Ipv4OptSsrr(_Ipv4RouteOption):
    """Strict Source and Record Route."""

    KIND: ClassVar[int] = IPOPT_SSRR


@dataclass(frozen=True, slots=True)
class Ipv4OptTimestamp:
    """RFC 791 3.1 Internet Timestamp: pointer, overflow (4 bits), flag (4 bits), data.

    ``data`` is kept raw (its layout depends on ``flag``); read it through ``timestamps``
    (flag 0) or ``entries`` (flags 1 and 3).
    """

    pointer: int = 5
    overflow: int = 0
    flag: int = IPOPT_TS_TSONLY
    data: bytes = b""

    def emit(self) -> bytes:
        flags_byte = (bits("overflow", self.overflow, 4) << 4) | bits("flag", self.flag, 4)
        head = bytes((bits("pointer", self.pointer, 8), flags_byte))
        return emit_tlv(IPOPT_TIMESTAMP, head + self.data)

    @property
    def timestamps(self) -> tuple[int, ...]:
        """The 32-bit timestamps of a flag-0 option (whole ones only)."""
        d = self.data
        return tuple(int.from_bytes(d[i : i + 4], "big") for i in range(0, len(d) - 3, 4))

    @property
    def entries(self) -> tuple[tuple[bytes, int], ...]:
        """(address, timestamp) pairs of a flag-1 or flag-3 option (whole ones only)."""
        d = self.data
        return tuple(
            (d[i : i + 4], int.from_bytes(d[i + 4 : i + 8], "big")) for i in range(0, len(d) - 7, 8)
        )


@dataclass(frozen=True, slots=True)
class Ipv4OptRouterAlert:
    """RFC 2113 Router Alert; value 0 = "router shall examine packet"."""

    value: int = 0

    def emit(self) -> bytes:
        return emit_tlv(IPOPT_ROUTER_ALERT, bits("value", self.value, 16).to_bytes(2, "big"))


@dataclass(frozen=True, slots=True)
class Ipv4OptUnknown:
    """Any other well-framed option: its kind octet and body (without kind and length)."""

    kind: int
    data: bytes = b""

    def emit(self) -> bytes:
        return emit_tlv(self.kind, self.data)


@dataclass(frozen=True, slots=True)
class Ipv4OptMalformed:
    """The raw remainder of the option area from the first option with broken framing."""

    raw: bytes

    def emit(self) -> bytes:
        return self.raw


Ipv4Option = (
    Ipv4OptEol
    | Ipv4OptNop
    | Ipv4OptRecordRoute
    | Ipv4OptLsrr
    | Ipv4OptSsrr
    | Ipv4OptTimestamp
    | Ipv4OptRouterAlert
    | Ipv4OptUnknown
    | Ipv4OptMalformed
)

_NOP = Ipv4OptNop()
_ROUTE_CLASSES = {IPOPT_RR: Ipv4OptRecordRoute, IPOPT_LSRR: Ipv4OptLsrr, IPOPT_SSRR: Ipv4OptSsrr}


def _decode(kind: int, body: bytes) -> Ipv4Option:
    route_class = _ROUTE_CLASSES.get(kind)
    if route_class is not None and body and (len(body) - 1) % 4 == 0:
        addresses = tuple(body[i : i + 4] for i in range(1, len(body), 4))
        return route_class(body[0], addresses)
    if kind == IPOPT_TIMESTAMP and len(body) >= 2:
        return Ipv4OptTimestamp(body[0], body[1] >> 4, body[1] & 0xF, body[2:])
    if kind == IPOPT_ROUTER_ALERT and len(body) == 2:
        return Ipv4OptRouterAlert(int.from_bytes(body, "big"))
    return Ipv4OptUnknown(kind, body)


def parse_ipv4_options(area: bytes) -> tuple[Ipv4Option, ...]:
    """The option area (header bytes 20 .. IHL*4) as typed options, byte-exact on emit."""
    if not area:
        return ()
    return walk_options(area, Ipv4OptEol, _NOP, _decode, Ipv4OptMalformed)


def emit_ipv4_options(options: tuple[Ipv4Option, ...]) -> bytes:
    return b"".join([option.emit() for option in options])


def option_summary(option: Ipv4Option) -> str:
    """Short tcpdump-like text for one option."""
    if isinstance(option, Ipv4OptNop):
        return "nop"
    if isinstance(option, Ipv4OptEol):
        return "eol"
    if isinstance(option, _Ipv4RouteOption):
        name = {IPOPT_RR: "rr", IPOPT_LSRR: "lsrr", IPOPT_SSRR: "ssrr"}[option.KIND]
        hops = " ".join(ip4_str(a) for a in option.addresses)
        return f"{name} ptr={option.pointer} {hops}".rstrip()
    if isinstance(option, Ipv4OptTimestamp):
        return f"ts ptr={option.pointer} oflw={option.overflow} flg={option.flag}"
    if isinstance(option, Ipv4OptRouterAlert):
        return f"ra {option.value}"
    if isinstance(option, Ipv4OptUnknown):
        return f"opt-{option.kind} len={len(option.data) + 2}"
    return f"malformed {option.raw.hex()}"
