"""RFC 4303 3.3: outbound ESP. The DUT's datagram under a PROTECT entry goes out in ESP on the
SA the entry selects (its SPI), with sequence numbers from 1 (3.3.3), padding 1, 2, 3, ...
to the cipher's alignment (2.4), Next Header naming what it carries (2.6) and an ICV the
tester verifies with the SA's keys."""

import pytest

from reference_stack.ipsec import esp
from reference_stack.ipsec.config import Lifetime
from suites.ipsec.sas import SPI_FROM_DUT, esp_pair, per_transform

pytestmark = [pytest.mark.families(), pytest.mark.esp]
PORT, TESTER_PORT = 6200, 7200


def _sender(dut, family):
    fd = dut.socket(family.socket_family, 2)  # SOCK_DGRAM
    dut.bind(fd, (family.wildcard, PORT))
    return fd


@pytest.mark.requirement("RFC4301-5.1-MUST-protect-policy", "RFC4303-3.3-MUST-encapsulate",
                         "RFC4303-3.3.3-MUST-sequence-from-one",
                         "RFC4303-2.4-MUST-padding-alignment",
                         "RFC4303-2.4-MUST-padding-content")
@pytest.mark.parametrize("transform", per_transform())
def test_datagram_goes_out_in_esp(ex, bed, dut, endpoints, family, transform):
    tester = esp_pair(bed, ex, family, endpoints, transform=transform)
    fd = _sender(dut, family)
    dut.sendto(fd, b"sealed by the DUT", (family.tester_host(endpoints), TESTER_PORT))
    got, udp = tester.expect_udp()
    assert (got.spi, got.seq) == (SPI_FROM_DUT, 1)
    assert (udp.src_port, udp.dst_port, udp.payload) == (PORT, TESTER_PORT,
                                                        b"sealed by the DUT")
    assert esp.padding_valid(got.opened.padding)
    align = tester.from_dut.transform.align
    assert (len(got.opened.payload) + len(got.opened.padding) + 2) % align == 0


@pytest.mark.requirement("RFC4303-3.3.3-MUST-sequence-from-one")
@pytest.mark.parametrize("transform,iv_requirement", [
    pytest.param("aes-gcm-16", "RFC4106-3.1-MUST-unique-iv", id="aes-gcm-16",
                 marks=pytest.mark.requirement("RFC4106-3.1-MUST-unique-iv")),
    pytest.param("aes-cbc-hmac-sha256", "RFC3602-3-MUST-random-iv", id="aes-cbc",
                 marks=pytest.mark.requirement("RFC3602-3-MUST-random-iv"))])
def test_sequence_numbers_count_up_and_ivs_differ(ex, bed, dut, endpoints, family, transform,
                                                  iv_requirement):
    tester = esp_pair(bed, ex, family, endpoints, transform=transform)
    fd = _sender(dut, family)
    got = []
    for i in range(3):
        dut.sendto(fd, b"n%d" % i, (family.tester_host(endpoints), TESTER_PORT))
        got.append(tester.expect_udp()[0])
    assert [g.seq for g in got] == [1, 2, 3]
    iv_len = tester.from_dut.transform.iv_len
    assert len({g.packet[8:8 + iv_len] for g in got}) == 3, iv_requirement


@pytest.mark.requirement("RFC4301-4.4.2.1-MUST-soft-lifetime")
@pytest.mark.families("ipv4", "ipv6")
def test_sa_works_on_past_its_soft_lifetime(ex, bed, dut, endpoints, family):
    tester = esp_pair(bed, ex, family, endpoints,
                      from_dut={"lifetime": Lifetime(soft_packets=1)})
    fd = _sender(dut, family)
    for i in range(3):
        dut.sendto(fd, b"n%d" % i, (family.tester_host(endpoints), TESTER_PORT))
        assert tester.expect_udp()[0].seq == i + 1


@pytest.mark.requirement("RFC4303-2.2.1-MUST-esn-high-order-icv")
@pytest.mark.families("ipv4", "ipv6")
def test_esn_counter_crosses_into_the_high_half(ex, bed, dut, endpoints, family):
    """With ESN the counter goes on past 2^32 - 1: the packet carries the low half 0 and
    its ICV covers the high half 1 (the tester opens it with that high half only)."""
    tester = esp_pair(bed, ex, family, endpoints,
                      from_dut={"esn": True, "oseq": 0xFFFFFFFF, "replay_window": 32},
                      to_dut={"esn": True, "replay_window": 32})
    fd = _sender(dut, family)
    dut.sendto(fd, b"past the wrap", (family.tester_host(endpoints), TESTER_PORT))
    got, udp = tester.expect_udp(seq_high=1)
    assert got.seq == 0 and udp.payload == b"past the wrap"


@pytest.mark.requirement("RFC4303-3.3.3-MUST-no-sequence-cycle")
@pytest.mark.families("ipv4", "ipv6")
def test_sequence_counter_does_not_cycle(ex, bed, dut, endpoints, family):
    tester = esp_pair(bed, ex, family, endpoints, from_dut={"oseq": 0xFFFFFFFE})
    fd = _sender(dut, family)
    dut.sendto(fd, b"last", (family.tester_host(endpoints), TESTER_PORT))
    assert tester.expect_udp()[0].seq == 0xFFFFFFFF
    dut.sendto_with_errno(fd, b"one too many", (family.tester_host(endpoints), TESTER_PORT))
    ex.expect_nothing(tester.esp_ip())


@pytest.mark.requirement("RFC4301-4.4.2.1-MUST-hard-lifetime")
@pytest.mark.families("ipv4", "ipv6")
def test_hard_packet_lifetime_ends_the_sa(ex, bed, dut, endpoints, family):
    tester = esp_pair(bed, ex, family, endpoints,
                      from_dut={"lifetime": Lifetime(soft_packets=1, hard_packets=2)})
    fd = _sender(dut, family)
    for i in range(2):
        dut.sendto(fd, b"n%d" % i, (family.tester_host(endpoints), TESTER_PORT))
        assert tester.expect_udp()[0].seq == i + 1
    dut.sendto_with_errno(fd, b"expired", (family.tester_host(endpoints), TESTER_PORT))
    ex.expect_nothing(tester.esp_ip())


@pytest.mark.requirement("RFC4303-3.1.2-MUST-tunnel-inner")
@pytest.mark.families("ipv4", "ipv6")
def test_tunnel_mode_carries_the_whole_datagram(ex, bed, dut, endpoints, family):
    tester = esp_pair(bed, ex, family, endpoints, mode="tunnel")
    fd = _sender(dut, family)
    dut.sendto(fd, b"tunnelled", (family.tester_host(endpoints), TESTER_PORT))
    got = tester.expect()
    assert got.spi == SPI_FROM_DUT and got.opened is not None
    assert got.opened.next_header == (41 if family.wire == "ipv6" else 4)
    assert got.opened.payload.endswith(b"tunnelled")
