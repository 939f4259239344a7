"""The MSS follows the link's MTU (issue 12 item 4; RFC 6691 2: MSS = MTU - 40 on IPv4, MTU -
60 on IPv6, RFC 9293 3.7.1): jumbo frames up to 9000 octets and links below Ethernet's 1500,
set per test with ``@pytest.mark.link_mtu`` on both ends of the veth; the oracle follows the
MTU. Over IPv6 only MTUs of 1280 and more (RFC 8200 5: every link carries 1280 octets; Linux
takes IPv6 off a link set below it, addrconf_notify), so the small-MTU test is IPv4's."""

import pytest

from conformance.author.link_mtu import set_link_mtu

from .options import link_mss, passive_peer_mss, syn_options, timestamps_reserve
from .states import LISTEN_PORT, listen, start_active_open

MTUS = [576, 1000, 1280, 4000, 9000]
MSS = "RFC6691-2-MUST-mss-from-mtu"
IPV6_MIN_MTU = 1280  # RFC 8200 5


@pytest.mark.requirement(MSS, "RFC9293-3.7.1-MUST-mss-option-in-syn")
@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.parametrize("side", ["syn-ack", "syn"])
@pytest.mark.parametrize("mtu", MTUS, ids=[str(m) for m in MTUS])
def test_announced_mss_follows_the_link_mtu(ex, dut, endpoints, bed, side, mtu):
    if ex.family.wire == "ipv6" and mtu < IPV6_MIN_MTU:
        pytest.skip(f"IPv6 needs a link MTU of {IPV6_MIN_MTU} at least (RFC 8200 5), not {mtu}")
    set_link_mtu(bed, mtu)
    if side == "syn":
        _, _, seg = start_active_open(ex, dut, endpoints)
    else:
        listen(dut, endpoints, family=ex.family)
        conn = ex.tcp(dut_port=LISTEN_PORT)
        conn.send(flags="S")
        seg = conn.expect(flags="SA")
    assert seg.mss == link_mss(ex.family, mtu), seg.summary()


@pytest.mark.requirement(MSS, "RFC6691-2-MUST-options-within-mss")
@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.link_mtu(9000)
@pytest.mark.parametrize("size", [3000, 8000], ids=["3000", "8000"])
def test_jumbo_segments_sent(ex, dut, endpoints, bed, size):
    fd = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(mss=8960, timestamps=True))
    conn.handshake()
    child, _ = dut.accept(fd)
    dut.send(child, bytes(size))
    seg = conn.expect(flags=lambda f: True, seq=conn.rcv_nxt)
    # one segment: it fits the smaller MSS (8960, the DUT's own 8940 over IPv6) less 12 (a
    # SYN cookie keeps at most 1460: passive_peer_mss)
    ipv6 = ex.family.wire == "ipv6"
    mss = min(passive_peer_mss(bed.oracle_profile, 8960, ipv6), link_mss(ex.family, 9000))
    assert len(seg.payload) == min(size, mss - timestamps_reserve(bed.oracle_profile))


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-text-deliver")
@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.link_mtu(9000)
def test_jumbo_segment_received(ex, dut, endpoints):
    fd = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(mss=8960, timestamps=True))
    conn.handshake()
    child, _ = dut.accept(fd)
    conn.send(bytes(range(256)) * 30, flags="PA")
    conn.expect(flags="A", ack=conn.snd_nxt)
    assert len(dut.recv(child, 65536, 1.0)) == 7680


@pytest.mark.requirement(MSS, "RFC6691-2-MUST-options-within-mss")
@pytest.mark.link_mtu(1000)
def test_small_mtu_splits_what_the_peer_mss_would_allow(ex, dut, endpoints, bed):
    fd = listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(mss=1460, timestamps=True))
    conn.handshake()
    child, _ = dut.accept(fd)
    dut.send(child, bytes(2000))
    seg = conn.expect(flags=lambda f: True, seq=conn.rcv_nxt)
    assert len(seg.payload) <= 1000 - 40 - timestamps_reserve(bed.oracle_profile)
