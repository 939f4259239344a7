"""RFC 8200 4.2: an unrecognised option acts as the two high-order bits of its type say:
00 skip it, 01 discard the packet, 10 discard and send a Parameter Problem code 2 pointing at
the option type even to a multicast destination, 11 the same only if the destination was not
multicast (RFC 4443 2.4(e) names the 10 exception). Both options headers follow the rule.
A skipped option shows in the answer to what follows it: an echo request, or where the DUT
ignores echo requests a datagram to a closed port (conformance/author/answered.py); to a
multicast destination only the echo is answered (RFC 4443 2.4(e.3): no Port Unreachable about
it), so that case needs a DUT that answers echo requests."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.family import IPV6
from conformance.author.templates import Ether, ICMPv6, IPv6, IPv6Ext
from reference_stack.wire.icmpv6 import ICMP6_PARAM_PROB, PARAM_OPTION
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_HOPOPTS
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptPad1, Ipv6OptPadN, Ipv6OptUnknown

from .addresses import ALL_NODES, ALL_NODES_MAC

RULES = {0: "RFC8200-4.2-MUST-option-skip", 1: "RFC8200-4.2-MUST-option-discard",
         2: "RFC8200-4.2-MUST-option-param-problem",
         3: "RFC8200-4.2-MUST-option-param-problem-unicast"}
HEADERS = {"hbh": IPPROTO_HOPOPTS, "dstopts": IPPROTO_DSTOPTS}


def _send(ex, bed, header, opt_type, multicast, pad=()):
    probe = answered_probe(bed, opt_type, b"option", IPV6)
    options = (*pad, Ipv6OptUnknown(opt_type, b"abcd"))
    layers = (IPv6Ext(Ipv6OptionsHeader(HEADERS[header], probe.protocol, options)),
              *probe.request)
    if multicast:
        ex.send(Ether(dst=ALL_NODES_MAC), IPv6(dst=ALL_NODES), *layers)
    else:
        ex.send(IPv6(), *layers)
    return probe


def _case(bits, multicast, header):
    marks = [pytest.mark.requirement(RULES[bits])]
    if bits == 0 and multicast:  # (the answer to a packet to a group: the echo reply alone)
        marks.append(pytest.mark.needs(echo6_ignore_all=False))
    where = "multicast" if multicast else "unicast"
    return pytest.param(bits, multicast, header, marks=marks, id=f"{bits:02b}-{where}-{header}")


@pytest.mark.parametrize(("bits", "multicast", "header"), [
    _case(b, m, h) for h in sorted(HEADERS) for m in (False, True) for b in range(4)])
def test_unrecognized_option_action(ex, bed, endpoints, header, multicast, bits):
    opt_type = (bits << 6) | 0x1E
    probe = _send(ex, bed, header, opt_type, multicast)
    if bits == 0:
        ex.expect(IPv6(src=endpoints.dut_ipv6), *probe.answer)
    elif bits == 2 or (bits == 3 and not multicast):
        ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6),
                  ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_OPTION, rest=42))
    else:
        ex.expect_nothing()


@pytest.mark.requirement("RFC8200-4.2-MUST-option-param-problem")
@pytest.mark.parametrize("pad", [(Ipv6OptPad1(),), (Ipv6OptPadN(b"\0\0"),),
                                 (Ipv6OptPad1(), Ipv6OptPadN(bytes(3)))],
                         ids=["pad1", "padn2", "pad1-padn3"])
def test_pointer_follows_the_padding(ex, bed, endpoints, pad):
    _send(ex, bed, "dstopts", 0x9E, False, pad)
    pad_len = sum(len(p.emit()) for p in pad)
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_OPTION, rest=42 + pad_len))
