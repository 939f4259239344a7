"""ICMPv6 (RFC 4443): frozen ``Icmpv6Repr`` holding type, code, checksum, the 32-bit word
after the checksum and the message body. The checksum covers the RFC 8200 8.1 pseudo-header
(Next Header 58), so ``emit`` and ``checksum_ok`` take the IPv6 addresses. Neighbor Discovery
bodies are read by ``ndp``, MLD bodies by ``mld``."""

import struct
from dataclasses import dataclass

from reference_stack.wire.checksum import (
    internet_checksum,
    ipv6_pseudo_header_sum,
    with_checksum,
)
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, pack
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6

# RFC 4443 2.1 error messages (type < 128).
ICMP6_DST_UNREACH = 1
ICMP6_PACKET_TOO_BIG = 2
ICMP6_TIME_EXCEEDED = 3
ICMP6_PARAM_PROB = 4
# RFC 4443 2.1 informational messages (type >= 128).
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129
MLD_LISTENER_QUERY = 130  # RFC 2710 3, RFC 3810 5.1
MLD_LISTENER_REPORT = 131  # RFC 2710 3
MLD_LISTENER_DONE = 132  # RFC 2710 3
ND_ROUTER_SOLICIT = 133  # RFC 4861 4.1
ND_ROUTER_ADVERT = 134  # RFC 4861 4.2
ND_NEIGHBOR_SOLICIT = 135  # RFC 4861 4.3
ND_NEIGHBOR_ADVERT = 136  # RFC 4861 4.4
ND_REDIRECT = 137  # RFC 4861 4.5
MLDV2_LISTENER_REPORT = 143  # RFC 3810 5.2

# RFC 4443 3.1 Destination Unreachable codes.
UNREACH_NO_ROUTE = 0
UNREACH_ADMIN = 1
UNREACH_BEYOND_SCOPE = 2
UNREACH_ADDR = 3
UNREACH_PORT = 4
UNREACH_POLICY = 5
UNREACH_REJECT_ROUTE = 6
UNREACH_SRC_ROUTING_HEADER = 7  # RFC 6550 20.18 (error in source routing header)
UNREACH_HEADERS_TOO_LONG = 8  # RFC 8883 3
# RFC 4443 3.3 Time Exceeded codes.
TIME_EXCEEDED_HOP_LIMIT = 0
TIME_EXCEEDED_REASSEMBLY = 1
# RFC 4443 3.4 Parameter Problem codes (and RFC 7112 3, RFC 8883 3).
PARAM_HEADER_FIELD = 0
PARAM_NEXT_HEADER = 1
PARAM_OPTION = 2
PARAM_FIRST_FRAGMENT_CHAIN = 3  # RFC 7112 3: incomplete header chain
PARAM_SR_UPPER_LAYER = 4  # RFC 8754 4.3.1.1
PARAM_UNRECOGNIZED_NEXT_HEADER_INTERMEDIATE = 5  # RFC 8883 3
PARAM_EXT_HEADER_TOO_BIG = 6  # RFC 8883 3
PARAM_EXT_HEADER_CHAIN_TOO_LONG = 7
PARAM_TOO_MANY_EXT_HEADERS = 8
PARAM_TOO_MANY_OPTIONS = 9
PARAM_OPTION_TOO_BIG = 10

HEADER_LEN = 8
_HEADER = struct.Struct("!BBHI")
_CHECKSUM_AT = 2

_TYPE_NAMES = {
    ICMP6_DST_UNREACH: "unreachable",
    ICMP6_PACKET_TOO_BIG: "packet too big",
    ICMP6_TIME_EXCEEDED: "time exceeded",
    ICMP6_PARAM_PROB: "parameter problem",
    ICMP6_ECHO_REQUEST: "echo request",
    ICMP6_ECHO_REPLY: "echo reply",
    MLD_LISTENER_QUERY: "mld query",
    MLD_LISTENER_REPORT: "mld report",
    MLD_LISTENER_DONE: "mld done",
    ND_ROUTER_SOLICIT: "router solicitation",
    ND_ROUTER_ADVERT: "router advertisement",
    ND_NEIGHBOR_SOLICIT: "neighbor solicitation",
    ND_NEIGHBOR_ADVERT: "neighbor advertisement",
    ND_REDIRECT: "redirect",
    MLDV2_LISTENER_REPORT: "mldv2 report",
}


def is_error(icmp_type: int) -> bool:
    """RFC 4443 2.1: error messages have a type below 128."""
    return icmp_type < 128


@dataclass(frozen=True, slots=True)
class Icmpv6Repr:
    """An ICMPv6 message. ``rest`` is the 32-bit word after the checksum (RFC 4443 2.1: the
    start of the message body; read through the per-type properties), ``payload`` the
    octets after it; ``checksum`` None = computed on emit."""

    type: int
    code: int = 0
    rest: int = 0
    payload: bytes = b""
    checksum: int | None = None

    @classmethod
    def parse(cls, data: bytes) -> "Icmpv6Repr":
        if type(data) is not bytes:
            data = bytes(data)
        if len(data) < HEADER_LEN:
            raise WireError("truncated header")
        icmp_type, code, checksum, rest = _HEADER.unpack_from(data)
        return cls(icmp_type, code, rest, data[HEADER_LEN:], checksum)

    def _message(self) -> bytes:
        return pack(_HEADER, self.type, self.code, self.checksum or 0,
                    bits("rest", self.rest, 32)) + self.payload

    def emit(self, src: bytes, dst: bytes) -> bytes:
        """RFC 4443 2.3: the checksum covers the pseudo-header (RFC 8200 8.1) and the whole
        message."""
        message = self._message()
        if self.checksum is None:
            value = internet_checksum(
                message, ipv6_pseudo_header_sum(src, dst, IPPROTO_ICMPV6, len(message)))
            message = with_checksum(message, _CHECKSUM_AT, value)
        return message

    def checksum_ok(self, src: bytes, dst: bytes) -> bool:
        """RFC 4443 2.3 verification (True when ``checksum`` is None)."""
        if self.checksum is None:
            return True
        message = self._message()
        initial = ipv6_pseudo_header_sum(src, dst, IPPROTO_ICMPV6, len(message))
        return internet_checksum(message, initial) == 0

    @property
    def body(self) -> bytes:
        """The message body after the checksum: the ``rest`` word and the payload."""
        return self.rest.to_bytes(4, "big") + self.payload

    # RFC 4443 4.1 Echo: identifier (high 16 bits), sequence number (low 16 bits).
    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int:
        """RFC 4443 3.2: the MTU of a Packet Too Big."""
        return self.rest

    @property
    def pointer(self) -> int:
        """RFC 4443 3.4: the octet offset of the error in the invoking packet."""
        return self.rest

    @classmethod
    def echo_request(cls, ident: int, seq: int, data: bytes = b"") -> "Icmpv6Repr":
        return cls(ICMP6_ECHO_REQUEST, 0, _echo_rest(ident, seq), data)

    @classmethod
    def echo_reply(cls, ident: int, seq: int, data: bytes = b"") -> "Icmpv6Repr":
        return cls(ICMP6_ECHO_REPLY, 0, _echo_rest(ident, seq), data)

    @classmethod
    def error(cls, icmp_type: int, code: int, original: bytes, rest: int = 0
              ) -> "Icmpv6Repr":
        """An error message quoting ``original`` (as much as the caller fits, RFC 4443
        2.4(c)); ``rest`` is the MTU (Packet Too Big) or pointer (Parameter Problem)."""
        return cls(icmp_type, code, rest, original)

    def summary(self) -> str:
        name = _TYPE_NAMES.get(self.type, f"type {self.type}")
        text = f"ICMPv6 {name}"
        if self.type in (ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY):
            text += f" id={self.ident} seq={self.seq}"
        elif self.type == ICMP6_PACKET_TOO_BIG:
            text += f" code={self.code} mtu={self.mtu}"
        elif self.type == ICMP6_PARAM_PROB:
            text += f" code={self.code} pointer={self.pointer}"
        else:
            text += f" code={self.code}"
        return text + f" len={len(self.payload)}"


def _echo_rest(ident: int, seq: int) -> int:
    return (bits("ident", ident, 16) << 16) | bits("seq", seq, 16)
