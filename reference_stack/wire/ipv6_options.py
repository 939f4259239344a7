"""IPv6 Hop-by-Hop and Destination options (RFC 8200 4.2): TLVs of type, length, data.

Type 0 (Pad1) is one octet alone; every other option is type, data length (octets of data
only), data. The two high bits of the type say what a node that does not recognise it does
(``action``, RFC 8200 4.2); the third says whether the data may change en route.
An option running past the area ends the list with ``Ipv6OptMalformed`` holding the rest,
so emit stays byte-exact."""

from dataclasses import dataclass

from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits

OPT_PAD1 = 0x00
OPT_PADN = 0x01
OPT_JUMBO = 0xC2  # RFC 2675 2
OPT_ROUTER_ALERT = 0x05  # RFC 2711 2.1

# RFC 8200 4.2: the action the two high-order bits of an unrecognised option's type ask for.
ACTION_SKIP = 0  # 00: skip over this option
ACTION_DISCARD = 1  # 01: discard the packet
ACTION_PARAM_PROBLEM = 2  # 10: discard, Parameter Problem code 2 even to a multicast dst
ACTION_PARAM_PROBLEM_UNICAST = 3  # 11: discard, Parameter Problem code 2 if dst not multicast


@dataclass(frozen=True, slots=True)
class Ipv6OptPad1:
    def emit(self) -> bytes:
        return b"\x00"


@dataclass(frozen=True, slots=True)
class Ipv6OptPadN:
    data: bytes = b""  # RFC 8200 4.2: zero-valued octets, but a receiver sees what was sent

    def emit(self) -> bytes:
        return _tlv(OPT_PADN, self.data)


@dataclass(frozen=True, slots=True)
class Ipv6OptRouterAlert:
    value: int = 0  # RFC 2711 2.1: 0 = MLD

    def emit(self) -> bytes:
        return _tlv(OPT_ROUTER_ALERT, bits("value", self.value, 16).to_bytes(2, "big"))


@dataclass(frozen=True, slots=True)
class Ipv6OptJumbo:
    length: int  # RFC 2675 2: the packet's length excluding the IPv6 header, > 65535

    def emit(self) -> bytes:
        return _tlv(OPT_JUMBO, bits("length", self.length, 32).to_bytes(4, "big"))


@dataclass(frozen=True, slots=True)
class Ipv6OptUnknown:
    """Any other option, or a known type whose data does not fit its format."""

    type: int
    data: bytes = b""

    def emit(self) -> bytes:
        return _tlv(self.type, self.data)


@dataclass(frozen=True, slots=True)
class Ipv6OptMalformed:
    """The rest of the area from an option whose length runs past it."""

    raw: bytes

    def emit(self) -> bytes:
        return self.raw


Ipv6Option = (Ipv6OptPad1 | Ipv6OptPadN | Ipv6OptRouterAlert | Ipv6OptJumbo | Ipv6OptUnknown
              | Ipv6OptMalformed)


def option_type(option: Ipv6Option) -> int | None:
    """The option's type octet (None for a malformed remainder)."""
    if isinstance(option, Ipv6OptPad1):
        return OPT_PAD1
    if isinstance(option, Ipv6OptPadN):
        return OPT_PADN
    if isinstance(option, Ipv6OptRouterAlert):
        return OPT_ROUTER_ALERT
    if isinstance(option, Ipv6OptJumbo):
        return OPT_JUMBO
    if isinstance(option, Ipv6OptUnknown):
        return option.type
    return None


def action(opt_type: int) -> int:
    """RFC 8200 4.2: the two highest-order bits of the option type."""
    return opt_type >> 6


def _tlv(opt_type: int, data: bytes) -> bytes:
    if len(data) > 255:
        raise WireError(f"option type {opt_type} data too long ({len(data)} octets)")
    return bytes((bits("type", opt_type, 8), len(data))) + data


def _decode(opt_type: int, data: bytes) -> Ipv6Option:
    if opt_type == OPT_PADN:
        return Ipv6OptPadN(data)
    if opt_type == OPT_ROUTER_ALERT and len(data) == 2:
        return Ipv6OptRouterAlert(int.from_bytes(data, "big"))
    if opt_type == OPT_JUMBO and len(data) == 4:
        return Ipv6OptJumbo(int.from_bytes(data, "big"))
    return Ipv6OptUnknown(opt_type, data)


def parse_options(area: bytes) -> tuple[Ipv6Option, ...]:
    """Split an option area into options, with the offset of each (relative to the area)
    available through ``option_offsets``."""
    return tuple(option for _, option in option_offsets(area))


def option_offsets(area: bytes) -> list[tuple[int, Ipv6Option]]:
    """(offset of the type octet within ``area``, option) for each option, in order."""
    out: list[tuple[int, Ipv6Option]] = []
    i, n = 0, len(area)
    while i < n:
        opt_type = area[i]
        if opt_type == OPT_PAD1:
            out.append((i, Ipv6OptPad1()))
            i += 1
            continue
        if i + 1 >= n or i + 2 + area[i + 1] > n:
            out.append((i, Ipv6OptMalformed(area[i:])))
            break
        length = area[i + 1]
        out.append((i, _decode(opt_type, area[i + 2 : i + 2 + length])))
        i += 2 + length
    return out


def emit_options(options: tuple[Ipv6Option, ...]) -> bytes:
    return b"".join(o.emit() for o in options)


def pad_to_eight(area_len: int) -> tuple[Ipv6Option, ...]:
    """RFC 8200 4.2: Pad1 or PadN making 2 + ``area_len`` a multiple of 8 octets."""
    need = -(2 + area_len) % 8
    if need == 0:
        return ()
    if need == 1:
        return (Ipv6OptPad1(),)
    return (Ipv6OptPadN(bytes(need - 2)),)


def option_summary(option: Ipv6Option) -> str:
    if isinstance(option, Ipv6OptPad1):
        return "pad1"
    if isinstance(option, Ipv6OptPadN):
        return f"padn{len(option.data)}"
    if isinstance(option, Ipv6OptRouterAlert):
        return f"ra{option.value}"
    if isinstance(option, Ipv6OptJumbo):
        return f"jumbo{option.length}"
    if isinstance(option, Ipv6OptUnknown):
        return f"opt{option.type:#04x}/{len(option.data)}"
    return f"malformed/{len(option.raw)}"
