"""RFC 8200 4.1: the Hop-by-Hop Options header may only follow the IPv6 header; a Next Header
value of 0 in any other header is treated as unrecognised (4): Parameter Problem code 1, the
pointer at that Next Header field. Hop-by-Hop first, with a Router Alert, is processed (an echo
request in it answered, or where the DUT ignores echo requests a datagram to a closed port:
conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.family import IPV6
from conformance.author.templates import ICMPv6, IPv6, IPv6Ext
from reference_stack.wire.icmpv6 import (
    ICMP6_ECHO_REQUEST,
    ICMP6_PARAM_PROB,
    PARAM_NEXT_HEADER,
)
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_HOPOPTS, IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6Fragment, Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptRouterAlert


@pytest.mark.requirement("RFC8200-4-SHOULD-hop-by-hop-only-first",
                         "RFC4443-3.4-SHOULD-parameter-problem")
@pytest.mark.parametrize("first", ["dstopts", "fragment"])
def test_hop_by_hop_after_another_header_gets_parameter_problem(ex, endpoints, first):
    before = (Ipv6OptionsHeader(IPPROTO_DSTOPTS, IPPROTO_HOPOPTS) if first == "dstopts"
              else Ipv6Fragment(IPPROTO_HOPOPTS, 0, False, 0x4E43))
    ex.send(IPv6(), IPv6Ext(before, Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6)),
            ICMPv6(type=ICMP6_ECHO_REQUEST, rest=5))
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_NEXT_HEADER, rest=40))


@pytest.mark.requirement("RFC8200-4.2-MUST-process-options", "RFC4443-4.2-MUST-echo-reply")
@pytest.mark.parametrize("options", [(), (Ipv6OptRouterAlert(0),)], ids=["empty", "router-alert"])
def test_hop_by_hop_first_is_processed(ex, bed, endpoints, options):
    probe = answered_probe(bed, 6, b"hbh", IPV6)
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_HOPOPTS, probe.protocol, options)),
            *probe.request)
    ex.expect(IPv6(src=endpoints.dut_ipv6), *probe.answer)
