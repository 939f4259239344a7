"""RFC 4862 5.4: an address added to an interface is tentative until Duplicate Address
Detection ends: it receives nothing (5.4), while DupAddrDetectTransmits Neighbor
Solicitations for it go out RetransTimer apart (5.4.2), from the unspecified address to its
solicited-node group; RetransTimer after the last, with no duplicate seen, it is assigned and
answers (an echo or, where the DUT ignores echo requests, a datagram to a closed port:
conformance/author/answered.py; a solicitation for it)."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6
from reference_stack.wire.icmpv6 import ND_NEIGHBOR_ADVERT

from . import dad
from .addresses import solicited_of
from .dad import (
    RETRANS_MS,
    add_tentative,
    dad_done_s,
    expect_answer,
    expect_dad_solicitation,
    send_probe,
    solicitation_times,
)
from .nd import advert, nd_layers, sll

pytestmark = dad.TURNS_ON_DAD  # (each test starts by turning DAD on: dad.add_tentative)


@pytest.mark.requirement("RFC4862-5.4-MUST-dad-before-assign",
                         "RFC4862-5.4.2-SHOULD-send-transmits", "RFC4862-5.4.2-MUST-ns-format",
                         "RFC4862-5.4-SHOULD-discard-to-tentative",
                         "RFC4862-5.4-MUST-assign-after-dad")
# 1 and 3: one solicitation, and several RetransTimer apart (a run with 2 waited out the same
# timers for the same rules as the run with 3)
@pytest.mark.parametrize("transmits", [1, 3])
def test_tentative_address_probed_then_assigned(ex, bed, endpoints, transmits):
    address = add_tentative(bed, endpoints, 0x55, transmits)
    send_probe(ex, bed, address, 1)  # to the tentative address: discarded
    for _ in range(transmits):
        expect_dad_solicitation(ex, address)
    ex.expect_nothing(ICMPv6())  # nor an answer to the probe
    ex.sleep(dad_done_s(transmits) - RETRANS_MS / 1000 * (transmits - 1))
    times = solicitation_times(bed, address)
    assert len(times) == transmits
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(gap >= RETRANS_MS / 1000 * 0.75 for gap in gaps), gaps
    probe = send_probe(ex, bed, address, 2)
    expect_answer(ex, endpoints, address, probe)


@pytest.mark.requirement("RFC4862-5.4-MUST-assign-after-dad", "RFC4861-7.2.4-MUST-send-na")
def test_assigned_address_answers_solicitation(ex, bed, endpoints):
    address = add_tentative(bed, endpoints, 0x56, 1)
    expect_dad_solicitation(ex, address)
    ex.sleep(dad_done_s(1))
    group, group_mac = solicited_of(address)
    ns = ndp.NeighborSolicit(ip6(address), sll(endpoints))
    ex.send(Ether(dst=group_mac), *nd_layers(ns, dst=group))
    na = advert(ex.expect(IPv6(src=address, dst=endpoints.tester_ipv6, hop_limit=255),
                          ICMPv6(type=ND_NEIGHBOR_ADVERT, code=0)))
    assert na.target == ip6(address) and na.solicited
