"""Neighbor Discovery messages and options (RFC 4861 4): Router Solicitation and
Advertisement, Neighbor Solicitation and Advertisement, Redirect; options Source and Target
Link-Layer Address, Prefix Information, Redirected Header, MTU, and any other as
``NdOptUnknown``. Each message reads from and turns into an ``Icmpv6Repr`` (whose checksum
covers it): ``NdpMessage.from_icmp(icmp)``, ``message.to_icmp()``.

Options (RFC 4861 4.6): type, length in units of 8 octets (including type and length), data.
A length of 0, or one running past the message, ends the list with ``NdOptMalformed``
holding the rest (RFC 4861 7.1.1 makes such a message invalid; the Repr keeps it)."""

import struct
from dataclasses import dataclass

from reference_stack.wire.addr import ip6_str, mac_str
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, octets, pack
from reference_stack.wire.icmpv6 import (
    ND_NEIGHBOR_ADVERT,
    ND_NEIGHBOR_SOLICIT,
    ND_REDIRECT,
    ND_ROUTER_ADVERT,
    ND_ROUTER_SOLICIT,
    Icmpv6Repr,
)

OPT_SOURCE_LLADDR = 1
OPT_TARGET_LLADDR = 2
OPT_PREFIX_INFO = 3
OPT_REDIRECTED_HEADER = 4
OPT_MTU = 5
OPT_NONCE = 14  # RFC 7527 4.1: Enhanced DAD's nonce (6 octets or more), as NdOptUnknown

NA_ROUTER = 0x80000000  # RFC 4861 4.4: R, S, O in the high bits of the first word
NA_SOLICITED = 0x40000000
NA_OVERRIDE = 0x20000000

_PREFIX = struct.Struct("!BBIII16s")  # prefix length, flags, valid, preferred, reserved2, prefix
_RA = struct.Struct("!II")  # reachable time, retrans timer


@dataclass(frozen=True, slots=True)
class NdOptLinkAddr:
    """Source (type 1) or Target (type 2) Link-Layer Address (RFC 4861 4.6.1)."""

    type: int
    lladdr: bytes

    def emit(self) -> bytes:
        return _option(self.type, self.lladdr)


@dataclass(frozen=True, slots=True)
class NdOptPrefixInfo:
    """RFC 4861 4.6.2: prefix length, L and A flags, lifetimes, prefix."""

    prefix_len: int
    prefix: bytes
    on_link: bool = True
    autonomous: bool = True
    valid_lifetime: int = 0xFFFFFFFF
    preferred_lifetime: int = 0xFFFFFFFF
    reserved_flags: int = 0  # the six low bits after L and A
    reserved2: int = 0

    def emit(self) -> bytes:
        flags = (0x80 if self.on_link else 0) | (0x40 if self.autonomous else 0) | bits(
            "reserved_flags", self.reserved_flags, 6)
        return _option(OPT_PREFIX_INFO, pack(
            _PREFIX, self.prefix_len, flags, self.valid_lifetime, self.preferred_lifetime,
            self.reserved2, octets("prefix", self.prefix, 16)))


@dataclass(frozen=True, slots=True)
class NdOptMtu:
    """RFC 4861 4.6.4: 16 reserved bits, then the MTU."""

    mtu: int
    reserved: int = 0

    def emit(self) -> bytes:
        return _option(OPT_MTU, pack(struct.Struct("!HI"), self.reserved, self.mtu))


@dataclass(frozen=True, slots=True)
class NdOptRedirected:
    """RFC 4861 4.6.3: 6 reserved octets, then as much of the redirected packet as fits."""

    packet: bytes

    def emit(self) -> bytes:
        return _option(OPT_REDIRECTED_HEADER, bytes(6) + self.packet)


@dataclass(frozen=True, slots=True)
class NdOptUnknown:
    """Any other option, or a known type whose data does not fit its format (``data`` is
    everything after the type and length octets)."""

    type: int
    data: bytes

    def emit(self) -> bytes:
        if (2 + len(self.data)) % 8:
            raise WireError("cannot emit: ND option does not end on 8 octets")
        return bytes((bits("type", self.type, 8), (2 + len(self.data)) // 8)) + self.data


@dataclass(frozen=True, slots=True)
class NdOptMalformed:
    raw: bytes

    def emit(self) -> bytes:
        return self.raw


NdOption = (NdOptLinkAddr | NdOptPrefixInfo | NdOptMtu | NdOptRedirected | NdOptUnknown
            | NdOptMalformed)


def _option(opt_type: int, data: bytes) -> bytes:
    """Type, length in 8-octet units, data padded with zeros to the unit (RFC 4861 4.6)."""
    data += bytes(-(2 + len(data)) % 8)
    units = (2 + len(data)) // 8
    return bytes((bits("type", opt_type, 8), bits("length", units, 8))) + data


def _decode(opt_type: int, data: bytes) -> NdOption:
    if opt_type in (OPT_SOURCE_LLADDR, OPT_TARGET_LLADDR) and len(data) == 6:
        return NdOptLinkAddr(opt_type, data)
    if opt_type == OPT_PREFIX_INFO and len(data) == 30:
        plen, flags, valid, preferred, reserved2, prefix = _PREFIX.unpack(data)
        return NdOptPrefixInfo(plen, prefix, bool(flags & 0x80), bool(flags & 0x40), valid,
                               preferred, flags & 0x3F, reserved2)
    if opt_type == OPT_MTU and len(data) == 6:
        return NdOptMtu(int.from_bytes(data[2:6], "big"), int.from_bytes(data[0:2], "big"))
    if opt_type == OPT_REDIRECTED_HEADER and len(data) >= 6 and not any(data[:6]):
        return NdOptRedirected(data[6:])
    return NdOptUnknown(opt_type, data)


def parse_nd_options(area: bytes) -> tuple[NdOption, ...]:
    options: list[NdOption] = []
    i, n = 0, len(area)
    while i < n:
        if i + 2 > n or area[i + 1] == 0 or i + area[i + 1] * 8 > n:
            options.append(NdOptMalformed(area[i:]))
            break
        end = i + area[i + 1] * 8
        options.append(_decode(area[i], area[i + 2 : end]))
        i = end
    return tuple(options)


def emit_nd_options(options: tuple[NdOption, ...]) -> bytes:
    return b"".join(o.emit() for o in options)


def lladdr_option(options: tuple[NdOption, ...], opt_type: int) -> bytes | None:
    for option in options:
        if isinstance(option, NdOptLinkAddr) and option.type == opt_type:
            return option.lladdr
    return None


def nonce_option(options: tuple[NdOption, ...]) -> bytes | None:
    """The data of the first Nonce option (RFC 7527 4.1), or None."""
    for option in options:
        if isinstance(option, NdOptUnknown) and option.type == OPT_NONCE:
            return option.data
    return None


@dataclass(frozen=True, slots=True)
class RouterSolicit:
    options: tuple[NdOption, ...] = ()
    reserved: int = 0

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        return Icmpv6Repr(ND_ROUTER_SOLICIT, code, self.reserved,
                          emit_nd_options(self.options))


@dataclass(frozen=True, slots=True)
class RouterAdvert:
    cur_hop_limit: int = 64
    managed: bool = False
    other: bool = False
    flags_rest: int = 0  # the six low flag bits (RFC 4861 4.2 reserved; RFC 4191/5175 use)
    router_lifetime: int = 1800
    reachable_time: int = 0
    retrans_timer: int = 0
    options: tuple[NdOption, ...] = ()

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        flags = (0x80 if self.managed else 0) | (0x40 if self.other else 0) | bits(
            "flags_rest", self.flags_rest, 6)
        rest = (bits("cur_hop_limit", self.cur_hop_limit, 8) << 24) | (flags << 16) | bits(
            "router_lifetime", self.router_lifetime, 16)
        return Icmpv6Repr(ND_ROUTER_ADVERT, code, rest, pack(
            _RA, self.reachable_time, self.retrans_timer) + emit_nd_options(self.options))


@dataclass(frozen=True, slots=True)
class NeighborSolicit:
    target: bytes
    options: tuple[NdOption, ...] = ()
    reserved: int = 0

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        return Icmpv6Repr(ND_NEIGHBOR_SOLICIT, code, self.reserved,
                          octets("target", self.target, 16) + emit_nd_options(self.options))


@dataclass(frozen=True, slots=True)
class NeighborAdvert:
    target: bytes
    router: bool = False
    solicited: bool = False
    override: bool = False
    options: tuple[NdOption, ...] = ()
    reserved: int = 0  # the 29 bits after R, S, O

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        rest = ((NA_ROUTER if self.router else 0) | (NA_SOLICITED if self.solicited else 0)
                | (NA_OVERRIDE if self.override else 0) | bits("reserved", self.reserved, 29))
        return Icmpv6Repr(ND_NEIGHBOR_ADVERT, code, rest,
                          octets("target", self.target, 16) + emit_nd_options(self.options))


@dataclass(frozen=True, slots=True)
class Redirect:
    target: bytes
    destination: bytes
    options: tuple[NdOption, ...] = ()
    reserved: int = 0

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        return Icmpv6Repr(ND_REDIRECT, code, self.reserved,
                          octets("target", self.target, 16)
                          + octets("destination", self.destination, 16)
                          + emit_nd_options(self.options))


NdpMessage = RouterSolicit | RouterAdvert | NeighborSolicit | NeighborAdvert | Redirect

# RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1: the ICMP length is at least this many octets.
MIN_LENGTH = {ND_ROUTER_SOLICIT: 8, ND_ROUTER_ADVERT: 16, ND_NEIGHBOR_SOLICIT: 24,
              ND_NEIGHBOR_ADVERT: 24, ND_REDIRECT: 40}


def from_icmp(icmp: Icmpv6Repr) -> NdpMessage:
    """The ND message an ICMPv6 message holds; WireError when it is shorter than its fixed
    part (RFC 4861 4) or not an ND type."""
    t, rest, body = icmp.type, icmp.rest, icmp.payload
    if t not in MIN_LENGTH:
        raise WireError(f"not a neighbor discovery message: type {t}")
    if 4 + len(body) < MIN_LENGTH[t] - 4:
        raise WireError("truncated neighbor discovery message")
    if t == ND_ROUTER_SOLICIT:
        return RouterSolicit(parse_nd_options(body), rest)
    if t == ND_ROUTER_ADVERT:
        reachable, retrans = _RA.unpack_from(body)
        flags = (rest >> 16) & 0xFF
        return RouterAdvert(rest >> 24, bool(flags & 0x80), bool(flags & 0x40), flags & 0x3F,
                            rest & 0xFFFF, reachable, retrans, parse_nd_options(body[8:]))
    if t == ND_NEIGHBOR_SOLICIT:
        return NeighborSolicit(body[:16], parse_nd_options(body[16:]), rest)
    if t == ND_NEIGHBOR_ADVERT:
        return NeighborAdvert(body[:16], bool(rest & NA_ROUTER), bool(rest & NA_SOLICITED),
                              bool(rest & NA_OVERRIDE), parse_nd_options(body[16:]),
                              rest & 0x1FFFFFFF)
    return Redirect(body[:16], body[16:32], parse_nd_options(body[32:]), rest)


def summary(message: NdpMessage) -> str:
    if isinstance(message, NeighborSolicit):
        text = f"NS who-has {ip6_str(message.target)}"
    elif isinstance(message, NeighborAdvert):
        flags = "".join(f for f, on in (("R", message.router), ("S", message.solicited),
                                        ("O", message.override)) if on)
        text = f"NA {ip6_str(message.target)} [{flags}]"
    elif isinstance(message, Redirect):
        text = f"Redirect {ip6_str(message.destination)} via {ip6_str(message.target)}"
    elif isinstance(message, RouterAdvert):
        text = f"RA lifetime {message.router_lifetime}"
    else:
        text = "RS"
    for option in message.options:
        if isinstance(option, NdOptLinkAddr):
            text += f" {'sll' if option.type == OPT_SOURCE_LLADDR else 'tll'} " + mac_str(
                option.lladdr)
    return text
