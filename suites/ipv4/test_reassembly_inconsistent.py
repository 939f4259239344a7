"""RFC 1122 1.2.2 (robustness principle) applied to RFC 791 3.2 reassembly: a "last" fragment
(MF=0) that ends inside data an earlier fragment already supplied makes the datagram
inconsistent. The host may discard it, but it must go on working: a later echo request is
still answered (a UDP datagram to a closed port where the DUT ignores echo requests:
conformance/author/answered.py). (Found by fuzzing pytcp, whose packet thread died on exactly
this.)"""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REQUEST

from .fragments import ip_payload, send_all

IDENT = 0x4E44


@pytest.mark.requirement("RFC1122-1.2.2-SHOULD-survive-malformed-input")
def test_last_fragment_ending_inside_earlier_data_is_survived(ex, endpoints, bed):
    ip, payload = ip_payload(ex, ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00440001),
                             Payload(bytes(range(40))))
    first = ex.build(IPv4(protocol=ip.protocol, ident=IDENT, frag_offset=0, mf=True),
                     Payload(payload[:32]))
    last = ex.build(IPv4(protocol=ip.protocol, ident=IDENT, frag_offset=1, mf=False),
                    Payload(payload[8:24]))  # ends at 24, inside the first fragment's 32
    send_all(ex, [first, last])
    probe = answered_probe(bed, 0x00440002, b"still there?")
    ex.send(*probe.request)
    ex.expect(IPv4(src=endpoints.dut_ipv4), *probe.answer)
