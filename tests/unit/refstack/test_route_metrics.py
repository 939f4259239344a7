"""A route's attributes (reference_stack/route_metrics.py) against the profile without them:
the numbers are Linux 6.18's, measured over a veth with `ip route change ... <attr>` on the
DUT's IPv4 and IPv6 prefix routes (SYN and SYN,ACK MSS and window, data segment sizes)."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import LINUX
from reference_stack.route_metrics import RouteMetrics
from reference_stack.socket_api import AF_INET, SOCK_STREAM
from reference_stack.tcp.listener import ConnOptions
from reference_stack.tcp.state import State
from reference_stack.wire.addr import ip6
from reference_stack.wire.tcp import ACK, SYN
from tests.unit.refstack.harness import IP_B, RawPeer, make_stack, syn_options, tcp_of

PORT = 8080


def routed(**attrs) -> dataclasses.replace:
    """LINUX with the same route attributes on both families."""
    return dataclasses.replace(LINUX, route4=RouteMetrics(**attrs), route6=RouteMetrics(**attrs))


def syn_of(profile) -> tuple[int, int]:
    """(MSS option, window) of the stack's SYN (an active open, IPv4)."""
    s = make_stack(profile)
    fd = s.socket(AF_INET, SOCK_STREAM).value
    syn = tcp_of(s.connect(fd, ("198.18.0.11", PORT), 0.0).reaction)[0]
    return syn.mss, syn.window


def passive(profile, peer_mss: int = 1460) -> tuple[object, RawPeer, object]:
    """The stack's SYN,ACK to a SYN with timestamps (IPv4), and the peer and stack."""
    s = make_stack(profile)
    fd = s.socket(AF_INET, SOCK_STREAM).value
    s.bind(fd, ("0.0.0.0", PORT))
    s.listen(fd, 8, 0.0)
    peer = RawPeer(s)
    synack = tcp_of(peer.send(peer.tcp(40000, PORT, SYN, seq=1000,
                                       options=syn_options(mss=peer_mss))))[0]
    return synack, peer, s


def data_sizes(profile, peer_mss: int = 1460) -> set[int]:
    """The sizes of the segments the stack sends of 6000 octets after a passive open."""
    synack, peer, s = passive(profile, peer_mss)
    lfd = 3
    peer.send(peer.tcp(40000, PORT, ACK, seq=1001, ack=synack.seq + 1,
                       options=syn_options()[2:3]))
    fd = s.accept(lfd, 0.0).value[0]
    return {len(seg.payload) for seg in tcp_of(s.send(fd, b"x" * 6000, 0.0).reaction)
            if seg.payload}


def ipv6_tcb(profile, passive_ts: bool = False):
    """A TCB to an IPv6 peer as new_tcb makes it, with its SYN's window."""
    s = make_stack(profile)
    tcb = s.tcp.new_tcb(ip6("2001:db8::1"), PORT, ip6("2001:db8::2"), 40000, State.SYN_SENT,
                        0.0, ConnOptions(131072, 16384))
    tcb.ts_ok = passive_ts
    return tcb, s.tcp.initial_window(tcb)


def test_the_linux_profile_without_route_attributes():
    assert syn_of(LINUX) == (1460, 64240)
    synack, _, _ = passive(LINUX)
    assert (synack.mss, synack.window) == (1460, 65160)
    tcb, window = ipv6_tcb(LINUX)
    assert (tcb.adv_mss, tcb.path_mss, window) == (1440, 1440, 64800)


def test_route_mtu_sets_the_mss_announced_and_the_segments_sent():
    p = routed(mtu=1400)
    assert syn_of(p) == (1360, 65280)
    synack, _, _ = passive(p)
    assert (synack.mss, synack.window) == (1360, 64704)
    assert data_sizes(p) == {1348, 6000 - 4 * 1348}
    tcb, window = ipv6_tcb(p)
    assert (tcb.adv_mss, tcb.path_mss, window) == (1340, 1340, 64320)


def test_a_route_mtu_above_the_link_mtu_is_trusted_and_the_link_loses_what_exceeds_it():
    """Route mtu 1400 on a 1000-octet link (measured on 6.18): 1360 announced, a 1348-octet
    segment sent that the link never carries (is_skb_forwardable), then the rest."""
    p = dataclasses.replace(routed(mtu=1400), mtu=1000)
    synack, peer, s = passive(p)
    assert synack.mss == 1360
    peer.send(peer.tcp(40000, PORT, ACK, seq=1001, ack=synack.seq + 1,
                       options=syn_options()[2:3]))
    fd = s.accept(3, 0.0).value[0]
    r = s.send(fd, b"x" * 2000, 0.0).reaction
    assert [len(seg.payload) for seg in tcp_of(r)] == [652]
    assert "LINUX-is_skb_forwardable-oversize-drop" in [d.rule for d in r.trace]


@pytest.mark.parametrize(("link_mtu", "v6_mss"), [(1280, 1220), (1300, 1240), (1400, 1340),
                                                  (9000, 1340)])
def test_an_ipv6_route_mtu_follows_its_link_lowered_below_it(link_mtu, v6_mss):
    """The link's MTU set after the route's mtu 1400 (a test's, after the run's route): over
    IPv6 the route's mtu comes down to a link's at or below it (fib6_nh_mtu_change), above
    it stays 1400; over IPv4 it stays 1400 (ipv4_mtu)."""
    p = dataclasses.replace(routed(mtu=1400), mtu=link_mtu)
    tcb, _ = ipv6_tcb(p)
    assert (tcb.adv_mss, tcb.path_mss) == (v6_mss, v6_mss)
    assert passive(p)[0].mss == 1360


def test_route_advmss_sets_the_mss_announced_not_the_segments_sent():
    p = routed(advmss=1000)
    assert syn_of(p) == (1000, 65000)
    synack, _, _ = passive(p)
    assert (synack.mss, synack.window) == (1000, 65208)  # 66 * 988
    assert data_sizes(p) == {1448, 6000 - 4 * 1448}
    tcb, window = ipv6_tcb(p)
    assert (tcb.adv_mss, tcb.path_mss, window) == (1000, 1440, 65000)


@pytest.mark.parametrize(("segments", "active", "passive_window", "v6"),
                         [(4, 5840, 5792, 5760), (40, 58400, 57920, 57600)])
def test_route_initrwnd_bounds_the_syns_window(segments, active, passive_window, v6):
    p = routed(initrwnd=segments)
    assert syn_of(p) == (1460, active)
    synack, _, _ = passive(p)
    assert synack.window == passive_window
    assert ipv6_tcb(p)[1] == v6


def test_a_route_of_one_family_leaves_the_other_alone():
    p = dataclasses.replace(LINUX, route4=RouteMetrics(mtu=1400, initcwnd=4))
    assert syn_of(p) == (1360, 65280)
    tcb, window = ipv6_tcb(p)
    assert (tcb.adv_mss, window, tcb.route) == (1440, 64800, RouteMetrics())
    assert (p.initial_cwnd(), p.initial_cwnd(ipv6=True)) == (4, 10)
    six = dataclasses.replace(LINUX, route6=RouteMetrics(mtu=1400))
    assert syn_of(six) == (1460, 64240)
    assert ipv6_tcb(six)[0].adv_mss == 1340


def test_route_initcwnd_sets_the_first_flight():
    def flight(profile):
        synack, peer, s = passive(profile, peer_mss=1000)
        peer.send(peer.tcp(40000, PORT, ACK, seq=1001, ack=synack.seq + 1,
                           options=syn_options()[2:3]))
        fd = s.accept(3, 0.0).value[0]
        return sum(1 for seg in tcp_of(s.send(fd, b"x" * 20000, 0.0).reaction) if seg.payload)

    assert flight(LINUX) == 10
    assert flight(routed(initcwnd=4)) == 4


def test_route_rto_min_floors_the_rto_of_its_family():
    tcb, _ = ipv6_tcb(routed(rto_min=0.05))
    assert tcb.rto.rto_min == 0.05
    assert ipv6_tcb(dataclasses.replace(LINUX, route4=RouteMetrics(rto_min=0.05)))[0].rto.rto_min \
        == LINUX.rto_min


def test_route_quickack_takes_the_delay_latitude_off_the_ack_of_data():
    def ack_variance(profile):
        synack, peer, s = passive(profile)
        peer.send(peer.tcp(40000, PORT, ACK, seq=1001, ack=synack.seq + 1,
                           options=syn_options()[2:3]))
        r = peer.send(peer.tcp(40000, PORT, ACK, seq=1001, ack=synack.seq + 1,
                               payload=b"d" * 100, options=syn_options()[2:3]))
        (ack,) = r.predictions
        return ack.variance, [d.rule for d in r.trace]

    delayed, _ = ack_variance(LINUX)
    assert "timing.delay_ms" in delayed  # RFC 1122 4.2.3.2: the ACK may wait
    at_once, rules = ack_variance(routed(quickack=True))
    assert "timing.delay_ms" not in at_once
    assert "LINUX-tcp_in_quickack_mode-route-quickack" in rules


def test_the_ip_layer_fragments_to_the_routes_mtu():
    """A UDP datagram larger than the route's mtu leaves in fragments (ip_finish_output to
    dst_mtu): 1400 octets at most each."""
    from reference_stack.socket_api import SOCK_DGRAM

    s = make_stack(dataclasses.replace(LINUX, route4=RouteMetrics(mtu=1400)))
    fd = s.socket(AF_INET, SOCK_DGRAM).value
    frames = s.sendto(fd, b"u" * 1450, (".".join(map(str, IP_B)), 9), 0.0).reaction.frames
    assert [len(f) - 14 for f in frames] == [1396, 20 + 1458 - 1376]
