"""RFC 8201 4 (Path MTU Discovery for IPv6): a Packet Too Big lowers the path MTU estimate,
never below 1280 (the IPv6 minimum link MTU, RFC 8200 5) and never up; TCP then sends smaller
segments (RFC 8201 5.2: the packetization layer is told; RFC 9293 3.7.3: the segment size
follows the path MTU).

A Packet Too Big quotes the segment the DUT sent; Linux (tcp_v6_err) takes one whose sequence
number lies in SND.UNA..SND.NXT, as RFC 5927 4.1 recommends."""

import pytest

from conformance.author.family import IPV6
from conformance.author.needs import other_than
from conformance.author.templates import ICMPv6, Payload
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv6 import ICMP6_PACKET_TOO_BIG
from reference_stack.wire.ipv6 import MIN_MTU

from ..tcp.options import syn_options, timestamps_reserve
from ..tcp.states import reach

ETH = 14
DATA = bytes(i & 0xFF for i in range(1400))


def _big_segment(ex, dut, endpoints, sack=True):
    route_mtu = ex.bed.oracle_profile.route6.mtu
    if route_mtu:  # (a run's --dut-setup: ip -6 route change ... mtu N)
        pytest.skip(f"the DUT's IPv6 route has mtu {route_mtu}: these tests start from the "
                    "link's path MTU (1500), which the route's replaces (ip6_mtu: RTAX_MTU)")
    ex.family = IPV6
    peer = reach("ESTABLISHED", ex, dut, endpoints, syn_options=syn_options(sack=sack))
    dut.send(peer.fd, DATA)
    return peer, peer.conn.expect_frame(flags=None)


def _too_big(ex, got, mtu):
    quoted = got.eth.payload[:MIN_MTU - 40 - 8]
    ex.send(IPV6.ip(), ICMPv6(type=ICMP6_PACKET_TOO_BIG, code=0, rest=mtu), Payload(quoted))


def _segments_until(peer, end):
    """The DUT's segments from now until it sent everything up to ``end``."""
    got = []
    while not got or (got[-1].seq + len(got[-1].payload)) & 0xFFFFFFFF != end:
        got.append(peer.conn.expect(flags=None, timeout=2.0))
    return got


@pytest.mark.requirement("RFC8201-4-MUST-reduce-on-packet-too-big",
                         "RFC8201-5.2-SHOULD-tcp-segments-fit-pmtu")
@pytest.mark.needs(mtu_probing=other_than(2))  # full-sized segments (RFC 4821 aside)
def test_packet_too_big_shrinks_the_segments(ex, dut, endpoints, bed):
    # Without SACK: the segments sent again are two in flight, so a stack that sends tail loss
    # probes (RFC 8985 7.2: only with SACK; gVisor rack.go shouldSchedulePTO, Linux
    # tcp_schedule_loss_probe) would probe after 2 SRTT, milliseconds here, racing the
    # tester's ACK: a probe sent before the DUT read that ACK, which the oracle, replaying the
    # recorded times, then does not expect (netstack has no sysctl to turn probes off).
    peer, first = _big_segment(ex, dut, endpoints, sack=False)
    sent = first.tcp
    most = 1300 - 60 - timestamps_reserve(bed.oracle_profile)
    assert len(sent.payload) > most
    _too_big(ex, first, 1300)
    again = _segments_until(peer, (sent.seq + len(sent.payload)) & 0xFFFFFFFF)
    assert again[0].seq == sent.seq
    assert all(len(s.payload) <= most for s in again), [len(s.payload) for s in again]
    peer.conn.ack()


@pytest.mark.requirement("RFC8201-4-MUST-NOT-below-minimum-mtu")
def test_packet_too_big_below_1280_never_takes_the_estimate_below_1280(ex, dut, endpoints):
    # RFC 8201 4: the estimate becomes 1280 at the lowest: segments retransmitted (if any,
    # Linux's tcp_v6_err ignores such a message) still fill 1280 - 60 - options octets.
    peer, first = _big_segment(ex, dut, endpoints)
    _too_big(ex, first, 1000)
    segments = [d.tcp for d in map(dissect, ex.settle()) if d.tcp is not None and d.tcp.payload]
    floor = MIN_MTU - 60 - 12  # 1280 less the IPv6 and TCP headers and the timestamps
    assert all(len(s.payload) >= floor for s in segments[:-1]), [len(s.payload) for s in segments]
    assert not segments or len(segments[0].payload) >= min(floor, len(DATA))
    peer.conn.ack()
    peer.expect_alive()


@pytest.mark.requirement("RFC8201-4-MUST-NOT-increase-on-packet-too-big")
def test_packet_too_big_never_raises_the_estimate(ex, dut, endpoints):
    # An MTU above the one in use changes nothing: no retransmission, the next segments as
    # large as before.
    peer, first = _big_segment(ex, dut, endpoints)
    _too_big(ex, first, 9000)
    peer.expect_no_reply()
    peer.conn.ack()
    dut.send(peer.fd, DATA)
    assert len(peer.conn.expect(flags=None).payload) == len(DATA)
