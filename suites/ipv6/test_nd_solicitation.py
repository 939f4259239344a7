"""RFC 4861 7.2.3, 7.2.4: a Neighbor Solicitation for our address is answered by a Neighbor
Advertisement from it, hop limit 255, Solicited set, to the solicitation's source; for a
multicast solicitation with our link-layer address (Override set); a solicitation from the
unspecified address (Duplicate Address Detection) is answered to all-nodes, Solicited clear."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.icmpv6 import ND_NEIGHBOR_ADVERT

from .addresses import ALL_NODES, ALL_NODES_MAC, solicited, spare
from .nd import advert, nd_layers, sll


@pytest.mark.requirement("RFC4861-7.2.3-MUST-solicitation-for-us", "RFC4861-7.2.4-MUST-send-na")
def test_multicast_solicitation_gets_advertisement_with_our_mac(ex, endpoints):
    group, group_mac = solicited(endpoints)
    target = ip6(endpoints.dut_ipv6)
    ex.send(Ether(dst=group_mac),
            *nd_layers(ndp.NeighborSolicit(target, sll(endpoints)), dst=group))
    reply = ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6, hop_limit=255),
                      ICMPv6(type=ND_NEIGHBOR_ADVERT, code=0))
    na = advert(reply)
    assert (na.target, na.solicited, na.override, na.router) == (target, True, True, False)
    assert ndp.lladdr_option(na.options, ndp.OPT_TARGET_LLADDR) == mac(endpoints.dut_mac)


@pytest.mark.requirement("RFC4861-7.2.3-MUST-solicitation-for-us", "RFC4861-7.2.4-MUST-send-na")
@pytest.mark.parametrize("with_sll", [True, False], ids=["sll", "no-sll"])
def test_unicast_solicitation_gets_solicited_advertisement(ex, endpoints, with_sll):
    target = ip6(endpoints.dut_ipv6)
    options = sll(endpoints) if with_sll else ()
    ex.send(*nd_layers(ndp.NeighborSolicit(target, options)))
    reply = ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6, hop_limit=255),
                      ICMPv6(type=ND_NEIGHBOR_ADVERT, code=0))
    na = advert(reply)
    assert na.target == target and na.solicited and not na.router
    tlla = ndp.lladdr_option(na.options, ndp.OPT_TARGET_LLADDR)
    # RFC 4861 7.2.4: the option MAY be omitted here; Override follows its presence.
    assert tlla in (None, mac(endpoints.dut_mac)) and na.override == (tlla is not None)


@pytest.mark.requirement("RFC4861-7.2.3-SHOULD-update-cache", "RFC4861-7.2.4-MUST-send-na")
@pytest.mark.parametrize("host", [3, 0x4E43])
def test_solicitation_from_a_new_neighbor_is_answered_to_it(ex, endpoints, host):
    source = spare(endpoints, host)
    ex.send(*nd_layers(ndp.NeighborSolicit(ip6(endpoints.dut_ipv6), sll(endpoints)),
                       src=source))
    ex.expect(Ether(dst=endpoints.tester_mac), IPv6(src=endpoints.dut_ipv6, dst=source),
              ICMPv6(type=ND_NEIGHBOR_ADVERT))


@pytest.mark.requirement("RFC4861-7.2.4-MUST-dad-reply-all-nodes",
                         "RFC2464-7-MUST-multicast-mapping")
def test_dad_solicitation_gets_unsolicited_advertisement_to_all_nodes(ex, endpoints):
    group, group_mac = solicited(endpoints)
    target = ip6(endpoints.dut_ipv6)
    ex.send(Ether(dst=group_mac), *nd_layers(ndp.NeighborSolicit(target), src="::", dst=group))
    reply = ex.expect(Ether(dst=ALL_NODES_MAC), IPv6(src=endpoints.dut_ipv6, dst=ALL_NODES),
                      ICMPv6(type=ND_NEIGHBOR_ADVERT))
    na = advert(reply)
    assert na.target == target and not na.solicited and na.override
    assert ndp.lladdr_option(na.options, ndp.OPT_TARGET_LLADDR) == mac(endpoints.dut_mac)
