"""RFC 4861 7.1.1: a Neighbor Solicitation is silently discarded unless its hop limit is 255,
its code 0, its ICMP length at least 24, its target not multicast and every option's length
non-zero; with an unspecified source it must go to a solicited-node group without a source
link-layer address option. RFC 4861 7.2.3: one for an address not ours is discarded."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6, Payload
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6
from reference_stack.wire.icmpv6 import ND_NEIGHBOR_SOLICIT

from .addresses import solicited, spare
from .nd import nd_layers, sll


@pytest.mark.requirement("RFC4861-7.1.1-MUST-validate-hop-limit")
@pytest.mark.parametrize("hop_limit", [0, 1, 64, 254])
def test_hop_limit_not_255_gets_nothing(ex, endpoints, hop_limit):
    ns = ndp.NeighborSolicit(ip6(endpoints.dut_ipv6), sll(endpoints))
    ex.send(*nd_layers(ns, hop_limit=hop_limit))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.1.1-MUST-validate-code")
@pytest.mark.parametrize("code", [1, 255])
def test_code_not_0_gets_nothing(ex, endpoints, code):
    ex.send(*nd_layers(ndp.NeighborSolicit(ip6(endpoints.dut_ipv6), sll(endpoints)), code))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.1.1-MUST-validate-length")
@pytest.mark.parametrize("length", [8, 12, 23])
def test_short_solicitation_gets_nothing(ex, endpoints, length):
    body = ip6(endpoints.dut_ipv6)[: length - 8]
    ex.send(IPv6(hop_limit=255), ICMPv6(type=ND_NEIGHBOR_SOLICIT), Payload(body))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.1.1-MUST-validate-options")
def test_option_of_length_zero_gets_nothing(ex, endpoints):
    bad = (ndp.NdOptMalformed(b"\x01\x00" + bytes(6)),)
    ex.send(*nd_layers(ndp.NeighborSolicit(ip6(endpoints.dut_ipv6), bad)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.1.1-MUST-validate-target-not-multicast")
@pytest.mark.parametrize("group", ["ff02::1", "ff02::1:ff00:1"])
def test_multicast_target_gets_nothing(ex, group):
    ex.send(*nd_layers(ndp.NeighborSolicit(ip6(group))))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.2.3-MUST-target-not-ours")
@pytest.mark.parametrize("host", [3, 0x99])
def test_target_not_ours_gets_nothing(ex, endpoints, host):
    ex.send(*nd_layers(ndp.NeighborSolicit(ip6(spare(endpoints, host)), sll(endpoints))))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4861-7.1.1-MUST-validate-dad")
@pytest.mark.parametrize("case", ["unicast-dst", "with-sll"])
def test_bad_dad_solicitation_gets_nothing(ex, endpoints, case):
    group, group_mac = solicited(endpoints)
    target = ip6(endpoints.dut_ipv6)
    if case == "unicast-dst":
        ex.send(*nd_layers(ndp.NeighborSolicit(target), src="::"))
    else:
        ex.send(Ether(dst=group_mac),
                *nd_layers(ndp.NeighborSolicit(target, sll(endpoints)), src="::", dst=group))
    ex.expect_nothing()
