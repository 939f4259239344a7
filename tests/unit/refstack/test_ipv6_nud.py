"""The neighbour cache's timers in the oracle (RFC 4861 7.2.2, 7.3.3: reference_stack/iface/
nud.py), and the `linux` profile's choices against the `rfc` profile (neigh_timer_handler's
DELAY on recent use, ndisc_send_ns's link-local probe source)."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.stack import ReferenceStack
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip4, ip6, mac
from reference_stack.wire.frame import build_frame_v6, dissect
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr, solicited_node

DUT = ip6("2001:db8::1")
PEER = ip6("2001:db8::81")
LINK_LOCAL = ip6("fe80::1")
DUT_MAC = mac("02:00:00:00:00:01")
PEER_MAC = mac("02:00:00:00:00:02")
BOTH = pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
R, BASE, DELAY = 0.2, 0.4, 1.0


def stack(profile) -> ReferenceStack:
    p = dataclasses.replace(profile, retrans_timer=R, base_reachable_time=BASE,
                            delay_first_probe_time=DELAY, accept_dad=False)
    return ReferenceStack(p, DUT_MAC, ip4("198.18.0.1"), 24, ipv6=DUT)


def frame(icmp, hop_limit=64) -> bytes:
    return build_frame_v6(PEER_MAC, DUT_MAC, Ipv6Repr(PEER, DUT, IPPROTO_ICMPV6, b"", hop_limit),
                          icmp)


def echo() -> bytes:
    return frame(Icmpv6Repr(128, 0, 1, b"x"))


def ns_from_peer() -> bytes:
    ns = ndp.NeighborSolicit(DUT, (ndp.NdOptLinkAddr(ndp.OPT_SOURCE_LLADDR, PEER_MAC),))
    return frame(ns.to_icmp(), 255)


def timers(s, until):
    out = []
    while (due := s.poll_at()) is not None and due <= until:
        r = s.poll(due)
        out.append((due, r))
    return out


@BOTH
def test_unanswered_resolution(profile):
    s = stack(profile)
    first = s.receive(echo(), 0.0)
    assert dissect(first.frames[0]).ipv6.dst == solicited_node(PEER)
    fired = timers(s, 5.0)
    sent = [t for t, r in fired if r.frames]
    assert sent == [R, 2 * R]  # MAX_MULTICAST_SOLICIT = 3 in all
    assert "RFC4861-7.2.2-MUST-resolution-failed" in fired[-1][1].rules()
    assert PEER not in s.iface.nd.entries and not s.iface.nd_pending


@BOTH
def test_unconfirmed_entry_probed(profile):
    s = stack(profile)
    r = s.receive(ns_from_peer(), 0.0)
    assert "RFC4861-7.3.3-MUST-stale-to-delay" in r.rules()
    assert s.iface.nd.state(PEER) == "DELAY"
    fired = timers(s, 5.0)
    probes = [(t, f) for t, r in fired for f in r.frames]
    rules = [rule for _, r in fired for rule in r.rules()]
    assert "RFC4861-7.3.3-MUST-delay-to-probe" in rules
    assert "RFC4861-7.3.3-MUST-probe-failed" in rules and PEER not in s.iface.nd.entries
    if profile is LINUX:  # no link-local address: ndisc_send_ns sends nothing
        assert probes == [] and "LINUX-ndisc_send_ns-probe-link-local" in rules
    else:
        assert [t for t, _ in probes] == [DELAY, DELAY + R, DELAY + 2 * R]
        d = dissect(probes[0][1])
        assert (d.eth.dst, d.ipv6.src, d.ipv6.dst) == (PEER_MAC, DUT, PEER)


def test_linux_probes_from_its_link_local_address():
    s = stack(LINUX)
    s.add_address6(LINK_LOCAL, 0.0)
    s.receive(ns_from_peer(), 0.0)
    probes = [f for _, r in timers(s, 5.0) for f in r.frames]
    assert len(probes) == 3 and {dissect(f).ipv6.src for f in probes} == {LINK_LOCAL}


@BOTH
def test_reachable_entry_expires(profile):
    """After resolution (the held echo reply went through the entry: Linux's `used`), RFC 4861
    makes the entry STALE after ReachableTime; Linux makes it DELAY, then probes it."""
    s = stack(profile)
    s.receive(echo(), 0.0)
    na = ndp.NeighborAdvert(PEER, solicited=True, override=True, options=(
        ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, PEER_MAC),))
    s.receive(frame(na.to_icmp(), 255), 0.05)
    assert s.iface.nd.state(PEER) == "REACHABLE"
    rules = [rule for _, r in timers(s, 0.05 + 1.5 * BASE) for rule in r.rules()]
    if profile is LINUX:
        assert "LINUX-neigh_timer_handler-reachable-to-delay" in rules
        assert s.iface.nd.state(PEER) == "DELAY"
    else:
        assert "RFC4861-7.3.3-MUST-reachable-to-stale" in rules
        assert s.iface.nd.state(PEER) == "STALE" and s.poll_at() is None
