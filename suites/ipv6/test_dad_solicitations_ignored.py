"""RFC 4862 5.4.3: a Neighbor Solicitation for a tentative address from a unicast source is
address resolution, silently ignored (never answered: a node MUST NOT respond to a
solicitation for a tentative address), and DAD goes on to assign the address. Linux (enhanced
DAD, RFC 7527) takes a DAD solicitation carrying its own nonce for its own looped back, not
for another node's (LINUX-ndisc_recv_ns-looped-dad-nonce)."""

import pytest

from conformance.author.templates import Ether, ICMPv6
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6

from . import dad
from .addresses import solicited_of
from .dad import (
    add_tentative,
    dad_done_s,
    expect_answer,
    expect_dad_solicitation,
    send_probe,
)
from .nd import nd_layers, sll

pytestmark = dad.TURNS_ON_DAD  # (each test starts by turning DAD on: dad.add_tentative)


@pytest.mark.requirement("RFC4862-5.4.3-SHOULD-ignore-resolution-ns",
                         "RFC4862-5.4.3-MUST-NOT-respond-tentative",
                         "RFC4862-5.4-MUST-assign-after-dad")
@pytest.mark.parametrize("to", ["group", "unicast"])
def test_resolution_solicitation_for_tentative_address_is_ignored(ex, bed, endpoints, to):
    address = add_tentative(bed, endpoints, 0x59, 2)
    expect_dad_solicitation(ex, address)
    group, group_mac = solicited_of(address)
    ns = ndp.NeighborSolicit(ip6(address), sll(endpoints))
    if to == "group":
        ex.send(Ether(dst=group_mac), *nd_layers(ns, dst=group))
    else:  # to the tentative address itself (RFC 4862 5.4: such packets are discarded)
        ex.send(*nd_layers(ns, dst=address))
    ex.expect_nothing(ICMPv6(type=136))
    expect_dad_solicitation(ex, address)
    ex.sleep(dad_done_s(1))
    probe = send_probe(ex, bed, address, 3)
    expect_answer(ex, endpoints, address, probe)


@pytest.mark.requirement("RFC4862-5.4.3-MUST-dad-ns-duplicate",
                         "RFC4862-5.4-MUST-assign-after-dad")
@pytest.mark.needs(dad_nonce=True)
def test_own_looped_back_solicitation_is_not_a_duplicate(ex, bed, endpoints):
    address = add_tentative(bed, endpoints, 0x5A, 2)
    ns = expect_dad_solicitation(ex, address)
    assert ndp.nonce_option(ns.options) is not None
    group, group_mac = solicited_of(address)
    ex.send(Ether(dst=group_mac), *nd_layers(ns, src="::", dst=group))  # as if looped back
    expect_dad_solicitation(ex, address)
    ex.sleep(dad_done_s(1))
    probe = send_probe(ex, bed, address, 4)
    expect_answer(ex, endpoints, address, probe)
