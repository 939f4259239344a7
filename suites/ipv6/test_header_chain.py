"""RFC 8200 3, 4, 4.2: a packet shorter than the IPv6 header, or whose extension header runs
past its end, or whose option runs past its options header, cannot be processed and is
discarded; extension headers are processed strictly in order (the first one's verdict
decides); Pad1 and PadN are skipped. RFC 4443 2.1: an ICMPv6 message shorter than its header
is discarded. A packet the DUT would otherwise answer (an echo request, or where the DUT
ignores echo requests a datagram to a closed port: conformance/author/answered.py) shows
whether it was processed."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.family import IPV6
from conformance.author.templates import Ether, ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire.addr import ip6
from reference_stack.wire.icmpv6 import (
    ICMP6_ECHO_REQUEST,
    ICMP6_PARAM_PROB,
    PARAM_HEADER_FIELD,
)
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_ICMPV6, IPPROTO_ROUTING
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader, Ipv6Routing
from reference_stack.wire.ipv6_options import (
    Ipv6OptMalformed,
    Ipv6OptPad1,
    Ipv6OptPadN,
    Ipv6OptUnknown,
)


@pytest.mark.requirement("RFC8200-3-MUST-header")
@pytest.mark.parametrize("length", [1, 20, 39])
def test_packet_shorter_than_the_header_gets_nothing(ex, endpoints, length):
    header = IPv6(next_header=IPPROTO_ICMPV6)
    full = ex.build(header, ICMPv6(type=ICMP6_ECHO_REQUEST))
    ex.send_bytes(full[:14 + length])
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-4-MUST-header-chain")
@pytest.mark.parametrize("claimed", [1, 4])
def test_extension_header_past_the_end_gets_nothing(ex, claimed):
    ex.send(IPv6(next_header=IPPROTO_DSTOPTS),
            Payload(bytes((IPPROTO_ICMPV6, claimed, 1, 4)) + bytes(4)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-4.2-MUST-option-framing")
def test_option_past_its_header_gets_nothing(ex, bed):
    probe = answered_probe(bed, 1, b"", IPV6)
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_DSTOPTS, probe.protocol, (
        Ipv6OptMalformed(b"\x1e\x09abcd"),), hdr_ext_len=0)), *probe.request)
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-4.2-MUST-pad", "RFC8200-4.2-MUST-process-options")
@pytest.mark.parametrize("pad", [(Ipv6OptPad1(),) * 6, (Ipv6OptPadN(bytes(4)),),
                                 (Ipv6OptPad1(), Ipv6OptPadN(bytes(3)))],
                         ids=["pad1x6", "padn4", "pad1-padn3"])
def test_padding_is_skipped(ex, bed, endpoints, pad):
    probe = answered_probe(bed, 2, b"pad", IPV6)
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_DSTOPTS, probe.protocol, pad)),
            *probe.request)
    ex.expect(IPv6(src=endpoints.dut_ipv6), *probe.answer)


@pytest.mark.requirement("RFC8200-4-MUST-process-in-order")
@pytest.mark.parametrize("first", ["discard-option", "routing-type-0"])
def test_the_first_header_decides(ex, bed, endpoints, first):
    probe = answered_probe(bed, 3, b"", IPV6)
    discard = Ipv6OptionsHeader(IPPROTO_DSTOPTS, IPPROTO_ROUTING,
                                (Ipv6OptUnknown(0x5E, b"abcd"),))
    routing = Ipv6Routing(IPPROTO_DSTOPTS, 0, 1, bytes(4) + ip6(endpoints.dut_ipv6))
    if first == "discard-option":
        chain = (discard, Ipv6Routing(probe.protocol, 0, 1, routing.data))
    else:
        chain = (routing, Ipv6OptionsHeader(IPPROTO_DSTOPTS, probe.protocol, discard.options))
    ex.send(IPv6(), IPv6Ext(*chain), *probe.request)
    if first == "discard-option":
        ex.expect_nothing()
    else:
        ex.expect(IPv6(src=endpoints.dut_ipv6),
                  ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_HEADER_FIELD, rest=42))


@pytest.mark.requirement("RFC4443-2.1-MUST-header")
@pytest.mark.parametrize("length", [1, 4])
def test_icmpv6_shorter_than_its_header_gets_nothing(ex, endpoints, length):
    ex.send(Ether(), IPv6(next_header=IPPROTO_ICMPV6), Payload(bytes((128, 0, 0, 0))[:length]))
    ex.expect_nothing()
