"""RFC 4861 7.2.2: to answer a neighbour it has no cache entry for, a node sends a Neighbor
Solicitation for it to its solicited-node group, from its own address, with its link-layer
address, hop limit 255, and holds the reply; RFC 4861 7.2.5: the solicited advertisement
fills the entry and the held packet goes out. The packet to answer: an echo request, or where
the DUT ignores echo requests a datagram to a closed port (conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.family import IPV6
from conformance.author.templates import Ether, ICMPv6, IPv6
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6, ip6_str, mac, mac_str
from reference_stack.wire.icmpv6 import ND_NEIGHBOR_SOLICIT
from reference_stack.wire.ipv6 import multicast_mac, solicited_node

from .addresses import spare
from .nd import nd_layers


@pytest.mark.requirement("RFC4861-7.2.2-MUST-solicit", "RFC4861-7.2.5-MUST-update-entry",
                         "RFC2464-7-MUST-multicast-mapping")
def test_echo_from_unknown_neighbor_resolves_it_first(ex, bed, endpoints):
    source = spare(endpoints, 0x77)
    group = solicited_node(ip6(source))
    probe = answered_probe(bed, 0x77, b"who", IPV6)
    ex.send(IPv6(src=source), *probe.request)
    solicitation = ex.expect(Ether(dst=mac_str(multicast_mac(group))),
                             IPv6(src=endpoints.dut_ipv6, dst=ip6_str(group), hop_limit=255),
                             ICMPv6(type=ND_NEIGHBOR_SOLICIT, code=0))
    ns = ndp.from_icmp(solicitation.icmpv6)
    assert ns.target == ip6(source)
    assert ndp.lladdr_option(ns.options, ndp.OPT_SOURCE_LLADDR) == mac(endpoints.dut_mac)
    na = ndp.NeighborAdvert(ip6(source), solicited=True, override=True, options=(
        ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, mac(endpoints.tester_mac)),))
    ex.send(*nd_layers(na, src=source))
    ex.expect(Ether(dst=endpoints.tester_mac), IPv6(src=endpoints.dut_ipv6, dst=source),
              *probe.answer)
