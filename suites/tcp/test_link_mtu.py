"""The MSS follows the link's MTU (issue 12 item 4; RFC 6691 2: MSS = MTU - 40 on IPv4, MTU -
60 on IPv6, RFC 9293 3.7.1): jumbo frames up to 9000 octets and links below Ethernet's 1500,
set per test with ``@pytest.mark.link_mtu`` on both ends of the veth; the oracle follows the
MTU. Over IPv6 only MTUs of 1280 and more (RFC 8200 5: every link carries 1280 octets; Linux
takes IPv6 off a link set below it, addrconf_notify), so the small-MTU test is IPv4's. A DUT
whose route to the tester has an mtu (``ip route ... mtu 1400``) announces and sends by the
route's instead (reference_stack/route_metrics.py): the expected sizes follow it."""

import pytest

from conformance.author.before_bed import before_bed
from conformance.author.link_mtu import require_link_mtu, set_link_mtu
from reference_stack.route_metrics import announced_mss, send_mss_limit

from .options import passive_peer_mss, syn_options, timestamps_reserve
from .states import LISTEN_PORT, listen, start_active_open

MTUS = [576, 1000, 1280, 4000, 9000]
MSS = "RFC6691-2-MUST-mss-from-mtu"
IPV6_MIN_MTU = 1280  # RFC 8200 5


def _mtu_settable(bed) -> None:
    """Before the test's bed is made (conformance.author.before_bed): an IPv6 link needs an
    MTU of 1280 at least (RFC 8200 5), and the target must be able to set it."""
    mtu = bed.params["mtu"]
    if bed.params["family"].wire == "ipv6" and mtu < IPV6_MIN_MTU:
        pytest.skip(f"IPv6 needs a link MTU of {IPV6_MIN_MTU} at least (RFC 8200 5), not {mtu}")
    require_link_mtu(bed, mtu)


@pytest.mark.requirement(MSS, "RFC9293-3.7.1-MUST-mss-option-in-syn")
@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.parametrize("side", ["syn-ack", "syn"])
@pytest.mark.parametrize("mtu", MTUS, ids=[str(m) for m in MTUS])
@before_bed(_mtu_settable)
def test_announced_mss_follows_the_link_mtu(ex, dut, endpoints, bed, side, mtu):
    set_link_mtu(bed, mtu)
    if side == "syn":
        _, _, seg = start_active_open(ex, dut, endpoints)
    else:
        listen(dut, endpoints, family=ex.family)
        conn = ex.tcp(dut_port=LISTEN_PORT)
        conn.send(flags="S")
        seg = conn.expect(flags="SA")
    # MTU - 40 (- 60 over IPv6), unless the DUT's route sets the MTU (tcp_advertise_mss:
    # dst_metric_advmss)
    ipv6 = ex.family.wire == "ipv6"
    route = bed.oracle_profile.route6 if ipv6 else bed.oracle_profile.route4
    assert seg.mss == announced_mss(route, mtu, ipv6), seg.summary()


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
    # SYN cookie keeps at most 1460: passive_peer_mss; a route's mtu bounds it too:
    # tcp_sync_mss)
    ipv6 = ex.family.wire == "ipv6"
    route = bed.oracle_profile.route6 if ipv6 else bed.oracle_profile.route4
    limit = min(passive_peer_mss(bed.oracle_profile, 8960, ipv6), send_mss_limit(route, 9000, ipv6))
    assert len(seg.payload) == min(size, limit - timestamps_reserve(bed.oracle_profile))


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
    route_mtu = bed.oracle_profile.route4.mtu
    if route_mtu and route_mtu > 1000:
        pytest.skip(f"the DUT's route has mtu {route_mtu}, above the link's 1000: Linux sizes "
                    "segments to the route's, which the link loses (is_skb_forwardable)")
    fd = listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(mss=1460, timestamps=True))
    conn.handshake()
    child, _ = dut.accept(fd)
    dut.send(child, bytes(2000))
    seg = conn.expect(flags=lambda f: True, seq=conn.rcv_nxt)
    assert len(seg.payload) <= 1000 - 40 - timestamps_reserve(bed.oracle_profile)
