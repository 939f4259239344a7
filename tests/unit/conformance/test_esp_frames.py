"""The report's view of an ESP frame (issue 15): opened with the test's SA, the ladder shows
the ESP header and the inner packet; a frame no SA opens says so."""

from __future__ import annotations

from conformance.cli.esp_frames import esp_row
from conformance.cli.frames import frames_json
from conformance.fabric.pcap import FrameRecord
from reference_stack.ipsec.config import AES_GCM, Algorithm, IpsecConfig, SecurityAssociation
from reference_stack.ipsec.peer import EspPeer
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.udp import UdpRepr
from reports.ladder import build_ladder

SA = SecurityAssociation(0x2000, "198.18.0.2", "198.18.0.1",
                         aead=Algorithm(AES_GCM, bytes(20), 128))
SRC, DST = ip4("198.18.0.2"), ip4("198.18.0.1")


def _frame(spi: int | None = None) -> bytes:
    udp = UdpRepr(40000, 6100, b"hello").emit(SRC, DST)
    esp = EspPeer(SA).seal(udp, 17, spi=spi)
    ip = Ipv4Repr(SRC, DST, 50, esp).emit()
    return EthernetRepr(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), ETH_P_IP,
                        payload=ip).emit()


def test_esp_frame_opened_with_the_tests_sa():
    row = esp_row(IpsecConfig((), (SA,)), dissect(_frame()))
    assert row == {"spi": "0x2000", "seq": 1, "sa": "198.18.0.2 > 198.18.0.1 transport "
                   "rfc4106(gcm(aes))", "inner": "UDP 40000\u21926100 len=5"}


def test_esp_frame_of_no_known_sa():
    row = esp_row(IpsecConfig((), (SA,)), dissect(_frame(spi=0x9)))
    assert row["inner"] == "no SA of the test's configuration"


def test_ladder_shows_the_inner_packet_under_the_esp_header():
    rows = frames_json([FrameRecord(0.0, "out", _frame())], IpsecConfig((), (SA,)))
    arrow = build_ladder(rows, "reference").arrows[0]
    assert arrow.label == "ESP spi=0x2000 seq=1"
    assert "UDP 40000\u21926100" in arrow.options


def test_esn_frame_past_the_wrap_opens_with_its_high_half():
    """RFC 4303 2.2.1: the high half is authenticated but never sent; the report tries the
    SA's own (from where the test set its counters) and the next one."""
    esn = SecurityAssociation(0x2000, "198.18.0.2", "198.18.0.1",
                              aead=Algorithm(AES_GCM, bytes(20), 128), esn=True,
                              oseq=0xFFFFFFFF)
    udp = UdpRepr(40000, 6100, b"hello").emit(SRC, DST)
    packet = EspPeer(esn).seal(udp, 17, seq=1 << 32)  # low half 0, high half 1
    frame = EthernetRepr(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), ETH_P_IP,
                         payload=Ipv4Repr(SRC, DST, 50, packet).emit()).emit()
    row = esp_row(IpsecConfig((), (esn,)), dissect(frame))
    assert (row["seq"], row["seq_high"], row["inner"]) == (0, 1, "UDP 40000\u21926100 len=5")
