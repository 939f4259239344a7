"""RFC 8201 4 for datagrams: a Packet Too Big about a UDP datagram the DUT sent, or about its
Echo Reply, lowers the path MTU to that destination; the DUT then fragments larger packets to
it at the source (RFC 8200 5, 4.5: a Fragment header, data in multiples of 8 octets but the
last, each fragment within the path MTU), whatever their protocol. An MTU below 1280 never
takes the estimate below 1280 (Linux ignores such a message: LINUX-__ip6_rt_update_pmtu-
below-minimum)."""

import socket

import pytest

from conformance.author.answered import ignores_echo
from conformance.author.family import IPV6
from conformance.author.templates import ICMPv6, IPv6, Payload
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP6_PACKET_TOO_BIG
from reference_stack.wire.ipv6 import HEADER_LEN, IPPROTO_FRAGMENT, MIN_MTU
from reference_stack.wire.ipv6_ext import Ipv6Fragment

DATA = bytes(i & 0xFF for i in range(1400))


@pytest.fixture(autouse=True)
def _link_path_mtu(bed):
    """These tests start from the link's path MTU (1500: a 1400-octet datagram leaves
    whole); a DUT whose IPv6 route sets an mtu (a run's --dut-setup) fragments it already."""
    route_mtu = bed.oracle_profile.route6.mtu
    if route_mtu:
        pytest.skip(f"the DUT's IPv6 route has mtu {route_mtu}: the path MTU these tests "
                    "start from is the route's (ip6_mtu: RTAX_MTU), not the link's")
DUT_PORT, TESTER_PORT = 5555, 7777
ECHO_REST = 0x4E020001


def _udp_datagram(ex, dut, endpoints):
    fd = dut.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    dut.bind(fd, ("::", DUT_PORT))
    dut.sendto(fd, DATA, (endpoints.tester_ipv6, TESTER_PORT))
    return fd, ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6,
                              next_header=17))


def _echo(ex):
    ex.send(IPv6(), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=ECHO_REST), Payload(DATA))


def _too_big(ex, got, mtu):
    """RFC 4443 3.2: as much of the packet as fits in the minimum MTU."""
    quoted = got.eth.payload[:MIN_MTU - HEADER_LEN - 8]
    ex.send(IPv6(), ICMPv6(type=ICMP6_PACKET_TOO_BIG, code=0, rest=mtu), Payload(quoted))


def _fragments(ex, endpoints, total):
    """The fragments of one packet of ``total`` payload octets (after the Fragment header),
    checked as RFC 8200 4.5 builds them; returns the packets' sizes."""
    sizes, have, ident = [], 0, None
    while have < total:
        got = ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6,
                             next_header=IPPROTO_FRAGMENT), immediate=True)  # (sent at once)
        header = Ipv6Fragment.parse(got.ipv6.payload[:8])
        data = got.ipv6.payload[8:]
        assert header.frag_offset * 8 == have
        assert ident in (None, header.ident)
        ident = header.ident
        assert header.m == (have + len(data) < total)
        if header.m:
            assert len(data) % 8 == 0
        have += len(data)
        sizes.append(HEADER_LEN + len(got.ipv6.payload))
    return sizes


@pytest.mark.requirement("RFC8201-4-MUST-reduce-for-datagrams",
                         "RFC8200-5-MUST-fragment-to-path-mtu")
@pytest.mark.parametrize("mtu", [1280, 1300, 1400])
def test_packet_too_big_about_udp_fragments_later_datagrams(ex, bed, dut, endpoints, mtu):
    fd, first = _udp_datagram(ex, dut, endpoints)
    _too_big(ex, first, mtu)
    ex.settle()
    dut.sendto(fd, DATA, (endpoints.tester_ipv6, TESTER_PORT))
    sizes = _fragments(ex, endpoints, 8 + len(DATA))
    assert len(sizes) == 2 and max(sizes) <= mtu and sizes[0] > mtu - 8, sizes
    if not ignores_echo(bed, IPV6):  # (else the DUT sends nothing else this large)
        _echo(ex)  # the estimate is the destination's: the echo reply is fragmented too
        _fragments(ex, endpoints, 8 + len(DATA))


@pytest.mark.requirement("RFC8201-4-MUST-reduce-for-datagrams",
                         "RFC8200-5-MUST-fragment-to-path-mtu")
@pytest.mark.needs(echo6_ignore_all=False)  # (a Packet Too Big about the DUT's echo reply)
def test_packet_too_big_about_echo_reply_fragments_later_replies(ex, endpoints):
    _echo(ex)
    reply = ex.expect(IPv6(src=endpoints.dut_ipv6),
                      ICMPv6(type=ICMP6_ECHO_REPLY, rest=ECHO_REST))
    _too_big(ex, reply, 1300)
    _echo(ex)
    sizes = _fragments(ex, endpoints, 8 + len(DATA))
    assert max(sizes) <= 1300, sizes


@pytest.mark.requirement("RFC8201-4-MUST-NOT-below-minimum-mtu")
@pytest.mark.parametrize("mtu", [600, 1279])
def test_packet_too_big_below_1280_never_below_1280(ex, dut, endpoints, mtu):
    fd, first = _udp_datagram(ex, dut, endpoints)
    _too_big(ex, first, mtu)
    ex.settle()
    dut.sendto(fd, DATA, (endpoints.tester_ipv6, TESTER_PORT))
    got = ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6))
    # whole (the message ignored), or fragments of at least 1280 octets: never smaller
    assert HEADER_LEN + len(got.ipv6.payload) >= MIN_MTU - 8
