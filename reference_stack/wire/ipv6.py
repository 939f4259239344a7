"""IPv6 header (RFC 8200 3): frozen ``Ipv6Repr`` and checked view ``Ipv6Packet``.

The fixed 40-octet header only; what follows it (extension headers, RFC 8200 4, then the
upper-layer header) is ``payload``, walked by ``ipv6_ext.parse_chain``."""

import struct
from dataclasses import dataclass

from reference_stack.wire.addr import ip6_str
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, octets, pack
from reference_stack.wire.view import CheckedView

# Next Header values (IANA "Assigned Internet Protocol Numbers"; RFC 8200 4, RFC 4443).
IPPROTO_HOPOPTS = 0
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_ESP = 50
IPPROTO_AH = 51
IPPROTO_ICMPV6 = 58
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60

HEADER_LEN = 40
MIN_MTU = 1280  # RFC 8200 5: every link carries 1280 octets
# version/traffic class/flow label word, payload length, next header, hop limit
_FIXED = struct.Struct("!IHBB")
_PAYLOAD_LENGTH_AT = 4
_NEXT_HEADER_AT = 6


class Ipv6Packet(CheckedView):
    """Checked view over a buffer holding an IPv6 packet (the fixed header's fields)."""

    __slots__ = ()

    def check_len(self) -> None:
        """Strict framing: the fixed header present and the payload length within the
        buffer (RFC 8200 3; a payload length of 0 is a jumbogram's, RFC 2675)."""
        if len(self.buffer) < HEADER_LEN:
            raise WireError("truncated header")
        if HEADER_LEN + self.payload_length > len(self.buffer):
            raise WireError("bad payload length")

    @property
    def version(self) -> int:
        return self.buffer[0] >> 4

    @property
    def traffic_class(self) -> int:
        return (int.from_bytes(self.buffer[0:2], "big") >> 4) & 0xFF

    @property
    def flow_label(self) -> int:
        return int.from_bytes(self.buffer[0:4], "big") & 0xFFFFF

    @property
    def payload_length(self) -> int:
        return int.from_bytes(self.buffer[4:6], "big")

    @property
    def next_header(self) -> int:
        return self.buffer[6]

    @property
    def hop_limit(self) -> int:
        return self.buffer[7]

    @property
    def src(self) -> bytes:
        return bytes(self.buffer[8:24])

    @property
    def dst(self) -> bytes:
        return bytes(self.buffer[24:40])

    @property
    def payload(self) -> bytes:
        return bytes(self.buffer[HEADER_LEN : HEADER_LEN + self.payload_length])


@dataclass(frozen=True, slots=True)
class Ipv6Repr:
    """An IPv6 packet as found on the wire, or to be emitted.

    ``payload_length`` None = computed by ``emit``; ``parse`` fills in the value on the wire.
    ``payload`` is everything after the fixed header up to the payload length when that lies
    within the buffer (link padding beyond it is dropped), else all remaining octets (also
    for a payload length of 0 before a Hop-by-Hop header, a jumbogram's, RFC 2675 3)."""

    src: bytes
    dst: bytes
    next_header: int
    payload: bytes = b""
    hop_limit: int = 64
    traffic_class: int = 0
    flow_label: int = 0
    payload_length: int | None = None
    version: int = 6

    @classmethod
    def parse(cls, data: bytes) -> "Ipv6Repr":
        if type(data) is not bytes:
            data = bytes(data)
        n = len(data)
        if n < HEADER_LEN:
            raise WireError("truncated header")
        word, payload_length, next_header, hop_limit = _FIXED.unpack_from(data)
        end = HEADER_LEN + payload_length
        if end <= n and (payload_length or next_header != IPPROTO_HOPOPTS):
            payload = data[HEADER_LEN:end]
        else:  # past the buffer, or a jumbogram's 0 (RFC 2675 3: the Jumbo option says)
            payload = data[HEADER_LEN:]
        return cls(data[8:24], data[24:40], next_header, payload, hop_limit,
                   (word >> 20) & 0xFF, word & 0xFFFFF, payload_length, word >> 28)

    def header(self, payload_len: int) -> bytes:
        """The fixed header for a payload of ``payload_len`` octets (``payload_length``, when
        given, is written instead)."""
        length = self.payload_length if self.payload_length is not None else payload_len
        word = ((bits("version", self.version, 4) << 28)
                | (bits("traffic_class", self.traffic_class, 8) << 20)
                | bits("flow_label", self.flow_label, 20))
        return (pack(_FIXED, word, length, self.next_header, self.hop_limit)
                + octets("src", self.src, 16) + octets("dst", self.dst, 16))

    def emit(self, payload: bytes | None = None) -> bytes:
        """The packet; ``payload``, when given, is sent instead of ``self.payload``."""
        if payload is None:
            payload = self.payload
        return self.header(len(payload)) + payload

    def summary(self) -> str:
        text = (f"IPv6 {ip6_str(self.src)} > {ip6_str(self.dst)} nh {self.next_header} "
                f"hlim {self.hop_limit}")
        if self.traffic_class or self.flow_label:
            text += f" tc {self.traffic_class} fl {self.flow_label:#x}"
        text += f" plen {self.payload_length if self.payload_length is not None else 'auto'}"
        if self.version != 6:
            text += f" version {self.version}"
        return text


def is_multicast(addr: bytes) -> bool:
    """RFC 4291 2.7: ff00::/8."""
    return addr[0] == 0xFF


def solicited_node(addr: bytes) -> bytes:
    """RFC 4291 2.7.1: ff02::1:ff00:0/104 with the low 24 bits of ``addr``."""
    return b"\xff\x02" + bytes(9) + b"\x01\xff" + addr[13:16]


def multicast_mac(group: bytes) -> bytes:
    """RFC 2464 7: 33:33 and the low 32 bits of the group."""
    return b"\x33\x33" + group[12:16]
