"""RFC 8200 4: a Next Header value the node does not recognise: the packet is discarded and a
Parameter Problem code 1 sent, its pointer at the field holding the value (the fixed header's
octet 6, or the Next Header octet of the last extension header); RFC 4443 2.4(e): not about a
packet to a multicast group."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire.icmpv6 import ICMP6_PARAM_PROB, PARAM_NEXT_HEADER
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader

from .addresses import ALL_NODES, ALL_NODES_MAC

REQS = ("RFC8200-4-SHOULD-unrecognized-next-header", "RFC4443-3.4-SHOULD-parameter-problem")


@pytest.mark.requirement(*REQS)
@pytest.mark.parametrize("protocol", [143, 253, 254])
def test_unknown_next_header_gets_parameter_problem_code_1(ex, endpoints, protocol):
    sent = ex.send(IPv6(next_header=protocol), Payload(b"nobody speaks this protocol"))
    error = ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6),
                      ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_NEXT_HEADER, rest=6))
    assert error.icmpv6.payload == sent[14:]


@pytest.mark.requirement(*REQS)
def test_pointer_names_the_last_extension_header(ex, endpoints):
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_DSTOPTS, 253)), Payload(b"12345678"))
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_NEXT_HEADER, rest=40))


@pytest.mark.requirement("RFC4443-2.4-MUST-NOT-error-about-multicast")
def test_unknown_next_header_to_all_nodes_gets_nothing(ex):
    ex.send(Ether(dst=ALL_NODES_MAC), IPv6(dst=ALL_NODES, next_header=253), Payload(b"x" * 8))
    ex.expect_nothing()
