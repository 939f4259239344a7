"""RFC 4303 3.4: inbound ESP processing. A packet for an SA is found its SA by SPI (3.4.2),
checked against the replay window (3.4.3), its ICV verified (3.4.4), decrypted and its trailer
read (2.4-2.6), then checked against the SPD-I (RFC 4301 5.2); each failure drops it silently.
The tester seals with the oracle's ESP code (conformance/author/esp.py)."""

import pytest

from conformance.author.templates import ICMPv4, ICMPv6, Payload
from reference_stack.ipsec.config import Selector
from suites.ipsec.sas import esp_pair, per_transform
from suites.ipv4.udp_probe import bound_socket, received

pytestmark = [pytest.mark.families("ipv4", "ipv6"), pytest.mark.esp]
PORT = 6100


def _setup(bed, ex, dut, endpoints, family, **kw):
    fd = bound_socket(dut, family=family, port=PORT)
    return fd, esp_pair(bed, ex, family, endpoints, **kw)


@pytest.mark.requirement("RFC4303-3.4.4.2-MUST-decrypt", "RFC4301-5.2-MUST-protected-as-policy",
                         "RFC4303-3.1.1-MUST-transport-mode")
@pytest.mark.parametrize("transform", per_transform())
def test_esp_datagram_is_delivered(ex, bed, dut, endpoints, family, transform):
    fd, tester = _setup(bed, ex, dut, endpoints, family, transform=transform)
    tester.send_udp(40000, PORT, b"protected")
    ex.expect_nothing()
    assert received(dut, fd) == b"protected"


@pytest.mark.requirement("RFC4303-3.4.2-MUST-discard-no-sa", "RFC4301-4.4.2-MUST-sa-lookup")
def test_unknown_spi_is_dropped_without_icmp(ex, bed, dut, endpoints, family):
    fd, tester = _setup(bed, ex, dut, endpoints, family)
    tester.send_udp(40000, PORT, b"whose SA?", spi=0x2001)
    ex.expect_nothing(ICMPv6() if family.wire == "ipv6" else ICMPv4())
    assert received(dut, fd) is None


@pytest.mark.requirement("RFC4303-3.4.4.1-MUST-icv-check")
@pytest.mark.parametrize("transform", ["aes-gcm-16", "aes-cbc-hmac-sha256"])
def test_bad_icv_is_dropped(ex, bed, dut, endpoints, family, transform):
    fd, tester = _setup(bed, ex, dut, endpoints, family, transform=transform)
    tester.send_udp(40000, PORT, b"tampered", corrupt_icv=True)
    ex.expect_nothing()
    assert received(dut, fd) is None


@pytest.mark.requirement("RFC4303-3.4.3-MUST-window-update-after-icv",
                         "RFC4303-3.4.4.1-MUST-icv-check")
def test_forged_packet_does_not_move_the_window(ex, bed, dut, endpoints, family):
    fd, tester = _setup(bed, ex, dut, endpoints, family)
    tester.send_udp(40000, PORT, b"forged", seq=1000, corrupt_icv=True)
    tester.send_udp(40000, PORT, b"genuine", seq=5)
    ex.expect_nothing()
    assert received(dut, fd) == b"genuine"


@pytest.mark.requirement("RFC4303-3.4.3-MUST-replay-check")
def test_replayed_packet_is_delivered_once(ex, bed, dut, endpoints, family):
    fd, tester = _setup(bed, ex, dut, endpoints, family)
    packet = tester.send_udp(40000, PORT, b"once")
    ex.send(tester.esp_ip(), Payload(packet))
    ex.expect_nothing()
    assert received(dut, fd) == b"once"
    assert received(dut, fd) is None


# (sequence number, delivered) after 100, with a 32-packet window (RFC 4303 3.4.3)
WINDOW = {"right-edge-new": (101, True), "inside-new": (80, True), "left-edge": (69, True),
          "left-of-window": (68, False), "top-again": (100, False)}


@pytest.mark.requirement("RFC4303-3.4.3-MUST-replay-check")
@pytest.mark.parametrize("case", WINDOW.values(), ids=WINDOW.keys())
def test_replay_window_edges(ex, bed, dut, endpoints, family, case):
    seq, delivered = case
    fd, tester = _setup(bed, ex, dut, endpoints, family, to_dut={"replay_window": 32})
    tester.send_udp(40000, PORT, b"top", seq=100)
    tester.send_udp(40000, PORT, b"probe", seq=seq)
    ex.expect_nothing()
    assert received(dut, fd) == b"top"
    assert received(dut, fd) == (b"probe" if delivered else None)


@pytest.mark.requirement("RFC4303-2.6-MUST-discard-dummy")
def test_dummy_packet_is_dropped(ex, bed, dut, endpoints, family):
    fd, tester = _setup(bed, ex, dut, endpoints, family)
    tester.send(b"chaff" * 4, 59)
    tester.send_udp(40000, PORT, b"after the chaff")
    ex.expect_nothing()
    assert received(dut, fd) == b"after the chaff"


@pytest.mark.requirement("RFC4303-2.5-MUST-pad-length")
def test_pad_length_past_the_data_is_dropped(ex, bed, dut, endpoints, family):
    fd, tester = _setup(bed, ex, dut, endpoints, family)
    tester.send(tester.udp(40000, PORT, b"short"), 17, pad=b"", pad_length=250)
    ex.expect_nothing()
    assert received(dut, fd) is None


@pytest.mark.requirement("RFC4303-2.4-SHOULD-inspect-padding")
def test_padding_not_monotonic(ex, bed, dut, endpoints, family):
    """Linux reads the Pad Length only (esp_remove_trailer): delivered; the rfc profile drops."""
    fd, tester = _setup(bed, ex, dut, endpoints, family)
    data = tester.udp(40000, PORT, b"odd padding")  # 19 octets: 3 of padding for GCM
    tester.send(data, 17, pad=b"\xff\xfe\xfd")
    ex.expect_nothing()
    received(dut, fd)  # (what the DUT did is judged by the oracle's profile)


@pytest.mark.requirement("RFC4301-5.2-MUST-sa-selector-check")
def test_decrypted_packet_outside_the_sa_selector_is_dropped(ex, bed, dut, endpoints, family):
    tester_ip, dut_ip = family.tester_ip(endpoints), family.dut_ip(endpoints)
    bits = 128 if family.wire == "ipv6" else 32
    only_other_port = Selector(f"{tester_ip}/{bits}", f"{dut_ip}/{bits}", 17, 0, PORT + 1)
    fd, tester = _setup(bed, ex, dut, endpoints, family, to_dut={"selector": only_other_port})
    tester.send_udp(40000, PORT, b"wrong port for this SA")
    ex.expect_nothing()
    assert received(dut, fd) is None


@pytest.mark.requirement("RFC4303-2.2.1-MUST-esn-high-order-icv",
                         "RFC4303-3.4.3-MUST-replay-check")
@pytest.mark.parametrize("high,delivered", [(1, True), (0, False)],
                         ids=["right-high", "wrong-high"])
def test_esn_receiver_infers_the_high_half(ex, bed, dut, endpoints, family, high, delivered):
    """The receiver's window is at 2^32 - 2; a packet with low half 3 means 2^32 + 3
    (RFC 4303 Appendix A2.2): sealed with high half 1 it verifies, with 0 its ICV fails."""
    fd, tester = _setup(bed, ex, dut, endpoints, family,
                        to_dut={"esn": True, "replay_window": 32, "replay_seq": 0xFFFFFFFE},
                        from_dut={"esn": True, "replay_window": 32})
    tester.send_udp(40000, PORT, b"after the wrap", seq=(high << 32) | 3)
    ex.expect_nothing()
    assert received(dut, fd) == (b"after the wrap" if delivered else None)


@pytest.mark.requirement("RFC4303-3.4.3-MUST-replay-check", "RFC4303-3.3.3-MUST-sequence-from-one")
def test_sequence_number_zero_is_refused(ex, bed, dut, endpoints, family):
    """The first packet a sender sends has 1 (RFC 4303 3.3.3): 0 was never sent."""
    fd, tester = _setup(bed, ex, dut, endpoints, family)
    tester.send_udp(40000, PORT, b"zero", seq=0)
    ex.expect_nothing()
    assert received(dut, fd) is None
