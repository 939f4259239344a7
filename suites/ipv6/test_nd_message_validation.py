"""RFC 4861 6.1.1, 6.1.2, 7.1.2, 8.1: Router Solicitations, Router Advertisements, Neighbor
Advertisements and Redirects are silently discarded unless hop limit 255, code 0, long enough
and with no option of length zero; a Neighbor Advertisement for a multicast target, or to a
multicast destination with Solicited set, too. None gets an answer (and a host answers no
Router Solicitation at all, 6.2.6)."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6, Payload
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.icmpv6 import (
    ND_NEIGHBOR_ADVERT,
    ND_REDIRECT,
    ND_ROUTER_ADVERT,
    ND_ROUTER_SOLICIT,
)

from .addresses import ALL_NODES, ALL_NODES_MAC, spare
from .nd import nd_layers

LINK_LOCAL = "fe80::4e43"
BAD_OPTION = (ndp.NdOptMalformed(b"\x01\x00" + bytes(6)),)


def _messages(endpoints):
    tester_mac = mac(endpoints.tester_mac)
    return {
        ND_ROUTER_SOLICIT: ("6.1.1", lambda options=(): ndp.RouterSolicit(options), 8),
        ND_ROUTER_ADVERT: ("6.1.2", lambda options=(): ndp.RouterAdvert(options=options), 16),
        ND_NEIGHBOR_ADVERT: ("7.1.2", lambda options=(): ndp.NeighborAdvert(
            ip6(spare(endpoints, 9)), options=options or (
                ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, tester_mac),)), 24),
        ND_REDIRECT: ("8.1", lambda options=(): ndp.Redirect(
            ip6(LINK_LOCAL), ip6("2001:db8:ff::1"), options), 40),
    }


TYPES = {ND_ROUTER_SOLICIT: "rs", ND_ROUTER_ADVERT: "ra", ND_NEIGHBOR_ADVERT: "na",
         ND_REDIRECT: "redirect"}
SECTION = {ND_ROUTER_SOLICIT: "6.1.1", ND_ROUTER_ADVERT: "6.1.2", ND_NEIGHBOR_ADVERT: "7.1.2",
           ND_REDIRECT: "8.1"}


def _check(check):
    return [pytest.param(t, id=name, marks=pytest.mark.requirement(
        f"RFC4861-{SECTION[t]}-MUST-validate-{check}")) for t, name in TYPES.items()]


def _src(icmp_type, endpoints):
    """RAs and Redirects come from a link-local address (RFC 4861 6.1.2, 8.1)."""
    return LINK_LOCAL if icmp_type in (ND_ROUTER_ADVERT, ND_REDIRECT) else spare(endpoints, 9)


@pytest.mark.parametrize("icmp_type", _check("hop-limit"))
def test_hop_limit_not_255_gets_nothing(ex, endpoints, icmp_type):
    _, make, _ = _messages(endpoints)[icmp_type]
    ex.send(*nd_layers(make(), hop_limit=64, src=_src(icmp_type, endpoints)))
    ex.expect_nothing()


@pytest.mark.parametrize("icmp_type", _check("code"))
def test_code_not_0_gets_nothing(ex, endpoints, icmp_type):
    _, make, _ = _messages(endpoints)[icmp_type]
    ex.send(*nd_layers(make(), code=1, src=_src(icmp_type, endpoints)))
    ex.expect_nothing()


@pytest.mark.parametrize("icmp_type", _check("length"))
def test_short_message_gets_nothing(ex, endpoints, icmp_type):
    _, _, least = _messages(endpoints)[icmp_type]
    ex.send(IPv6(hop_limit=255, src=_src(icmp_type, endpoints)), ICMPv6(type=icmp_type),
            Payload(bytes(max(least - 12, 0))))
    ex.expect_nothing()


@pytest.mark.parametrize("icmp_type", _check("options"))
def test_option_of_length_zero_gets_nothing(ex, endpoints, icmp_type):
    _, make, _ = _messages(endpoints)[icmp_type]
    ex.send(*nd_layers(make(BAD_OPTION), src=_src(icmp_type, endpoints)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.1.2-MUST-validate-target-not-multicast")
def test_advertisement_for_multicast_target_gets_nothing(ex, endpoints):
    ex.send(*nd_layers(ndp.NeighborAdvert(ip6("ff02::1:ff00:9")), src=spare(endpoints, 9)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.1.2-MUST-validate-solicited-multicast")
def test_solicited_advertisement_to_all_nodes_gets_nothing(ex, endpoints):
    source = spare(endpoints, 9)
    na = ndp.NeighborAdvert(ip6(source), solicited=True, override=True, options=(
        ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, mac(endpoints.tester_mac)),))
    ex.send(Ether(dst=ALL_NODES_MAC), *nd_layers(na, src=source, dst=ALL_NODES))
    ex.expect_nothing()
