"""The report of an ESP test (issue 15): the ladder shows the ESP frame with the packet it
carried (decrypted with the test's SA, also past an ESN wrap, RFC 4303 2.2.1), the SA used,
and the test's evidence cell the XFRM counter deltas of the DUT (/proc/net/xfrm_stat)."""

from __future__ import annotations

from conformance.cli.frames import frames_json
from conformance.fabric.pcap import FrameRecord
from reference_stack.ipsec.config import AES_GCM, Algorithm, IpsecConfig, SecurityAssociation
from reference_stack.ipsec.peer import EspPeer
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.frame import build_frame
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.udp import UdpRepr
from reports.html import render_report
from tests.reports import sample
from tests.reports.test_reports_html import lazy_bodies

DUT, TESTER = "198.18.0.1", "198.18.0.2"
FROM_DUT = SecurityAssociation(0x1000, DUT, TESTER, aead=Algorithm(AES_GCM, bytes(20), 128),
                               esn=True, oseq=0xFFFFFFFF)


def _esp_frame(seq: int) -> bytes:
    udp = UdpRepr(5000, 40000, b"secret").emit(ip4(DUT), ip4(TESTER))
    packet = EspPeer(FROM_DUT).seal(udp, 17, seq=seq)
    return build_frame(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"),
                       Ipv4Repr(ip4(DUT), ip4(TESTER), 50, packet))


def test_esp_test_shows_inner_packet_sa_and_xfrm_deltas(tmp_path):
    # the DUT's first packets after its counter crossed 2^32 (low halves 0 and 1, high 1)
    records = [FrameRecord(0.001 * i, "in", _esp_frame((1 << 32) + i)) for i in range(2)]
    frames = frames_json(records, IpsecConfig((), (FROM_DUT,)))
    test = sample.make_test("suites/ipsec/test_esp_outbound.py::test_esn[ipv4]",
                            frames=frames,
                            mib_deltas={"Xfrm": {"OutStateSeqError": 0, "InStateSeqError": 2}},
                            ipsec={"policies": [], "sas": [{
                                "spi": "0x1000", "src": DUT, "dst": TESTER,
                                "mode": "transport", "transform": AES_GCM, "esn": True,
                                "replay_window": 32, "selector": None}]})
    page = render_report([sample.make_results([test], target="vm")], tmp_path).read_text()
    body = next(iter(lazy_bodies(page).values()))
    assert "ESP spi=0x1000 seq=0 (ESN high 1)" in body  # the header, with the ESN's high half
    assert "\u21b3 UDP 5000\u219240000 len=6" in body  # the inner packet beside it
    assert "transport rfc4106(gcm(aes))" in body  # the SA used
    assert "<td>Xfrm</td><td>InStateSeqError</td><td>2</td>" in body  # XFRM MIB deltas
