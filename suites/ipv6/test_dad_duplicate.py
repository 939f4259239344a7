"""RFC 4862 5.4.3, 5.4.4, 5.4.5: while an address is tentative, a Neighbor Solicitation for it
from the unspecified address (another node checking it) or a Neighbor Advertisement for it
makes it a duplicate: DAD stops and the address is never assigned (no echo answered after
DAD's time). The node joined its solicited-node group first (5.4.2: the solicitation sent
there reaches it), and never answers a solicitation for a tentative address (5.4.3)."""

import pytest

from conformance.author.templates import Ether, ICMPv6
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6, mac

from . import dad
from .addresses import ALL_NODES, ALL_NODES_MAC, solicited_of
from .dad import add_tentative, dad_done_s, dad_solicitation, expect_dad_solicitation, send_probe
from .nd import nd_layers

pytestmark = dad.TURNS_ON_DAD  # (each test starts by turning DAD on: dad.add_tentative)

TRANSMITS = 2  # the duplicate comes after the first: one more would be sent, never is
OTHER_NONCE = bytes.fromhex("4e4300000001")  # another node's nonce (RFC 7527 4.1)


def _not_assigned(ex, bed, address):
    """No further solicitation after the duplicate, and no answer once DAD would have ended
    (to a probe the DUT would answer were the address assigned: dad.send_probe)."""
    ex.sleep(dad_done_s(TRANSMITS))
    ex.expect_nothing(*dad_solicitation(address))
    send_probe(ex, bed, address, 9)
    ex.expect_nothing(ICMPv6())


@pytest.mark.requirement("RFC4862-5.4.3-MUST-dad-ns-duplicate",
                         "RFC4862-5.4.5-MUST-NOT-assign-duplicate",
                         "RFC4862-5.4.2-MUST-join-groups",
                         "RFC4862-5.4.3-MUST-NOT-respond-tentative")
@pytest.mark.parametrize("nonce", [None, OTHER_NONCE], ids=["no-nonce", "other-nonce"])
def test_dad_solicitation_from_another_node_is_a_duplicate(ex, bed, endpoints, nonce):
    address = add_tentative(bed, endpoints, 0x57, TRANSMITS)
    expect_dad_solicitation(ex, address)
    group, group_mac = solicited_of(address)
    options = (ndp.NdOptUnknown(ndp.OPT_NONCE, nonce),) if nonce else ()
    ex.send(Ether(dst=group_mac),
            *nd_layers(ndp.NeighborSolicit(ip6(address), options), src="::", dst=group))
    _not_assigned(ex, bed, address)


@pytest.mark.requirement("RFC4862-5.4.4-MUST-na-duplicate",
                         "RFC4862-5.4.5-MUST-NOT-assign-duplicate")
@pytest.mark.parametrize("override", [True, False], ids=["override", "no-override"])
def test_advertisement_for_tentative_address_is_a_duplicate(ex, bed, endpoints, override):
    address = add_tentative(bed, endpoints, 0x58, TRANSMITS)
    expect_dad_solicitation(ex, address)
    # RFC 4861 7.2.4 / 4862 5.4.4: the defending node's answer, to all-nodes, Solicited clear.
    na = ndp.NeighborAdvert(ip6(address), solicited=False, override=override, options=(
        ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, mac(endpoints.tester_mac)),))
    ex.send(Ether(dst=ALL_NODES_MAC), *nd_layers(na, src=endpoints.tester_ipv6, dst=ALL_NODES))
    _not_assigned(ex, bed, address)
