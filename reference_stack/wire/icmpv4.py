"""ICMPv4 (RFC 792, RFC 1191, RFC 1812 4.3): checked view ``Icmpv4Packet`` and frozen
``Icmpv4Repr`` holding type, code, checksum, the 32-bit rest-of-header word and the payload."""

import struct
from dataclasses import dataclass

from reference_stack.wire.addr import ip4_str
from reference_stack.wire.checksum import internet_checksum, with_checksum
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, octets, pack
from reference_stack.wire.view import CheckedView

ICMP_ECHO_REPLY = 0
ICMP_DEST_UNREACH = 3
ICMP_SOURCE_QUENCH = 4
ICMP_REDIRECT = 5
ICMP_ECHO_REQUEST = 8
ICMP_TIME_EXCEEDED = 11
ICMP_PARAM_PROBLEM = 12
ICMP_TIMESTAMP = 13
ICMP_TIMESTAMP_REPLY = 14

# Destination Unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1).
ICMP_NET_UNREACH = 0
ICMP_HOST_UNREACH = 1
ICMP_PROT_UNREACH = 2
ICMP_PORT_UNREACH = 3
ICMP_FRAG_NEEDED = 4
ICMP_SR_FAILED = 5
ICMP_NET_UNKNOWN = 6
ICMP_HOST_UNKNOWN = 7
ICMP_HOST_ISOLATED = 8
ICMP_NET_ANO = 9
ICMP_HOST_ANO = 10
ICMP_NET_UNR_TOS = 11
ICMP_HOST_UNR_TOS = 12
ICMP_PKT_FILTERED = 13
ICMP_PREC_VIOLATION = 14
ICMP_PREC_CUTOFF = 15

# Time Exceeded codes (RFC 792).
ICMP_EXC_TTL = 0
ICMP_EXC_FRAGTIME = 1

HEADER_LEN = 8
_HEADER = struct.Struct("!BBHI")
_CHECKSUM_AT = 2

_TYPE_NAMES = {
    ICMP_ECHO_REPLY: "echo reply",
    ICMP_DEST_UNREACH: "unreachable",
    ICMP_SOURCE_QUENCH: "source quench",
    ICMP_REDIRECT: "redirect",
    ICMP_ECHO_REQUEST: "echo request",
    ICMP_TIME_EXCEEDED: "time exceeded",
    ICMP_PARAM_PROBLEM: "parameter problem",
    ICMP_TIMESTAMP: "timestamp request",
    ICMP_TIMESTAMP_REPLY: "timestamp reply",
}


class Icmpv4Packet(CheckedView):
    """Checked view over a buffer holding an ICMPv4 message."""

    __slots__ = ()

    def check_len(self) -> None:
        if len(self.buffer) < HEADER_LEN:
            raise WireError("truncated header")

    @property
    def type(self) -> int:
        return self.buffer[0]

    @property
    def code(self) -> int:
        return self.buffer[1]

    @property
    def checksum(self) -> int:
        return int.from_bytes(self.buffer[2:4], "big")

    @property
    def rest(self) -> int:
        return int.from_bytes(self.buffer[4:8], "big")

    @property
    def payload(self) -> bytes:
        return bytes(self.buffer[HEADER_LEN:])

    def checksum_ok(self) -> bool:
        return internet_checksum(self.buffer) == 0


@dataclass(frozen=True, slots=True)
class Icmpv4Repr:
    """An ICMPv4 message. ``rest`` is the 32-bit word after the checksum, read through the
    per-type properties; ``checksum`` None = computed on emit (RFC 792: over the whole
    message)."""

    type: int
    code: int = 0
    rest: int = 0
    payload: bytes = b""
    checksum: int | None = None

    @classmethod
    def parse(cls, data: bytes) -> "Icmpv4Repr":
        if type(data) is not bytes:
            data = bytes(data)
        if len(data) < HEADER_LEN:
            raise WireError("truncated header")
        icmp_type, code, checksum, rest = _HEADER.unpack_from(data)
        return cls(icmp_type, code, rest, data[HEADER_LEN:], checksum)

    def emit(self) -> bytes:
        header = pack(_HEADER, self.type, self.code, self.checksum or 0, self.rest)
        message = header + self.payload
        if self.checksum is None:
            value = internet_checksum(message)
            message = with_checksum(message, _CHECKSUM_AT, value)
        return message

    def checksum_ok(self) -> bool:
        """RFC 792: the one's complement sum over the whole message is 0 (True when
        ``checksum`` is None)."""
        return self.checksum is None or internet_checksum(self.emit()) == 0

    # RFC 792 Echo / Echo Reply: identifier (high 16 bits), sequence number (low 16 bits).
    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int:
        """RFC 1191 4: Next-Hop MTU, the low 16 bits of a Fragmentation Needed message."""
        return self.rest & 0xFFFF

    @property
    def pointer(self) -> int:
        """RFC 792 Parameter Problem: the octet offset of the error (high 8 bits)."""
        return self.rest >> 24

    @property
    def gateway(self) -> bytes:
        """RFC 792 Redirect: the gateway internet address."""
        return self.rest.to_bytes(4, "big")

    @classmethod
    def echo_request(cls, ident: int, seq: int, data: bytes = b"") -> "Icmpv4Repr":
        return cls(ICMP_ECHO_REQUEST, 0, _echo_rest(ident, seq), data)

    @classmethod
    def echo_reply(cls, ident: int, seq: int, data: bytes = b"") -> "Icmpv4Repr":
        return cls(ICMP_ECHO_REPLY, 0, _echo_rest(ident, seq), data)

    @classmethod
    def dest_unreachable(cls, code: int, original: bytes, mtu: int = 0) -> "Icmpv4Repr":
        """``original``: the offending datagram's header and leading data, as much as the
        caller quotes (RFC 792: header + 64 bits; RFC 1812 4.3.2.3: up to 576 octets total)."""
        return cls(ICMP_DEST_UNREACH, code, bits("mtu", mtu, 16), original)

    @classmethod
    def time_exceeded(cls, code: int, original: bytes) -> "Icmpv4Repr":
        return cls(ICMP_TIME_EXCEEDED, code, 0, original)

    @classmethod
    def param_problem(cls, pointer: int, original: bytes) -> "Icmpv4Repr":
        return cls(ICMP_PARAM_PROBLEM, 0, bits("pointer", pointer, 8) << 24, original)

    @classmethod
    def redirect(cls, code: int, gateway: bytes, original: bytes) -> "Icmpv4Repr":
        return cls(
            ICMP_REDIRECT, code, int.from_bytes(octets("gateway", gateway, 4), "big"), original
        )

    def summary(self) -> str:
        name = _TYPE_NAMES.get(self.type, f"type {self.type}")
        text = f"ICMP {name}"
        if self.type in (ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY):
            text += f" id={self.ident} seq={self.seq}"
        elif self.type == ICMP_DEST_UNREACH and self.code == ICMP_FRAG_NEEDED:
            text += f" code={self.code} mtu={self.mtu}"
        elif self.type == ICMP_PARAM_PROBLEM:
            text += f" code={self.code} pointer={self.pointer}"
        elif self.type == ICMP_REDIRECT:
            text += f" code={self.code} gateway={ip4_str(self.gateway)}"
        else:
            text += f" code={self.code}"
        return text + f" len={len(self.payload)}"


def _echo_rest(ident: int, seq: int) -> int:
    return (bits("ident", ident, 16) << 16) | bits("seq", seq, 16)
