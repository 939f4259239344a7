"""RFC 3810 6.2: a multicast listener answers a Query with a Report for the groups it listens
to (here the DUT's solicited-node group), after a random delay up to the Maximum Response
Delay; 6: an MLDv2 listener does not act on other listeners' Reports."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire import mld
from reference_stack.wire.addr import ip6
from reference_stack.wire.icmpv6 import MLDV2_LISTENER_REPORT
from reference_stack.wire.ipv6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptRouterAlert

from .addresses import ALL_NODES, ALL_NODES_MAC, solicited

ROUTER_ALERT = IPv6Ext(Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6,
                                         (Ipv6OptRouterAlert(0),)))
LINK_LOCAL = "fe80::4e43"


def _mld_layers(message):
    icmp = message.to_icmp()
    return (ROUTER_ALERT, ICMPv6(type=icmp.type, rest=icmp.rest), Payload(icmp.payload))


@pytest.mark.requirement("RFC3810-6.2-MUST-respond-to-query")
def test_general_query_gets_a_report_for_the_solicited_node_group(ex, endpoints):
    group, _ = solicited(endpoints)
    query = mld.MldV2Query(bytes(16), max_resp_code=100)  # 100 ms
    ex.send(Ether(dst=ALL_NODES_MAC), IPv6(src=LINK_LOCAL, dst=ALL_NODES, hop_limit=1),
            *_mld_layers(query))
    report = ex.expect(ICMPv6(type=MLDV2_LISTENER_REPORT), timeout=3.0)
    records = mld.from_icmp(report.icmpv6).records
    assert ip6(group) in {r.group for r in records}


@pytest.mark.requirement("RFC3810-6-MUST-ignore-other-reports")
def test_report_of_another_listener_gets_nothing(ex, endpoints):
    group, group_mac = solicited(endpoints)
    report = mld.MldV2Report((mld.MldRecord(mld.MODE_IS_EXCLUDE, ip6(group)),))
    ex.send(Ether(dst="33:33:00:00:00:16"), IPv6(src=LINK_LOCAL, dst="ff02::16", hop_limit=1),
            *_mld_layers(report))
    ex.expect_nothing()
