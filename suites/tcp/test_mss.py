"""RFC 6691 2 and RFC 9293 3.7.1: the DUT announces MSS = MTU - 40 (1460 on Ethernet) in its
SYN and SYN-ACK (over IPv6 MTU - 60, 1440: the IPv6 header is 40 octets, RFC 8200 3); it sends
segments whose data plus TCP options fit the peer's MSS, and assumes 536 when the peer sent no
MSS option (1220 over IPv6: RFC 9293 3.7.1, MUST-15). A DUT whose route to the tester has an
mtu or advmss (``ip route ... mtu 1400``) announces and sends by it
(reference_stack/route_metrics.py): the expected sizes follow the oracle's profile."""

import pytest

from .options import dut_mss, dut_send_limit, passive_peer_mss, syn_options, timestamps_reserve
from .states import LISTEN_PORT, listen, start_active_open

pytestmark = pytest.mark.families("ipv4", "ipv6")

BULK = bytes(range(256)) * 16


@pytest.mark.requirement("RFC6691-2-MUST-mss-from-mtu", "RFC9293-3.7.1-MUST-mss-option-in-syn")
@pytest.mark.parametrize("side", ["syn-ack", "syn"])
def test_announced_mss_is_mtu_minus_40(ex, dut, endpoints, bed, side):
    if side == "syn":
        conn, fd, seg = start_active_open(ex, dut, endpoints)
    else:
        listen(dut, endpoints, family=ex.family)
        conn = ex.tcp(dut_port=LISTEN_PORT)
        conn.send(flags="S")
        seg = conn.expect(flags="SA")
    # 1460 on Ethernet (1440 over IPv6), unless the DUT's route says otherwise
    assert seg.mss == dut_mss(bed.oracle_profile, ex.family.wire == "ipv6"), seg.summary()


@pytest.mark.requirement(
    "RFC6691-2-MUST-options-within-mss",
    "RFC9293-3.7.1-MUST-mss-excludes-options",
    "RFC9293-3.7.1-MUST-default-send-mss-536",
    "RFC1122-4.2.2.6-MUST-default-mss-536",
)
@pytest.mark.parametrize("timestamps", [True, False], ids=["with-ts", "without-ts"])
@pytest.mark.parametrize("mss", [None, 536, 1000, 1400],
                         ids=["no-mss-option", "mss-536", "mss-1000", "mss-1400"])
def test_segments_fit_peer_mss(ex, dut, endpoints, bed, mss, timestamps):
    ipv6 = ex.family.wire == "ipv6"
    default = 1220 if ipv6 else 536  # RFC 9293 3.7.1: 576 - 40, or 1280 - 60 over IPv6
    p = bed.oracle_profile  # (a route's mtu bounds the segments too: tcp_sync_mss)
    peer_mss = min(passive_peer_mss(p, default if mss is None else mss, ipv6=ipv6),
                   dut_send_limit(p, ipv6))
    listener = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(mss=mss, timestamps=timestamps))
    conn.handshake()
    fd, _ = dut.accept(listener)
    dut.send(fd, BULK)
    first = conn.expect(flags=None)
    expected = peer_mss - timestamps_reserve(bed.oracle_profile, timestamps)
    assert len(first.payload) == expected, f"{len(first.payload)} octets, expected {expected}"
