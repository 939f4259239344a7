"""RFC 2711 (RFC 8200 4.2): a Hop-by-Hop Router Alert option (type 5, two octets of value) is
a recognised option: the packet goes on (an echo request is answered). One of another length
is malformed; RFC 2711 does not say what then: Linux's ipv6_hop_ra drops the packet (found by
the hypothesis engine over IPv6), judged by the lockstep oracle with the target's profile."""

import pytest

from conformance.author.templates import ICMPv6, IPv6, IPv6Ext
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST
from reference_stack.wire.ipv6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptRouterAlert, Ipv6OptUnknown


def _send(ex, option, rest):
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6, (option,))),
            ICMPv6(type=ICMP6_ECHO_REQUEST, rest=rest))


@pytest.mark.requirement("RFC8200-4.2-MUST-process-options")
@pytest.mark.parametrize("value", [0, 1, 0xFFFF])
def test_router_alert_is_a_recognised_option(ex, endpoints, value):
    _send(ex, Ipv6OptRouterAlert(value), 13)
    ex.expect(IPv6(src=endpoints.dut_ipv6), ICMPv6(type=ICMP6_ECHO_REPLY, rest=13))


@pytest.mark.requirement("RFC8200-4.2-MUST-process-options")
@pytest.mark.parametrize("length", [0, 1, 4])
def test_router_alert_of_another_length(ex, length):
    _send(ex, Ipv6OptUnknown(5, bytes(length)), 14)
    ex.settle()
