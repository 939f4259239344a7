"""RFC 2675 3: a Jumbo Payload option (Hop-by-Hop, type 0xC2, at 4n + 2) in a packet that is
not a jumbogram is an error: a Jumbo Payload Length of 65535 or less gets a Parameter Problem
code 0 pointing at that length field, a non-zero IPv6 Payload Length one pointing at the
option's type. (Found by the hypothesis engine over IPv6: the oracle first took the option
as recognised and went on.)"""

import pytest

from conformance.author.templates import ICMPv6, IPv6, IPv6Ext
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REQUEST, ICMP6_PARAM_PROB, PARAM_HEADER_FIELD
from reference_stack.wire.ipv6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptJumbo, Ipv6OptPadN

OPTION_AT = 40 + 6  # the IPv6 header, the Hop-by-Hop header's two octets, PadN(2): 4n + 2


def _send(ex, length):
    options = (Ipv6OptPadN(bytes(2)), Ipv6OptJumbo(length))
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6, options)),
            ICMPv6(type=ICMP6_ECHO_REQUEST, rest=11))


@pytest.mark.requirement("RFC2675-3-MUST-jumbo-length-too-small")
@pytest.mark.parametrize("length", [0, 65535])
def test_jumbo_length_65535_or_less_is_a_parameter_problem(ex, endpoints, length):
    _send(ex, length)
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_HEADER_FIELD, rest=OPTION_AT + 2),
              immediate=True)


@pytest.mark.requirement("RFC2675-3-MUST-jumbo-with-payload-length")
def test_jumbo_option_with_a_payload_length_is_a_parameter_problem(ex, endpoints):
    _send(ex, 70000)
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_HEADER_FIELD, rest=OPTION_AT),
              immediate=True)
