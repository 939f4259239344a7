"""IPv6 extension headers (RFC 8200 4): Hop-by-Hop and Destination Options (4.3, 4.6),
Routing (4.4; types 0 (RFC 5095), 2 (RFC 6275 6.4), 3 (RFC 6554) and 4 (RFC 8754) read
through properties), Fragment (4.5), AH (RFC 4302 2) and ESP (RFC 4303 2, which ends the
walk: what follows is encrypted), and ``parse_chain`` walking them from the fixed header.

Each header is a frozen Repr whose computed length (``hdr_ext_len``) is None = computed by
emit; parse fills in the value on the wire. ``parse_chain`` never raises: a header that does
not fit ends the walk with ``error`` and the remaining octets in ``rest``."""

import struct
from dataclasses import dataclass

from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, pack
from reference_stack.wire.ipv6 import (
    IPPROTO_AH,
    IPPROTO_DSTOPTS,
    IPPROTO_ESP,
    IPPROTO_FRAGMENT,
    IPPROTO_HOPOPTS,
    IPPROTO_NONE,
    IPPROTO_ROUTING,
)
from reference_stack.wire.ipv6_options import (
    Ipv6Option,
    emit_options,
    option_summary,
    pad_to_eight,
    parse_options,
)

EXTENSION_HEADERS = frozenset((IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT,
                               IPPROTO_DSTOPTS, IPPROTO_AH, IPPROTO_ESP))
_FRAGMENT = struct.Struct("!BBHI")
_AH = struct.Struct("!BBHII")
_ESP = struct.Struct("!II")


def _length_from_units(data: bytes) -> int:
    """RFC 8200 4.3-4.6: Hdr Ext Len counts 8-octet units after the first 8 octets."""
    return (data[1] + 1) * 8


@dataclass(frozen=True, slots=True)
class Ipv6OptionsHeader:
    """Hop-by-Hop (``protocol`` 0, RFC 8200 4.3) or Destination Options (60, 4.6). A computed
    ``hdr_ext_len`` pads the options to a multiple of 8 octets (Pad1/PadN, 4.2)."""

    protocol: int
    next_header: int
    options: tuple[Ipv6Option, ...] = ()
    hdr_ext_len: int | None = None

    @classmethod
    def parse(cls, protocol: int, data: bytes) -> "Ipv6OptionsHeader":
        if len(data) < 2 or len(data) < _length_from_units(data):
            raise WireError("truncated options header")
        end = _length_from_units(data)
        return cls(protocol, data[0], parse_options(data[2:end]), data[1])

    def emit(self) -> bytes:
        options = self.options
        if self.hdr_ext_len is None:
            area = emit_options(options)
            area += emit_options(pad_to_eight(len(area)))
            hdr_ext_len = (2 + len(area)) // 8 - 1
        else:
            area, hdr_ext_len = emit_options(options), self.hdr_ext_len
        return bytes((bits("next_header", self.next_header, 8),
                      bits("hdr_ext_len", hdr_ext_len, 8))) + area

    def summary(self) -> str:
        name = "HBH" if self.protocol == IPPROTO_HOPOPTS else "DST"
        return f"{name} [" + ",".join(option_summary(o) for o in self.options) + "]"


@dataclass(frozen=True, slots=True)
class Ipv6Routing:
    """RFC 8200 4.4: next header, length, routing type, segments left, then ``data`` (the
    type-specific octets). A computed ``hdr_ext_len`` covers the data (which must then end
    on an 8-octet boundary)."""

    next_header: int
    routing_type: int
    segments_left: int
    data: bytes = bytes(4)
    hdr_ext_len: int | None = None

    @classmethod
    def parse(cls, data: bytes) -> "Ipv6Routing":
        if len(data) < 8 or len(data) < _length_from_units(data):
            raise WireError("truncated routing header")
        end = _length_from_units(data)
        return cls(data[0], data[2], data[3], data[4:end], data[1])

    def emit(self) -> bytes:
        hdr_ext_len = self.hdr_ext_len
        if hdr_ext_len is None:
            if (4 + len(self.data)) % 8:
                raise WireError("cannot emit: routing data does not end on 8 octets")
            hdr_ext_len = (4 + len(self.data)) // 8 - 1
        return bytes((bits("next_header", self.next_header, 8),
                      bits("hdr_ext_len", hdr_ext_len, 8),
                      bits("routing_type", self.routing_type, 8),
                      bits("segments_left", self.segments_left, 8))) + self.data

    @property
    def addresses(self) -> tuple[bytes, ...]:
        """Type 0 (RFC 2460 4.4, deprecated by RFC 5095) and type 2 (RFC 6275 6.4): 4
        reserved octets, then 16-octet addresses."""
        body = self.data[4:]
        return tuple(body[i : i + 16] for i in range(0, len(body) - 15, 16))

    @property
    def rpl(self) -> tuple[int, int, int, bytes]:
        """Type 3 (RFC 6554 3): CmprI, CmprE, Pad and the compressed addresses."""
        if len(self.data) < 4:
            raise WireError("short RPL source route header")
        cmpr, pad = self.data[0], self.data[1] >> 4
        end = len(self.data) - pad
        return cmpr >> 4, cmpr & 0x0F, pad, self.data[4:max(4, end)]

    @property
    def srh(self) -> tuple[int, int, int, tuple[bytes, ...], bytes]:
        """Type 4 (RFC 8754 2): Last Entry, Flags, Tag, the segment list and the TLVs."""
        if len(self.data) < 4:
            raise WireError("short segment routing header")
        last_entry, flags = self.data[0], self.data[1]
        tag = int.from_bytes(self.data[2:4], "big")
        end = 4 + 16 * (last_entry + 1)
        segments = tuple(self.data[i : i + 16] for i in range(4, min(end, len(self.data)) - 15,
                                                              16))
        return last_entry, flags, tag, segments, self.data[end:]

    def summary(self) -> str:
        return f"RH type {self.routing_type} left {self.segments_left} len {len(self.data)}"


@dataclass(frozen=True, slots=True)
class Ipv6Fragment:
    """RFC 8200 4.5: next header, reserved, offset (8-octet units), Res, M, identification."""

    next_header: int
    frag_offset: int = 0
    m: bool = False
    ident: int = 0
    reserved: int = 0
    res: int = 0  # the two reserved bits beside M

    @classmethod
    def parse(cls, data: bytes) -> "Ipv6Fragment":
        if len(data) < 8:
            raise WireError("truncated fragment header")
        next_header, reserved, off_flags, ident = _FRAGMENT.unpack_from(data)
        return cls(next_header, off_flags >> 3, bool(off_flags & 1), ident, reserved,
                   (off_flags >> 1) & 3)

    def emit(self) -> bytes:
        off_flags = ((bits("frag_offset", self.frag_offset, 13) << 3)
                     | (bits("res", self.res, 2) << 1) | int(self.m))
        return pack(_FRAGMENT, self.next_header, self.reserved, off_flags, self.ident)

    @property
    def atomic(self) -> bool:
        """RFC 6946 2: offset 0 and M clear (a fragment header on a whole packet)."""
        return self.frag_offset == 0 and not self.m

    def summary(self) -> str:
        return (f"FRAG off {self.frag_offset * 8}{' +' if self.m else ''} id {self.ident:#x}")


@dataclass(frozen=True, slots=True)
class Ipv6Ah:
    """RFC 4302 2: next header, payload length (32-bit words minus 2), reserved, SPI,
    sequence number and the ICV."""

    next_header: int
    spi: int
    seq: int
    icv: bytes = b""
    payload_len: int | None = None
    reserved: int = 0

    @classmethod
    def parse(cls, data: bytes) -> "Ipv6Ah":
        if len(data) < 12:
            raise WireError("truncated AH")
        next_header, payload_len, reserved, spi, seq = _AH.unpack_from(data)
        end = (payload_len + 2) * 4
        if end < 12 or end > len(data):
            raise WireError("bad AH length")
        return cls(next_header, spi, seq, data[12:end], payload_len, reserved)

    def emit(self) -> bytes:
        payload_len = self.payload_len
        if payload_len is None:
            payload_len = (12 + len(self.icv)) // 4 - 2
        return pack(_AH, self.next_header, payload_len, self.reserved, self.spi,
                    self.seq) + self.icv

    def summary(self) -> str:
        return f"AH spi {self.spi:#x} seq {self.seq}"


@dataclass(frozen=True, slots=True)
class Ipv6Esp:
    """RFC 4303 2: SPI, sequence number, then octets that are opaque without the SA."""

    spi: int
    seq: int
    rest: bytes = b""

    @classmethod
    def parse(cls, data: bytes) -> "Ipv6Esp":
        if len(data) < 8:
            raise WireError("truncated ESP")
        spi, seq = _ESP.unpack_from(data)
        return cls(spi, seq, data[8:])

    def emit(self) -> bytes:
        return pack(_ESP, self.spi, self.seq) + self.rest

    def summary(self) -> str:
        return f"ESP spi {self.spi:#x} seq {self.seq}"


Ipv6ExtHeader = Ipv6OptionsHeader | Ipv6Routing | Ipv6Fragment | Ipv6Ah | Ipv6Esp


def header_len(header: Ipv6ExtHeader) -> int:
    return len(header.emit())


@dataclass(frozen=True, slots=True)
class Ipv6Chain:
    """What follows the fixed header: the extension headers with their offsets (from the
    start of the IPv6 packet), the upper-layer protocol and offset, and the upper-layer
    octets. ``error`` names the header that did not fit (its octets are then ``upper``,
    with ``upper_protocol`` its Next Header value). ``next_header_at`` is the offset of the
    Next Header field naming the upper layer (RFC 8200 4: the pointer of a Parameter
    Problem code 1)."""

    headers: tuple[tuple[int, int, Ipv6ExtHeader], ...]  # (offset, protocol, header)
    upper_protocol: int
    upper_offset: int
    upper: bytes
    next_header_at: int
    error: str | None = None

    def first(self, protocol: int) -> Ipv6ExtHeader | None:
        for _, proto, header in self.headers:
            if proto == protocol:
                return header
        return None

    @property
    def fragment(self) -> Ipv6Fragment | None:
        header = self.first(IPPROTO_FRAGMENT)
        return header if isinstance(header, Ipv6Fragment) else None

    def summary(self) -> str:
        parts = [h.summary() for _, _, h in self.headers]
        if self.error:
            parts.append(f"error: {self.error}")
        return " ".join(parts)


def parse_header(protocol: int, data: bytes) -> Ipv6ExtHeader:
    """One extension header of type ``protocol`` at the start of ``data``."""
    if protocol in (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS):
        return Ipv6OptionsHeader.parse(protocol, data)
    if protocol == IPPROTO_ROUTING:
        return Ipv6Routing.parse(data)
    if protocol == IPPROTO_FRAGMENT:
        return Ipv6Fragment.parse(data)
    if protocol == IPPROTO_AH:
        return Ipv6Ah.parse(data)
    if protocol == IPPROTO_ESP:
        return Ipv6Esp.parse(data)
    raise WireError(f"not an extension header: {protocol}")


def _consumed(protocol: int, header: Ipv6ExtHeader, data: bytes) -> int:
    if protocol in (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING):
        return _length_from_units(data)
    if protocol == IPPROTO_FRAGMENT:
        return 8
    if protocol == IPPROTO_AH:
        return (data[1] + 2) * 4
    return len(data)  # ESP: the rest is the encrypted payload


def parse_chain(next_header: int, payload: bytes, base: int = 40) -> Ipv6Chain:
    """Walk the extension headers from the fixed header's Next Header (RFC 8200 4.1 order is
    not enforced here: the walk records what is there, the input rules judge it). ``base``
    is the payload's offset in the packet. No Next Header (59) and ESP end the walk; so
    does any protocol that is not an extension header (the upper layer)."""
    headers: list[tuple[int, int, Ipv6ExtHeader]] = []
    offset, nh_at = 0, 6  # the fixed header's Next Header field is at octet 6
    protocol = next_header
    while protocol in EXTENSION_HEADERS:
        data = payload[offset:]
        try:
            header = parse_header(protocol, data)
        except WireError as e:
            return Ipv6Chain(tuple(headers), protocol, base + offset, data, nh_at, e.reason)
        headers.append((base + offset, protocol, header))
        if protocol == IPPROTO_ESP:
            return Ipv6Chain(tuple(headers), IPPROTO_NONE, base + len(payload), b"", nh_at)
        nh_at = base + offset
        offset += _consumed(protocol, header, data)
        protocol = header.next_header
    return Ipv6Chain(tuple(headers), protocol, base + offset, payload[offset:], nh_at)


def emit_chain(headers: tuple[Ipv6ExtHeader, ...]) -> bytes:
    return b"".join(h.emit() for h in headers)
