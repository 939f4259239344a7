"""RFC 2711 (RFC 8200 4.2): a Hop-by-Hop Router Alert option (type 5, two octets of value) is
a recognised option: the packet goes on (an echo request is answered, or where the DUT ignores
echo requests a datagram to a closed port: conformance/author/answered.py). One of another length
is malformed; RFC 2711 does not say what then: Linux's ipv6_hop_ra drops the packet (found by
the hypothesis engine over IPv6), judged by the lockstep oracle with the target's profile."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.family import IPV6
from conformance.author.templates import IPv6, IPv6Ext
from reference_stack.wire.ipv6 import IPPROTO_HOPOPTS
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptRouterAlert, Ipv6OptUnknown


def _send(ex, bed, option, ident_seq):
    probe = answered_probe(bed, ident_seq, b"", IPV6)
    ex.send(IPv6(), IPv6Ext(Ipv6OptionsHeader(IPPROTO_HOPOPTS, probe.protocol, (option,))),
            *probe.request)
    return probe


@pytest.mark.requirement("RFC8200-4.2-MUST-process-options")
@pytest.mark.parametrize("value", [0, 1, 0xFFFF])
def test_router_alert_is_a_recognised_option(ex, bed, endpoints, value):
    probe = _send(ex, bed, Ipv6OptRouterAlert(value), 13)
    ex.expect(IPv6(src=endpoints.dut_ipv6), *probe.answer)


@pytest.mark.requirement("RFC8200-4.2-MUST-process-options")
@pytest.mark.parametrize("length", [0, 1, 4])
def test_router_alert_of_another_length(ex, bed, length):
    _send(ex, bed, Ipv6OptUnknown(5, bytes(length)), 14)
    ex.settle()
