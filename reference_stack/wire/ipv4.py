"""IPv4 header (RFC 791 3.1): checked view ``Ipv4Packet`` and frozen ``Ipv4Repr``."""

import struct
from dataclasses import dataclass

from reference_stack.wire.addr import ip4_str
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum, with_checksum
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, octets, pack
from reference_stack.wire.ipv4_options import (
    Ipv4OptEol,
    Ipv4Option,
    Ipv4OptLsrr,
    Ipv4OptMalformed,
    Ipv4OptNop,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptSsrr,
    Ipv4OptTimestamp,
    Ipv4OptUnknown,
    emit_ipv4_options,
    option_summary,
    parse_ipv4_options,
)
from reference_stack.wire.view import CheckedView

__all__ = [
    "HEADER_LEN",
    "IPPROTO_ICMP",
    "IPPROTO_TCP",
    "IPPROTO_UDP",
    "LENGTH_ADDRS",
    "Ipv4OptEol",
    "Ipv4Option",
    "Ipv4OptLsrr",
    "Ipv4OptMalformed",
    "Ipv4OptNop",
    "Ipv4OptRecordRoute",
    "Ipv4OptRouterAlert",
    "Ipv4OptSsrr",
    "Ipv4OptTimestamp",
    "Ipv4OptUnknown",
    "Ipv4Header",
    "Ipv4Packet",
    "Ipv4Repr",
    "Ipv4Template",
]

IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17

HEADER_LEN = 20  # RFC 791 3.1: the minimum header, IHL = 5
# version/IHL, TOS, total length, identification, flags/fragment offset, TTL, protocol, checksum
_FIXED = struct.Struct("!BBHHHBBH")
_PLAIN = struct.Struct("!BBHHHBBH4s4s")  # the whole 20-octet header without options
_CHECKSUM_AT = 10
_FLAG_RESERVED = 0x8000
_FLAG_DF = 0x4000
# An Ethernet header (RFC 894: destination, source, type) then _PLAIN (Ipv4Template.frame)
_FRAMED = struct.Struct("!6s6sHBBHHHBBH4s4s")
_ETHERTYPE_IPV4 = 0x0800
_FLAG_MF = 0x2000
_FRAG_MASK = 0x1FFF


LENGTH_ADDRS = struct.Struct("!2xH8x4s4s")  # total length, source, destination


class Ipv4Header:
    """The fixed header fields of a packet with IHL 5: a cheap stand-in for ``Ipv4Repr``
    where only these fields and the payload are read (the input hot path). ``payload`` is the
    octets up to the total length when that lies within the buffer, else all octets after the
    header, as ``Ipv4Repr.parse`` keeps. What the input path reads (total length, addresses,
    payload) is unpacked at construction; version 4, IHL 5 and no options are the class's
    (it takes no other header); the other fields are read from the header octets when asked."""

    __slots__ = ("_data", "total_length", "src", "dst", "payload")

    # Every field, as Ipv4Repr names them.
    FIELDS = ("version", "ihl", "tos", "total_length", "ident", "flag_reserved", "df", "mf",
              "frag_offset", "ttl", "protocol", "checksum", "src", "dst", "options", "payload")
    version = 4
    ihl = 5
    options = ()

    def __init__(self, data: bytes) -> None:
        total_length, self.src, self.dst = LENGTH_ADDRS.unpack_from(data)
        if data[0] != 0x45:
            raise WireError("not a 20-octet IPv4 header")
        self._data = data
        self.total_length = total_length
        self.payload = data[HEADER_LEN:total_length] if HEADER_LEN <= total_length <= len(
            data) else data[HEADER_LEN:]

    def _word(self, offset: int) -> int:
        return int.from_bytes(self._data[offset:offset + 2], "big")

    @property
    def tos(self) -> int:
        return self._data[1]

    @property
    def ident(self) -> int:
        return self._word(4)

    @property
    def flag_reserved(self) -> bool:
        return bool(self._word(6) & _FLAG_RESERVED)

    @property
    def df(self) -> bool:
        return bool(self._word(6) & _FLAG_DF)

    @property
    def mf(self) -> bool:
        return bool(self._word(6) & _FLAG_MF)

    @property
    def frag_offset(self) -> int:
        return self._word(6) & _FRAG_MASK

    @property
    def ttl(self) -> int:
        return self._data[8]

    @property
    def protocol(self) -> int:
        return self._data[9]

    @property
    def checksum(self) -> int:
        return self._word(_CHECKSUM_AT)


class Ipv4Packet(CheckedView):
    """Checked view over a buffer holding an IPv4 packet (fields read at fixed offsets)."""

    __slots__ = ()

    def check_len(self) -> None:
        """Strict framing: fixed header present, RFC 791 IHL >= 5, header and total length
        within the buffer and consistent."""
        n = len(self.buffer)
        if n < HEADER_LEN:
            raise WireError("truncated header")
        header_len = self.header_len
        if header_len < HEADER_LEN:
            raise WireError("header length below minimum")
        if n < header_len:
            raise WireError("truncated options")
        if not header_len <= self.total_length <= n:
            raise WireError("bad total length")

    @property
    def version(self) -> int:
        return self.buffer[0] >> 4

    @property
    def ihl(self) -> int:
        return self.buffer[0] & 0x0F

    @property
    def header_len(self) -> int:
        return (self.buffer[0] & 0x0F) * 4

    @property
    def tos(self) -> int:
        return self.buffer[1]

    @property
    def total_length(self) -> int:
        return int.from_bytes(self.buffer[2:4], "big")

    @property
    def ident(self) -> int:
        return int.from_bytes(self.buffer[4:6], "big")

    @property
    def flag_reserved(self) -> bool:
        return bool(self.buffer[6] & 0x80)

    @property
    def df(self) -> bool:
        return bool(self.buffer[6] & 0x40)

    @property
    def mf(self) -> bool:
        return bool(self.buffer[6] & 0x20)

    @property
    def frag_offset(self) -> int:
        return int.from_bytes(self.buffer[6:8], "big") & _FRAG_MASK

    @property
    def ttl(self) -> int:
        return self.buffer[8]

    @property
    def protocol(self) -> int:
        return self.buffer[9]

    @property
    def checksum(self) -> int:
        return int.from_bytes(self.buffer[10:12], "big")

    @property
    def src(self) -> bytes:
        return bytes(self.buffer[12:16])

    @property
    def dst(self) -> bytes:
        return bytes(self.buffer[16:20])

    @property
    def options(self) -> bytes:
        return bytes(self.buffer[HEADER_LEN : self.header_len])

    @property
    def payload(self) -> bytes:
        return bytes(self.buffer[self.header_len : self.total_length])

    def header_checksum_ok(self) -> bool:
        return internet_checksum(self.buffer[: self.header_len]) == 0


class Ipv4Template:
    """The header of unfragmented datagrams without options (IHL 5, RFC 791 3.1) from ``src``
    to ``dst`` with a fixed protocol, TTL, TOS and DF: what ``Ipv4Repr(...).emit()`` writes
    before the payload, without building the Repr (the output hot path).

    The constant words are summed once (the address and protocol words are those of the
    pseudo-header, checksum.pseudo_header_sum); ``header`` adds the total length and the
    identification and folds. A value out of its field's range raises WireError."""

    __slots__ = ("_fields", "_sum")

    def __init__(self, src: bytes, dst: bytes, protocol: int, ttl: int, tos: int,
                 df: bool) -> None:
        octets("src", src, 4)
        octets("dst", dst, 4)
        flags_frag = _FLAG_DF if df else 0
        pack(_PLAIN, 0x45, tos, HEADER_LEN, 0, flags_frag, ttl, protocol, 0, src, dst)
        self._fields = (tos, flags_frag, ttl, protocol, src, dst)
        self._sum = (pseudo_header_sum(src, dst, protocol, 0) + 0x4500 + tos + flags_frag
                     + (ttl << 8))

    def header(self, payload_len: int, ident: int) -> bytes:
        tos, flags_frag, ttl, protocol, src, dst = self._fields
        total_length = HEADER_LEN + payload_len
        # fold(), inline: the sum is never zero (it holds 0x4500).
        checksum = ~((self._sum + total_length + ident) % 0xFFFF or 0xFFFF) & 0xFFFF
        try:
            return _PLAIN.pack(0x45, tos, total_length, ident, flags_frag, ttl, protocol,
                               checksum, src, dst)
        except struct.error as e:  # (fields.pack, inline)
            raise WireError(f"cannot emit: {e}") from None

    def frame(self, dst_mac: bytes, src_mac: bytes, payload: bytes, ident: int) -> bytes:
        """The datagram of ``payload`` in an Ethernet frame (RFC 894: destination, source,
        type 0x0800): ``dst_mac + src_mac + type + header(len(payload), ident) + payload``,
        the link and IP headers packed at once (the output hot path: one struct call and one
        concatenation for each frame sent)."""
        tos, flags_frag, ttl, protocol, src, dst = self._fields
        total_length = HEADER_LEN + len(payload)
        checksum = ~((self._sum + total_length + ident) % 0xFFFF or 0xFFFF) & 0xFFFF  # (header)
        try:
            return _FRAMED.pack(dst_mac, src_mac, _ETHERTYPE_IPV4, 0x45, tos, total_length,
                                ident, flags_frag, ttl, protocol, checksum, src,
                                dst) + payload
        except struct.error as e:
            raise WireError(f"cannot emit: {e}") from None


def emit_plain_header(src: bytes, dst: bytes, protocol: int, payload_len: int, ttl: int,
                      tos: int, ident: int, df: bool) -> bytes:
    """One header of an ``Ipv4Template``."""
    return Ipv4Template(src, dst, protocol, ttl, tos, df).header(payload_len, ident)


@dataclass(frozen=True, slots=True)
class Ipv4Repr:
    """An IPv4 packet as found on the wire, or to be emitted.

    ``ihl``, ``total_length`` and ``checksum`` are None = computed by ``emit``; ``parse`` fills
    in the values on the wire. With a bogus IHL the header still spans at least the 20 fixed
    octets, and ``options`` hold whatever lies between octet 20 and IHL*4 (clipped to the
    buffer). ``payload`` is the bytes after that, up to ``total_length`` when that lies within
    the buffer (link padding beyond it is dropped), else all remaining bytes.
    """

    src: bytes
    dst: bytes
    protocol: int
    payload: bytes = b""
    ttl: int = 64
    tos: int = 0
    ident: int = 0
    flag_reserved: bool = False
    df: bool = False
    mf: bool = False
    frag_offset: int = 0  # in 8-octet units (RFC 791 3.1)
    ihl: int | None = None
    total_length: int | None = None
    checksum: int | None = None
    version: int = 4
    options: tuple[Ipv4Option, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> "Ipv4Repr":
        if type(data) is not bytes:
            data = bytes(data)
        n = len(data)
        if n < HEADER_LEN:
            raise WireError("truncated header")
        vihl, tos, total_length, ident, flags_frag, ttl, protocol, checksum = _FIXED.unpack_from(
            data
        )
        ihl = vihl & 0x0F
        header_end = ihl * 4
        if header_end < HEADER_LEN:
            header_end = HEADER_LEN
        elif header_end > n:
            header_end = n
        if header_end <= total_length <= n:
            payload = data[header_end:total_length]
        else:
            payload = data[header_end:]
        return cls(
            data[12:16],
            data[16:20],
            protocol,
            payload,
            ttl,
            tos,
            ident,
            bool(flags_frag & _FLAG_RESERVED),
            bool(flags_frag & _FLAG_DF),
            bool(flags_frag & _FLAG_MF),
            flags_frag & _FRAG_MASK,
            ihl,
            total_length,
            checksum,
            vihl >> 4,
            parse_ipv4_options(data[HEADER_LEN:header_end]),
        )

    def _header(self, payload: bytes) -> tuple[bytes, int]:
        """Fixed header plus options with the checksum field as given (0 if None), and IHL.

        RFC 791 3.1: options are padded with zeros to a 32-bit boundary when IHL is computed;
        an explicit IHL emits the options exactly as given.
        """
        options = emit_ipv4_options(self.options) if self.options else b""
        ihl = self.ihl
        if ihl is None:
            if len(options) & 3:
                options += bytes(4 - (len(options) & 3))
            ihl = 5 + len(options) // 4
            if ihl > 15:
                raise WireError(f"options too long ({len(options)} octets)")
        total_length = self.total_length
        if total_length is None:
            total_length = HEADER_LEN + len(options) + len(payload)
        flags_frag = (
            (_FLAG_RESERVED if self.flag_reserved else 0)
            | (_FLAG_DF if self.df else 0)
            | (_FLAG_MF if self.mf else 0)
            | bits("frag_offset", self.frag_offset, 13)
        )
        fixed = pack(
            _FIXED,
            (bits("version", self.version, 4) << 4) | bits("ihl", ihl, 4),
            self.tos,
            total_length,
            self.ident,
            flags_frag,
            self.ttl,
            self.protocol,
            self.checksum or 0,
        )
        return fixed + octets("src", self.src, 4) + octets("dst", self.dst, 4) + options, ihl

    @staticmethod
    def _checksummed(header: bytes, ihl: int, payload: bytes) -> bytes:
        """RFC 791 3.1: the checksum covers the header as IHL delimits it (at least the fixed
        20 octets; with a bogus IHL beyond the options, the first payload octets too)."""
        span = max(HEADER_LEN, ihl * 4)
        if span > len(header):
            return header + payload[: span - len(header)]
        return header[:span]

    def emit(self, payload: bytes | None = None) -> bytes:
        """The packet; ``payload``, when given, is sent instead of ``self.payload`` (so a
        caller adding a fresh L4 segment to a template need not build a new Repr)."""
        if payload is None:
            payload = self.payload
        header, ihl = self._header(payload)
        if self.checksum is None:
            value = internet_checksum(self._checksummed(header, ihl, payload))
            header = with_checksum(header, _CHECKSUM_AT, value)
        return header + payload

    def header_checksum_ok(self) -> bool:
        """RFC 791 3.1: the one's complement sum over the header (as IHL delimits it) is 0.
        True when ``checksum`` is None (emit computes it)."""
        if self.checksum is None:
            return True
        header, ihl = self._header(self.payload)
        return internet_checksum(self._checksummed(header, ihl, self.payload)) == 0

    @property
    def header_len(self) -> int:
        """Octets the header occupies when emitted (IHL*4 as given or computed)."""
        return self._header(self.payload)[1] * 4

    @property
    def is_fragment(self) -> bool:
        return self.mf or self.frag_offset != 0

    def summary(self) -> str:
        flags = ", ".join(
            name for name, on in (("RB", self.flag_reserved), ("DF", self.df), ("+", self.mf)) if on
        )
        text = (
            f"IP {ip4_str(self.src)} > {ip4_str(self.dst)} proto {self.protocol} "
            f"ttl {self.ttl} id {self.ident} [{flags or 'none'}] off {self.frag_offset * 8} "
            f"len {self.total_length if self.total_length is not None else 'auto'}"
        )
        if self.version != 4:
            text += f" version {self.version}"
        if self.options:
            text += " options [" + ",".join(option_summary(o) for o in self.options) + "]"
        return text
