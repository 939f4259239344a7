"""RFC 4443 2.4(e): no ICMPv6 error about an ICMPv6 error message (e.1), about a packet sent to
a multicast group or as link-layer multicast (e.3, e.4; an option whose type begins with 10 is
the exception, test_option_actions.py), or about a packet whose source does not identify one
node (e.6). The same packet in an echo request, to a unicast address from a unicast source,
gets its Parameter Problem."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire.icmpv6 import (
    ICMP6_DST_UNREACH,
    ICMP6_ECHO_REQUEST,
    ICMP6_PACKET_TOO_BIG,
    ICMP6_PARAM_PROB,
    ICMP6_TIME_EXCEEDED,
)
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptUnknown

from .addresses import ALL_NODES, ALL_NODES_MAC, solicited

# An option whose action is "11": Parameter Problem only to a unicast destination.
OPTION_11 = IPv6Ext(Ipv6OptionsHeader(IPPROTO_DSTOPTS, IPPROTO_ICMPV6,
                                      (Ipv6OptUnknown(0xDE, b"abcd"),)))
QUOTE = bytes(48)


@pytest.mark.requirement("RFC4443-3.4-SHOULD-parameter-problem")
def test_option_in_echo_request_gets_parameter_problem(ex, endpoints):
    ex.send(IPv6(), OPTION_11, ICMPv6(type=ICMP6_ECHO_REQUEST, rest=11))
    ex.expect(IPv6(src=endpoints.dut_ipv6), ICMPv6(type=ICMP6_PARAM_PROB, code=2, rest=42))


@pytest.mark.requirement("RFC4443-2.4-MUST-NOT-error-about-error")
@pytest.mark.parametrize("icmp_type", [ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG,
                                       ICMP6_TIME_EXCEEDED, ICMP6_PARAM_PROB, 100, 127])
def test_option_in_error_message_gets_nothing(ex, icmp_type):
    rest = 1280 if icmp_type == ICMP6_PACKET_TOO_BIG else 0
    ex.send(IPv6(), OPTION_11, ICMPv6(type=icmp_type, rest=rest), Payload(QUOTE))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4443-2.4-MUST-NOT-error-about-multicast")
def test_unknown_next_header_to_solicited_node_group_gets_nothing(ex, endpoints):
    group, group_mac = solicited(endpoints)
    ex.send(Ether(dst=group_mac), IPv6(dst=group, next_header=253), Payload(bytes(8)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4443-2.4-MUST-NOT-error-about-multicast")
def test_link_multicast_to_our_address_gets_no_error(ex):
    """A unicast destination in a frame sent to all-nodes' MAC (link-layer multicast, e.4)."""
    ex.send(Ether(dst=ALL_NODES_MAC), IPv6(next_header=253), Payload(bytes(8)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4443-2.4-MUST-NOT-error-source-not-unique")
def test_unspecified_source_gets_no_error(ex):
    ex.send(IPv6(src="::", next_header=253), Payload(bytes(8)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4443-2.4-MUST-NOT-error-about-multicast")
def test_option_11_to_all_nodes_gets_nothing(ex):
    ex.send(Ether(dst=ALL_NODES_MAC), IPv6(dst=ALL_NODES), OPTION_11,
            ICMPv6(type=ICMP6_ECHO_REQUEST, rest=12))
    ex.expect_nothing()
