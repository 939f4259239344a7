"""TCP options (RFC 9293 3.1, RFC 7323, RFC 2018), one frozen dataclass per kind.

A known kind with the wrong length is kept as ``TcpOptUnknown(kind, data)`` and parsing goes
on, as Linux skips it (tcp_parse_options); broken framing ends the list with
``TcpOptMalformed(raw)`` (see ``options_tlv``).
"""

import struct
from dataclasses import dataclass

from reference_stack.wire.fields import bits, pack
from reference_stack.wire.options_tlv import emit_tlv, walk_options

TCPOPT_EOL = 0
TCPOPT_NOP = 1
TCPOPT_MSS = 2  # RFC 9293 3.2
TCPOPT_WINDOW = 3  # RFC 7323 2.2
TCPOPT_SACK_PERM = 4  # RFC 2018 2
TCPOPT_SACK = 5  # RFC 2018 3
TCPOPT_TIMESTAMP = 8  # RFC 7323 3.2

_U16 = struct.Struct("!H")
_U32_PAIR = struct.Struct("!II")
_TIMESTAMPS = struct.Struct("!BBII")  # kind 8, length 10, TSval, TSecr (RFC 7323 3.2)


@dataclass(frozen=True, slots=True)
class TcpOptEol:
    """End of Option List; ``padding`` is whatever followed it up to the data offset."""

    padding: bytes = b""

    def emit(self) -> bytes:
        return b"\x00" + self.padding


@dataclass(frozen=True, slots=True)
class TcpOptNop:
    def emit(self) -> bytes:
        return b"\x01"


@dataclass(frozen=True, slots=True)
class TcpOptMss:
    mss: int

    def emit(self) -> bytes:
        return emit_tlv(TCPOPT_MSS, pack(_U16, self.mss))


@dataclass(frozen=True, slots=True)
class TcpOptWindowScale:
    shift: int

    def emit(self) -> bytes:
        return emit_tlv(TCPOPT_WINDOW, bytes((bits("shift", self.shift, 8),)))


@dataclass(frozen=True, slots=True)
class TcpOptSackPermitted:
    def emit(self) -> bytes:
        return b"\x04\x02"


@dataclass(frozen=True, slots=True)
class TcpOptSack:
    """RFC 2018 3: (left edge, right edge) blocks."""

    blocks: tuple[tuple[int, int], ...]

    def emit(self) -> bytes:
        return emit_tlv(TCPOPT_SACK, b"".join([pack(_U32_PAIR, *b) for b in self.blocks]))


@dataclass(frozen=True, slots=True)
class TcpOptTimestamps:
    tsval: int
    tsecr: int

    def emit(self) -> bytes:
        return pack(_TIMESTAMPS, TCPOPT_TIMESTAMP, 10, self.tsval, self.tsecr)


@dataclass(frozen=True, slots=True)
class TcpOptUnknown:
    """Any other well-framed option (or a known kind with the wrong length): kind and body."""

    kind: int
    data: bytes = b""

    def emit(self) -> bytes:
        return emit_tlv(self.kind, self.data)


@dataclass(frozen=True, slots=True)
class TcpOptMalformed:
    """The raw remainder of the option area from the first option with broken framing."""

    raw: bytes

    def emit(self) -> bytes:
        return self.raw


TcpOption = (
    TcpOptEol
    | TcpOptNop
    | TcpOptMss
    | TcpOptWindowScale
    | TcpOptSackPermitted
    | TcpOptSack
    | TcpOptTimestamps
    | TcpOptUnknown
    | TcpOptMalformed
)

_NOP = TcpOptNop()
_SACK_PERMITTED = TcpOptSackPermitted()


def _decode(kind: int, body: bytes) -> TcpOption:
    n = len(body)
    if kind == TCPOPT_MSS and n == 2:
        return TcpOptMss(_U16.unpack(body)[0])
    if kind == TCPOPT_WINDOW and n == 1:
        return TcpOptWindowScale(body[0])
    if kind == TCPOPT_SACK_PERM and n == 0:
        return _SACK_PERMITTED
    if kind == TCPOPT_TIMESTAMP and n == 8:
        return TcpOptTimestamps(*_U32_PAIR.unpack(body))
    if kind == TCPOPT_SACK and n and n % 8 == 0:  # RFC 2018 3: length 8n + 2, n >= 1
        return TcpOptSack(tuple(_U32_PAIR.unpack_from(body, i) for i in range(0, n, 8)))
    return TcpOptUnknown(kind, body)


def parse_tcp_options(area: bytes) -> tuple[TcpOption, ...]:
    """The option area (header bytes 20 .. data offset * 4) as typed options, byte-exact."""
    if not area:
        return ()
    return walk_options(area, TcpOptEol, _NOP, _decode, TcpOptMalformed)


def emit_tcp_options(options: tuple[TcpOption, ...]) -> bytes:
    return b"".join([b"\x01" if type(option) is TcpOptNop else option.emit()
                     for option in options])


def option_summary(option: TcpOption) -> str:
    """tcpdump's spelling of one option."""
    if isinstance(option, TcpOptNop):
        return "nop"
    if isinstance(option, TcpOptEol):
        return "eol"
    if isinstance(option, TcpOptMss):
        return f"mss {option.mss}"
    if isinstance(option, TcpOptWindowScale):
        return f"wscale {option.shift}"
    if isinstance(option, TcpOptSackPermitted):
        return "sackOK"
    if isinstance(option, TcpOptSack):
        return "sack " + " ".join(f"{left}:{right}" for left, right in option.blocks)
    if isinstance(option, TcpOptTimestamps):
        return f"TS val {option.tsval} ecr {option.tsecr}"
    if isinstance(option, TcpOptUnknown):
        return f"opt-{option.kind}:{option.data.hex()}"
    return f"malformed {option.raw.hex()}"
