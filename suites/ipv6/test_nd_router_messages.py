"""RFC 4861 6.2.6: a host silently discards Router Solicitations. 6.1.2 and 8.1: a Router
Advertisement or Redirect from a source that is not link-local is invalid and discarded. An
unsolicited Neighbor Advertisement for an address without a cache entry is discarded (7.2.5).
None of them gets an answer."""

import pytest

from conformance.author.templates import Ether
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6, mac

from .addresses import ALL_NODES, ALL_NODES_MAC, spare
from .nd import nd_layers, sll


@pytest.mark.requirement("RFC4861-6.2.6-MUST-host-discard-rs")
@pytest.mark.parametrize("dst", ["unicast", "all-routers", "all-nodes"])
def test_router_solicitation_gets_nothing(ex, endpoints, dst):
    rs = ndp.RouterSolicit(sll(endpoints))
    if dst == "unicast":
        ex.send(*nd_layers(rs))
    else:
        group = "ff02::2" if dst == "all-routers" else ALL_NODES
        ex.send(Ether(dst="33:33:00:00:00:02" if dst == "all-routers" else ALL_NODES_MAC),
                *nd_layers(rs, dst=group))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-6.1.2-MUST-validate-source-link-local")
def test_router_advertisement_from_global_source_gets_nothing(ex, endpoints):
    ra = ndp.RouterAdvert(64, False, False, 0, 1800, 0, 0, (
        *sll(endpoints), ndp.NdOptPrefixInfo(64, ip6("2001:db8:ff::"))))
    ex.send(Ether(dst=ALL_NODES_MAC), *nd_layers(ra, dst=ALL_NODES))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-8.1-MUST-validate-source-link-local")
def test_redirect_from_global_source_gets_nothing(ex, endpoints):
    redirect = ndp.Redirect(ip6(spare(endpoints, 3)), ip6("2001:db8:ff::1"))
    ex.send(*nd_layers(redirect))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.2.5-MUST-no-entry-discard")
def test_unsolicited_advertisement_for_unknown_address_gets_nothing(ex, endpoints):
    source = spare(endpoints, 5)
    na = ndp.NeighborAdvert(ip6(source), override=True, options=(
        ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, mac(endpoints.tester_mac)),))
    ex.send(Ether(dst=ALL_NODES_MAC), *nd_layers(na, src=source, dst=ALL_NODES))
    ex.expect_nothing()
