"""The tester's end of the DUT's ESP Security Associations (issue 15): frames the tester sends
are sealed, and frames the DUT sends opened, with the oracle's own ESP code
(reference_stack/ipsec/peer.py), so a test reads as packets:

    tester = EspTester(ex, family, endpoints, to_dut=sa_in, from_dut=sa_out)
    tester.send_udp(40000, 5000, b"secret")            # sealed with the next sequence number
    seq, udp = tester.expect_udp()                        # the DUT's ESP, opened
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.author.templates import Payload
from reference_stack.ipsec.config import IPPROTO_ESP, SecurityAssociation
from reference_stack.ipsec.esp import HEADER, Opened
from reference_stack.ipsec.peer import EspPeer
from reference_stack.wire.addr import ip4, ip6
from reference_stack.wire.frame import Dissected
from reference_stack.wire.udp import UdpRepr

IPPROTO_UDP = 17


@dataclass
class Received:
    """An ESP packet the DUT sent, opened: its SPI, sequence number (low 32 bits) and what
    the trailer read gave (None: its ICV did not verify with the tester's keys)."""

    spi: int
    seq: int
    opened: Opened | None
    frame: Dissected
    packet: bytes = b""  # the ESP packet as sent

    @property
    def iv(self) -> bytes:
        return self.packet[HEADER.size:HEADER.size + 16]


class EspTester:
    def __init__(self, ex: Any, family: Any, endpoints: Any, to_dut: SecurityAssociation,
                 from_dut: SecurityAssociation | None = None) -> None:
        self.ex = ex
        self.family = family
        self.to_dut = EspPeer(to_dut, to_dut.oseq)
        self.from_dut = EspPeer(from_dut) if from_dut is not None else None
        pack = ip6 if family.wire == "ipv6" else ip4
        self.tester_ip = pack(family.tester_ip(endpoints))
        self.dut_ip = pack(family.dut_ip(endpoints))

    def esp_ip(self, **fields: Any) -> Any:
        key = "next_header" if self.family.wire == "ipv6" else "protocol"
        return self.family.ip(**{key: IPPROTO_ESP, **fields})

    def udp(self, src_port: int, dst_port: int, data: bytes) -> bytes:
        """A UDP datagram from the tester to the DUT, checksummed for the outer addresses
        (transport mode: the inner header is the outer one, RFC 4303 3.1.1)."""
        return UdpRepr(src_port, dst_port, data).emit(self.tester_ip, self.dut_ip)

    def send(self, payload: bytes, next_header: int, **seal: Any) -> bytes:
        """Seal and send; `seal`: EspPeer.seal's knobs (seq, spi, pad, pad_length,
        corrupt_icv, iv). Returns the ESP packet."""
        packet = self.to_dut.seal(payload, next_header, **seal)
        self.ex.send(self.esp_ip(), Payload(packet))
        return packet

    def send_udp(self, src_port: int, dst_port: int, data: bytes, **seal: Any) -> bytes:
        return self.send(self.udp(src_port, dst_port, data), IPPROTO_UDP, **seal)

    def expect(self, timeout: float = 2.0, seq_high: int = 0) -> Received:
        """The next ESP frame from the DUT, opened with the SA from it (`seq_high`: the
        ESN's high half the tester expects, RFC 4303 2.2.1)."""
        d = self.ex.expect(self.esp_ip(), timeout=timeout)
        packet = (d.ipv6 if self.family.wire == "ipv6" else d.ipv4).payload
        spi, seq = HEADER.unpack_from(packet)
        opened = self.from_dut.open(packet, seq_high) if self.from_dut is not None else None
        return Received(spi, seq, opened, d, packet)

    def expect_udp(self, timeout: float = 2.0, seq_high: int = 0) -> tuple[Received, UdpRepr]:
        got = self.expect(timeout, seq_high)
        assert got.opened is not None, f"the DUT's ESP (SPI {got.spi:#x}) fails its ICV"
        assert got.opened.next_header == IPPROTO_UDP, got.opened.next_header
        return got, UdpRepr.parse(got.opened.payload)
