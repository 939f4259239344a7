"""TCP header (RFC 9293 3.1): checked view ``TcpPacket``, frozen ``TcpRepr``, flag helpers.

The option classes live in ``tcp_options`` and are re-exported here.
"""

import struct
from dataclasses import dataclass

from reference_stack.wire.checksum import (
    fold,
    internet_checksum,
    pseudo_header_sum,
    word_sum,
)
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, pack
from reference_stack.wire.tcp_options import (
    TcpOptEol,
    TcpOption,
    TcpOptMalformed,
    TcpOptMss,
    TcpOptNop,
    TcpOptSack,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptUnknown,
    TcpOptWindowScale,
    emit_tcp_options,
    option_summary,
    parse_tcp_options,
)
from reference_stack.wire.view import CheckedView

__all__ = [
    "ACK",
    "CWR",
    "ECE",
    "FIN",
    "HEADER_LEN",
    "PSH",
    "RST",
    "SYN",
    "URG",
    "common_fields",
    "TcpOptEol",
    "TcpOption",
    "TcpOptMalformed",
    "TcpOptMss",
    "TcpOptNop",
    "TcpOptSack",
    "TcpOptSackPermitted",
    "TcpOptTimestamps",
    "TcpOptUnknown",
    "TcpOptWindowScale",
    "TcpPacket",
    "TcpRepr",
    "flags_str",
    "parse_flags",
]

IPPROTO_TCP = 6

# RFC 9293 3.1 control bits (with RFC 3168 6.1 ECE and CWR).
FIN = 0x01
SYN = 0x02
RST = 0x04
PSH = 0x08
ACK = 0x10
URG = 0x20
ECE = 0x40
CWR = 0x80

# tcpdump's letters and order (print-tcp.c tcp_flag_values): ACK prints as ".".
_FLAG_LETTERS = (
    (FIN, "F"),
    (SYN, "S"),
    (RST, "R"),
    (PSH, "P"),
    (ACK, "."),
    (URG, "U"),
    (ECE, "E"),
    (CWR, "W"),
)
_LETTER_FLAGS = {
    "F": FIN,
    "S": SYN,
    "R": RST,
    "P": PSH,
    "A": ACK,
    ".": ACK,
    "U": URG,
    "E": ECE,
    "C": CWR,
    "W": CWR,
}

HEADER_LEN = 20
# ports, seq, ack, data offset/reserved, flags, window, checksum, urgent pointer
_FIXED = struct.Struct("!HHIIBBHHH")
_CHECKSUM_AT = 16


_TS_KINDS = 0x0101080A  # NOP, NOP, kind 8, length 10 (RFC 7323 appendix A)
_WITH_TS = struct.Struct("!HHIIBBHHHIII")  # _FIXED, then those four octets, TSval, TSecr


def common_fields(data: bytes) -> tuple | None:
    """The fields of a segment in one of the two common layouts, read in place: no options
    (data offset 5), or exactly NOP, NOP, Timestamps (data offset 8, the layout RFC 7323
    appendix A recommends and Linux sends). Returns (src_port, dst_port, seq, ack, flags,
    window, urgent, header_len, timestamps or None), or None for anything else (short, other
    options, a bogus data offset, reserved bits set): parse that with ``TcpRepr.parse``."""
    n = len(data)
    if n < HEADER_LEN:
        return None
    offset_byte = data[12]
    if offset_byte == 0x50:
        src_port, dst_port, seq, ack, _, flags, window, _, urgent = _FIXED.unpack_from(data)
        return src_port, dst_port, seq, ack, flags, window, urgent, HEADER_LEN, None
    if offset_byte == 0x80 and n >= 32:
        # (the whole 32 octets in one unpack)
        (src_port, dst_port, seq, ack, _, flags, window, _, urgent, kinds, tsval,
         tsecr) = _WITH_TS.unpack_from(data)
        if kinds == _TS_KINDS:
            return src_port, dst_port, seq, ack, flags, window, urgent, 32, (tsval, tsecr)
    return None


def flags_str(flags: int) -> str:
    """tcpdump spelling of the 8 control bits: "S", "S.", "R.", "F.", "P.", "none" for 0."""
    return "".join(letter for bit, letter in _FLAG_LETTERS if flags & bit) or "none"


def parse_flags(text: str) -> int:
    """``"SA"``, ``"S."``, ``"FPU"`` ... -> flag bits (letters F S R P A/. U E C/W; "none")."""
    if text == "none":
        return 0
    flags = 0
    for letter in text.upper():
        bit = _LETTER_FLAGS.get(letter)
        if bit is None:
            raise ValueError(f"unknown TCP flag letter {letter!r} in {text!r}")
        flags |= bit
    return flags


class TcpPacket(CheckedView):
    """Checked view over a buffer holding a TCP segment."""

    __slots__ = ()

    def check_len(self) -> None:
        """Strict framing: fixed header present, data offset >= 5 and within the buffer."""
        if len(self.buffer) < HEADER_LEN:
            raise WireError("truncated header")
        header_len = self.header_len
        if header_len < HEADER_LEN:
            raise WireError("data offset below minimum")
        if len(self.buffer) < header_len:
            raise WireError("truncated options")

    @property
    def src_port(self) -> int:
        return int.from_bytes(self.buffer[0:2], "big")

    @property
    def dst_port(self) -> int:
        return int.from_bytes(self.buffer[2:4], "big")

    @property
    def seq(self) -> int:
        return int.from_bytes(self.buffer[4:8], "big")

    @property
    def ack(self) -> int:
        return int.from_bytes(self.buffer[8:12], "big")

    @property
    def header_len(self) -> int:
        return (self.buffer[12] >> 4) * 4

    @property
    def flags(self) -> int:
        return self.buffer[13]

    @property
    def window(self) -> int:
        return int.from_bytes(self.buffer[14:16], "big")

    @property
    def checksum(self) -> int:
        return int.from_bytes(self.buffer[16:18], "big")

    @property
    def urgent(self) -> int:
        return int.from_bytes(self.buffer[18:20], "big")

    @property
    def options(self) -> bytes:
        return bytes(self.buffer[HEADER_LEN : self.header_len])

    @property
    def payload(self) -> bytes:
        return bytes(self.buffer[self.header_len :])

    def checksum_ok(self, src_ip: bytes, dst_ip: bytes) -> bool:
        initial = pseudo_header_sum(src_ip, dst_ip, IPPROTO_TCP, len(self.buffer))
        return internet_checksum(self.buffer, initial) == 0


@dataclass(frozen=True, slots=True)
class TcpRepr:
    """A TCP segment. ``data_offset`` and ``checksum`` None = computed on emit. With a bogus
    data offset the header still spans the 20 fixed octets; ``options`` hold what lies between
    octet 20 and data offset * 4 (clipped to the buffer) and ``payload`` the rest."""

    src_port: int
    dst_port: int
    seq: int = 0
    ack: int = 0
    flags: int = 0
    window: int = 0
    payload: bytes = b""
    options: tuple[TcpOption, ...] = ()
    urgent: int = 0
    data_offset: int | None = None
    reserved: int = 0  # the 4 bits between data offset and CWR
    checksum: int | None = None

    @classmethod
    def parse(cls, data: bytes) -> "TcpRepr":
        if type(data) is not bytes:
            data = bytes(data)
        n = len(data)
        if n < HEADER_LEN:
            raise WireError("truncated header")
        src_port, dst_port, seq, ack, offset_byte, flags, window, checksum, urgent = (
            _FIXED.unpack_from(data)
        )
        data_offset = offset_byte >> 4
        header_end = data_offset * 4
        if header_end < HEADER_LEN:
            header_end = HEADER_LEN
        elif header_end > n:
            header_end = n
        options = parse_tcp_options(data[HEADER_LEN:header_end]) if header_end > HEADER_LEN else ()
        return cls(
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            window,
            data[header_end:],
            options,
            urgent,
            data_offset,
            offset_byte & 0x0F,
            checksum,
        )

    def _options_and_offset(self) -> tuple[bytes, int]:
        """The option octets and the data offset/reserved octet.

        RFC 9293 3.1: with a computed data offset the options are padded with zeros to a
        32-bit boundary; an explicit data offset emits the options exactly as given.
        """
        options = emit_tcp_options(self.options) if self.options else b""
        data_offset = self.data_offset
        if data_offset is None:
            if len(options) & 3:
                options += bytes(4 - (len(options) & 3))
            data_offset = 5 + len(options) // 4
            if data_offset > 15:
                raise WireError(f"options too long ({len(options)} octets)")
        reserved = self.reserved
        if 0 <= data_offset <= 15 and reserved == 0:
            return options, data_offset << 4
        return options, (bits("data_offset", data_offset, 4) << 4) | bits(
            "reserved", reserved, 4)

    def _header(self) -> bytes:
        """Header (fixed part and options) with the checksum field as given (0 if None)."""
        options, offset_byte = self._options_and_offset()
        return self._fixed(offset_byte, self.checksum or 0) + options

    def _fixed(self, offset_byte: int, checksum: int) -> bytes:
        return pack(_FIXED, self.src_port, self.dst_port, self.seq, self.ack, offset_byte,
                    self.flags, self.window, checksum, self.urgent)

    def _segment(self) -> bytes:
        """Header and payload with the checksum field as given (0 if None)."""
        return self._header() + self.payload

    def emit(self, src_ip: bytes, dst_ip: bytes) -> bytes:
        """RFC 9293 3.1: the checksum covers the pseudo-header, header and data.

        The sum is taken field by field for the fixed header and over the option and payload
        octets in place (checksum.word_sum), so the segment is joined only once. A value out
        of its field's range makes the final pack raise WireError, as before."""
        options, offset_byte = self._options_and_offset()
        payload = self.payload
        checksum = self.checksum
        if checksum is None:
            seq, ack = self.seq, self.ack
            total = (pseudo_header_sum(src_ip, dst_ip, IPPROTO_TCP,
                                       HEADER_LEN + len(options) + len(payload))
                     + self.src_port + self.dst_port + (seq >> 16) + (seq & 0xFFFF)
                     + (ack >> 16) + (ack & 0xFFFF) + (offset_byte << 8) + self.flags
                     + self.window + self.urgent)
            if len(options) & 1:  # an explicit odd-length option area shifts the payload
                total += word_sum(options + payload)
            else:
                total += word_sum(options) + word_sum(payload)
            checksum = fold(total)
        return b"".join((self._fixed(offset_byte, checksum), options, payload))

    def checksum_ok(self, src_ip: bytes, dst_ip: bytes) -> bool:
        """RFC 9293 3.1 checksum verification (True when ``checksum`` is None)."""
        if self.checksum is None:
            return True
        segment = self._segment()
        initial = pseudo_header_sum(src_ip, dst_ip, IPPROTO_TCP, len(segment))
        return internet_checksum(segment, initial) == 0

    def _first(self, option_type: type) -> TcpOption | None:
        for option in self.options:
            if type(option) is option_type:
                return option
        return None

    @property
    def mss(self) -> int | None:
        option = self._first(TcpOptMss)
        return option.mss if option is not None else None

    @property
    def window_scale(self) -> int | None:
        option = self._first(TcpOptWindowScale)
        return option.shift if option is not None else None

    @property
    def sack_permitted(self) -> bool:
        return self._first(TcpOptSackPermitted) is not None

    @property
    def timestamps(self) -> tuple[int, int] | None:
        option = self._first(TcpOptTimestamps)
        return (option.tsval, option.tsecr) if option is not None else None

    @property
    def sack_blocks(self) -> tuple[tuple[int, int], ...]:
        option = self._first(TcpOptSack)
        return option.blocks if option is not None else ()

    @property
    def segment_len(self) -> int:
        """RFC 9293 3.4 SEG.LEN: payload octets plus one each for SYN and FIN."""
        return len(self.payload) + (1 if self.flags & SYN else 0) + (1 if self.flags & FIN else 0)

    def summary(self) -> str:
        text = (
            f"TCP {self.src_port} > {self.dst_port} [{flags_str(self.flags)}] seq={self.seq} "
            f"ack={self.ack} win={self.window} len={len(self.payload)}"
        )
        if self.flags & URG or self.urgent:
            text += f" urg={self.urgent}"
        if self.options:
            text += " options=[" + ",".join(option_summary(o) for o in self.options) + "]"
        return text
