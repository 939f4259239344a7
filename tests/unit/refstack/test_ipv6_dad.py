"""Duplicate Address Detection in the oracle (RFC 4862 5.4, reference_stack/iface/dad.py), and
the `linux` profile's DAD choices against the `rfc` profile (addrconf_dad_kick's nonce and
random delay, ndisc_recv_ns's looped-back nonce, addrconf_dad_begin's accept_dad)."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.stack import ReferenceStack
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip4, ip6, mac
from reference_stack.wire.frame import build_frame_v6, dissect
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, UNREACH_PORT, Icmpv6Repr
from reference_stack.wire.ipv6 import (
    IPPROTO_ICMPV6,
    IPPROTO_UDP,
    Ipv6Repr,
    multicast_mac,
    solicited_node,
)
from reference_stack.wire.udp import UdpRepr

DUT = ip6("2001:db8::1")
NEW = ip6("2001:db8::55")
TESTER = ip6("2001:db8::2")
DUT_MAC = mac("02:00:00:00:00:01")
TESTER_MAC = mac("02:00:00:00:00:02")
BOTH = pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])


def stack(profile=LINUX, **fields) -> ReferenceStack:
    p = dataclasses.replace(profile, dad_transmits=2, retrans_timer=0.5, **fields)
    s = ReferenceStack(p, DUT_MAC, ip4("198.18.0.1"), 24, ipv6=DUT)
    s.add_neighbor(TESTER, TESTER_MAC)
    return s


def nd(message, src=TESTER, dst=None) -> bytes:
    dst = dst if dst is not None else solicited_node(NEW)
    icmp = message.to_icmp()
    ip = Ipv6Repr(src, dst, IPPROTO_ICMPV6, b"", 255)
    return build_frame_v6(TESTER_MAC, multicast_mac(dst), ip, icmp)


def echo_to(dst: bytes) -> bytes:
    ip = Ipv6Repr(TESTER, dst, IPPROTO_ICMPV6, b"", 64)
    return build_frame_v6(TESTER_MAC, DUT_MAC, ip, Icmpv6Repr(128, 0, 7, b"x"))


def udp_to(dst: bytes) -> bytes:
    """A datagram to a closed port of ``dst`` (conformance/author/answered.py's probe)."""
    ip = Ipv6Repr(TESTER, dst, IPPROTO_UDP, b"", 64)
    return build_frame_v6(TESTER_MAC, DUT_MAC, ip, UdpRepr(40007, 9, b"x"))


def run_timers(s: ReferenceStack, until: float) -> list:
    frames = []
    while (due := s.poll_at()) is not None and due <= until:
        r = s.poll(due)
        frames += [(due, f, p) for f, p in zip(r.frames, r.predictions, strict=True)]
    return frames


@BOTH
def test_solicitations_then_assignment(profile):
    s = stack(profile)
    r = s.add_address6(NEW, 0.0)
    assert "RFC4862-5.4.2-MUST-join-groups" in r.rules() and not r.frames
    assert s.receive(echo_to(NEW), 0.01).rules()[-1] == "RFC4862-5.4-SHOULD-discard-to-tentative"
    sent = run_timers(s, 0.9)
    assert [t for t, _, _ in sent] == [0.0, 0.5]
    for _, f, p in sent:
        d = dissect(f)
        assert (d.ipv6.src, d.ipv6.dst, d.ipv6.hop_limit) == (bytes(16), solicited_node(NEW), 255)
        ns = ndp.from_icmp(d.icmpv6)
        assert ns.target == NEW and ndp.lladdr_option(ns.options, ndp.OPT_SOURCE_LLADDR) is None
        assert (ndp.nonce_option(ns.options) is not None) is (profile is LINUX)
        assert p.check(f) == []
    run_timers(s, 1.0)
    d = dissect(s.receive(echo_to(NEW), 1.1).frames[0])
    assert d.ipv6.src == NEW and d.icmpv6.type == 129


@BOTH
def test_port_unreachable_comes_from_the_address_the_datagram_went_to(profile):
    """RFC 4443 2.2(a): an error about a packet sent to one of our unicast addresses comes
    from that address (Linux icmp6_send: saddr = the packet's destination when ipv6_chk_addr
    finds it ours); nothing while the address is tentative (RFC 4862 5.4)."""
    s = stack(profile)
    s.add_address6(NEW, 0.0)
    assert not s.receive(udp_to(NEW), 0.01).frames
    run_timers(s, 1.0)
    for dst in (NEW, DUT):
        r = s.receive(udp_to(dst), 1.1)
        d = dissect(r.frames[0])
        assert (d.ipv6.src, d.icmpv6.type, d.icmpv6.code) == (dst, ICMP6_DST_UNREACH,
                                                             UNREACH_PORT)
        assert r.predictions[0].check(r.frames[0]) == []


def test_a_nonce_is_free_but_the_target_is_not():
    s = stack()
    s.add_address6(NEW, 0.0)
    ((_, f, p),) = run_timers(s, 0.0)
    other = f[:-6] + bytes(6)  # another nonce: allowed
    d = dissect(other)
    fixed = Icmpv6Repr(d.icmpv6.type, 0, d.icmpv6.rest, d.icmpv6.payload)
    other = build_frame_v6(DUT_MAC, f[:6], d.ipv6, fixed)
    assert p.check(other) == []
    wrong = ndp.NeighborSolicit(ip6("2001:db8::56"), (ndp.NdOptUnknown(ndp.OPT_NONCE, bytes(6)),))
    bad = build_frame_v6(DUT_MAC, f[:6], d.ipv6, wrong.to_icmp())
    assert [x.field for x in p.check(bad)] == ["icmpv6.payload"]


@BOTH
@pytest.mark.parametrize("how", ["dad-ns", "na"])
def test_duplicate_is_never_assigned(profile, how):
    s = stack(profile)
    s.add_address6(NEW, 0.0)
    run_timers(s, 0.0)
    if how == "dad-ns":
        r = s.receive(nd(ndp.NeighborSolicit(NEW), src=bytes(16)), 0.1)
        assert "RFC4862-5.4.3-MUST-dad-ns-duplicate" in r.rules()
    else:
        na = ndp.NeighborAdvert(NEW, solicited=False, override=True, options=(
            ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, TESTER_MAC),))
        r = s.receive(nd(na, dst=ip6("ff02::1")), 0.1)
        assert "RFC4862-5.4.4-MUST-na-duplicate" in r.rules()
    assert not r.frames and "RFC4862-5.4.5-MUST-NOT-assign-duplicate" in r.rules()
    assert run_timers(s, 5.0) == []
    assert not s.receive(echo_to(NEW), 5.0).frames


@BOTH
def test_resolution_solicitation_is_ignored(profile):
    s = stack(profile)
    s.add_address6(NEW, 0.0)
    ns = ndp.NeighborSolicit(NEW, (ndp.NdOptLinkAddr(ndp.OPT_SOURCE_LLADDR, TESTER_MAC),))
    r = s.receive(nd(ns), 0.1)
    assert not r.frames and "RFC4862-5.4.3-SHOULD-ignore-resolution-ns" in r.rules()
    assert len(run_timers(s, 0.9)) == 2


@BOTH
def test_own_looped_back_solicitation(profile):
    """Linux (enhanced DAD) recognises its nonce; RFC 4862 alone sees another node's DAD."""
    s = stack(profile)
    s.add_address6(NEW, 0.0)
    ((_, f, _),) = run_timers(s, 0.0)
    r = s.receive(f[:6] + TESTER_MAC + f[12:], 0.1)  # as the tester sees it, sent back
    looped = "LINUX-ndisc_recv_ns-looped-dad-nonce" in r.rules()
    assert looped is (profile is LINUX)
    assert ("RFC4862-5.4.3-MUST-dad-ns-duplicate" in r.rules()) is (profile is RFC)


def test_adopted_nonce_is_recognised():
    s = stack()
    s.add_address6(NEW, 0.0)
    run_timers(s, 0.0)
    s.adopt({"nonce:" + NEW.hex(): 0x4E4300000042})
    ns = ndp.NeighborSolicit(NEW, (ndp.NdOptUnknown(ndp.OPT_NONCE, bytes.fromhex("4e4300000042")),))
    assert "LINUX-ndisc_recv_ns-looped-dad-nonce" in s.receive(nd(ns, src=bytes(16)), 0.1).rules()


@BOTH
@pytest.mark.parametrize("fields", [{"dad_transmits": 0}, {"accept_dad": False}],
                         ids=["transmits-0", "accept-dad-0"])
def test_without_dad_assigned_at_once(profile, fields):
    s = stack(profile)
    s.set_profile(dataclasses.replace(s.profile, **fields))
    r = s.add_address6(NEW, 0.0)
    rule = ("RFC4862-5.1-MUST-no-dad-when-zero" if "dad_transmits" in fields
            else "LINUX-addrconf_dad_begin-accept-dad-off")
    assert rule in r.rules() and s.poll_at() is None
    assert dissect(s.receive(echo_to(NEW), 0.0).frames[0]).ipv6.src == NEW


@BOTH
def test_random_delay_noted(profile):
    r = stack(profile).add_address6(NEW, 0.0)
    assert ("LINUX-addrconf_dad_kick-random-delay" in r.rules()) is (profile is LINUX)
