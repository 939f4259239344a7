"""The other end of an SA, for whoever builds or reads ESP packets outside a stack (the
tester of a suite, a unit test, a fuzz strategy): seal a payload as the SA's sender would
(RFC 4303 3.3), open what a stack sent (3.4). No checks of its own: what it builds is what
it is told to build, wrong ICVs, padding and sequence numbers included."""

from __future__ import annotations

from reference_stack.ipsec import esp
from reference_stack.ipsec.config import SecurityAssociation


class EspPeer:
    def __init__(self, sa: SecurityAssociation, seq: int = 0) -> None:
        self.sa = sa
        self.transform = esp.transform_of(sa)
        self.seq = seq  # the last sequence number sealed

    def seal(self, payload: bytes, next_header: int, seq: int | None = None,
             iv: bytes | None = None, pad: bytes | None = None, spi: int | None = None,
             corrupt_icv: bool = False, pad_length: int | None = None) -> bytes:
        """An ESP packet (header on) carrying `payload`; by default the next sequence number,
        an IV of zeros then the sequence number (unique per packet, RFC 4106 3.1), RFC 4303
        2.4's padding and the SA's SPI."""
        if seq is None:
            seq = self.seq = self.seq + 1
        t = self.transform
        if iv is None:
            iv = (seq % (1 << (8 * t.iv_len))).to_bytes(t.iv_len, "big") if t.iv_len else b""
        padding = esp.padding(len(payload), t.align) if pad is None else pad
        pad_length = len(padding) if pad_length is None else pad_length
        plaintext = payload + padding + bytes((pad_length & 0xFF, next_header))
        header = esp.HEADER.pack(self.sa.spi if spi is None else spi, seq & 0xFFFFFFFF)
        packet = header + t.seal(header, esp.seq_high(seq, self.sa.esn), iv, plaintext)
        if corrupt_icv:
            packet = packet[:-1] + bytes((packet[-1] ^ 0x80,))
        return packet

    def open(self, packet: bytes, seq_high: int = 0) -> esp.Opened | None:
        """The trailer-read plaintext of an ESP packet for this SA, None if its ICV fails."""
        header = packet[:esp.HEADER.size]
        hi = seq_high.to_bytes(4, "big") if self.sa.esn else b""
        plaintext = self.transform.open(header, hi, packet[esp.HEADER.size:])
        return None if plaintext is None else esp.read_trailer(plaintext)
