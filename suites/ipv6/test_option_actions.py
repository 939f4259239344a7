"""RFC 8200 4.2: an unrecognised option acts as the two high-order bits of its type say:
00 skip it, 01 discard the packet, 10 discard and send a Parameter Problem code 2 pointing at
the option type even to a multicast destination, 11 the same only if the destination was not
multicast (RFC 4443 2.4(e) names the 10 exception). Both options headers follow the rule."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire.icmpv6 import (
    ICMP6_ECHO_REPLY,
    ICMP6_ECHO_REQUEST,
    ICMP6_PARAM_PROB,
    PARAM_OPTION,
)
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_HOPOPTS, IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptPad1, Ipv6OptPadN, Ipv6OptUnknown

from .addresses import ALL_NODES, ALL_NODES_MAC

RULES = {0: "RFC8200-4.2-MUST-option-skip", 1: "RFC8200-4.2-MUST-option-discard",
         2: "RFC8200-4.2-MUST-option-param-problem",
         3: "RFC8200-4.2-MUST-option-param-problem-unicast"}
HEADERS = {"hbh": IPPROTO_HOPOPTS, "dstopts": IPPROTO_DSTOPTS}


def _send(ex, header, opt_type, multicast, pad=()):
    options = (*pad, Ipv6OptUnknown(opt_type, b"abcd"))
    layers = (IPv6Ext(Ipv6OptionsHeader(HEADERS[header], IPPROTO_ICMPV6, options)),
              ICMPv6(type=ICMP6_ECHO_REQUEST, rest=opt_type), Payload(b"option"))
    if multicast:
        return ex.send(Ether(dst=ALL_NODES_MAC), IPv6(dst=ALL_NODES), *layers)
    return ex.send(IPv6(), *layers)


@pytest.mark.parametrize("header", sorted(HEADERS))
@pytest.mark.parametrize("multicast", [False, True], ids=["unicast", "multicast"])
@pytest.mark.parametrize("bits", [
    pytest.param(b, marks=pytest.mark.requirement(RULES[b]), id=f"{b:02b}") for b in range(4)])
def test_unrecognized_option_action(ex, endpoints, header, multicast, bits):
    opt_type = (bits << 6) | 0x1E
    _send(ex, header, opt_type, multicast)
    if bits == 0:
        ex.expect(IPv6(src=endpoints.dut_ipv6), ICMPv6(type=ICMP6_ECHO_REPLY, rest=opt_type))
    elif bits == 2 or (bits == 3 and not multicast):
        ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6),
                  ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_OPTION, rest=42))
    else:
        ex.expect_nothing()


@pytest.mark.requirement("RFC8200-4.2-MUST-option-param-problem")
@pytest.mark.parametrize("pad", [(Ipv6OptPad1(),), (Ipv6OptPadN(b"\0\0"),),
                                 (Ipv6OptPad1(), Ipv6OptPadN(bytes(3)))],
                         ids=["pad1", "padn2", "pad1-padn3"])
def test_pointer_follows_the_padding(ex, endpoints, pad):
    _send(ex, "dstopts", 0x9E, False, pad)
    pad_len = sum(len(p.emit()) for p in pad)
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_OPTION, rest=42 + pad_len))
