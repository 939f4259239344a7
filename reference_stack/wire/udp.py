"""UDP (RFC 768): checked view ``UdpPacket`` and frozen ``UdpRepr``."""

import struct
from dataclasses import dataclass

from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum, with_checksum
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import pack
from reference_stack.wire.view import CheckedView

IPPROTO_UDP = 17
HEADER_LEN = 8
_HEADER = struct.Struct("!HHHH")
_CHECKSUM_AT = 6


class UdpPacket(CheckedView):
    """Checked view over a buffer holding a UDP datagram."""

    __slots__ = ()

    def check_len(self) -> None:
        """Strict framing: header present, RFC 768 length >= 8 and within the buffer."""
        if len(self.buffer) < HEADER_LEN:
            raise WireError("truncated header")
        if not HEADER_LEN <= self.length <= len(self.buffer):
            raise WireError("bad length")

    @property
    def src_port(self) -> int:
        return int.from_bytes(self.buffer[0:2], "big")

    @property
    def dst_port(self) -> int:
        return int.from_bytes(self.buffer[2:4], "big")

    @property
    def length(self) -> int:
        return int.from_bytes(self.buffer[4:6], "big")

    @property
    def checksum(self) -> int:
        return int.from_bytes(self.buffer[6:8], "big")

    @property
    def payload(self) -> bytes:
        return bytes(self.buffer[HEADER_LEN : self.length])


@dataclass(frozen=True, slots=True)
class UdpRepr:
    """A UDP datagram. ``length``/``checksum`` None = computed on emit. ``payload`` on parse is
    the bytes up to ``length`` when that is sane (8 <= length <= buffer), else all of them."""

    src_port: int
    dst_port: int
    payload: bytes = b""
    length: int | None = None
    checksum: int | None = None

    @classmethod
    def parse(cls, data: bytes) -> "UdpRepr":
        if type(data) is not bytes:
            data = bytes(data)
        if len(data) < HEADER_LEN:
            raise WireError("truncated header")
        src_port, dst_port, length, checksum = _HEADER.unpack_from(data)
        if HEADER_LEN <= length <= len(data):
            payload = data[HEADER_LEN:length]
        else:
            payload = data[HEADER_LEN:]
        return cls(src_port, dst_port, payload, length, checksum)

    def _datagram(self) -> tuple[bytes, int]:
        length = self.length if self.length is not None else HEADER_LEN + len(self.payload)
        header = pack(_HEADER, self.src_port, self.dst_port, length, self.checksum or 0)
        return header + self.payload, length

    @staticmethod
    def _sum(datagram: bytes, length: int, src_ip: bytes, dst_ip: bytes) -> int:
        """RFC 768: the checksum covers the pseudo-header (with the length field's value) and
        the datagram as the length field delimits it, when that is sane (what a receiver
        verifies); otherwise every octet emitted."""
        if HEADER_LEN <= length < len(datagram):
            datagram = datagram[:length]
        return internet_checksum(datagram, pseudo_header_sum(src_ip, dst_ip, IPPROTO_UDP, length))

    def emit(self, src_ip: bytes, dst_ip: bytes) -> bytes:
        """Header and payload; a computed checksum of 0 is sent as 0xFFFF (RFC 768). An
        explicit checksum, including 0 = "no checksum", is sent as given."""
        datagram, length = self._datagram()
        if self.checksum is None:
            value = self._sum(datagram, length, src_ip, dst_ip) or 0xFFFF
            datagram = with_checksum(datagram, _CHECKSUM_AT, value)
        return datagram

    def checksum_ok(self, src_ip: bytes, dst_ip: bytes) -> bool:
        """True when the checksum verifies, is 0 (RFC 768: none transmitted), or is None."""
        if not self.checksum:
            return True
        datagram, length = self._datagram()
        return self._sum(datagram, length, src_ip, dst_ip) == 0

    def summary(self) -> str:
        text = f"UDP {self.src_port} > {self.dst_port} len={len(self.payload)}"
        if self.length is not None and self.length != HEADER_LEN + len(self.payload):
            text += f" length-field={self.length}"
        return text
