"""UDP over IPv6 at the edges the boofuzz engine found (RFC 768, RFC 8200 8.1, RFC 2675 4,
RFC 3828): a UDP Length of 0 in a packet that is no jumbogram (RFC 768 says below 8 is no
datagram; Linux's __udp6_lib_rcv reads it as the IPv6 payload's length, as RFC 2675 4 does
for a jumbogram), and UDP-Lite (Next Header 136) to a port nobody holds (Port Unreachable
from a host that speaks it, else an unrecognised Next Header). What the target answers is
judged by the lockstep oracle with its profile; the tests pin what every reading shares."""

import pytest

from conformance.author.background import is_background
from conformance.author.templates import IPv6, Payload
from reference_stack.wire.addr import ip6
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.frame import dissect


def _datagram(endpoints, protocol, length_field, data):
    raw = bytearray((40001).to_bytes(2, "big") + (9).to_bytes(2, "big")
                    + length_field.to_bytes(2, "big") + bytes(2) + data)
    initial = pseudo_header_sum(ip6(endpoints.tester_ipv6), ip6(endpoints.dut_ipv6), protocol,
                                len(raw))
    raw[6:8] = internet_checksum(bytes(raw), initial).to_bytes(2, "big")
    return bytes(raw)


@pytest.mark.requirement("RFC768-MUST-length")
def test_udp_length_zero_is_never_delivered_as_a_short_datagram(ex, endpoints):
    ex.send(IPv6(next_header=17), Payload(_datagram(endpoints, 17, 0, b"zero length")))
    errors = [dissect(f).icmpv6 for f in ex.settle()
              if not is_background(f) and dissect(f).icmpv6 is not None]
    # either nothing (RFC 768: no datagram) or a Port Unreachable (the whole payload read)
    assert all((e.type, e.code) == (1, 4) for e in errors), errors


@pytest.mark.requirement("RFC3828-3.2-MUST-discard-bad-checksum")
def test_udplite_to_a_closed_port(ex, endpoints):
    # a valid checksum over the RFC 8200 8.1 pseudo-header: not discarded (RFC 3828 3.2)
    ex.send(IPv6(next_header=136), Payload(_datagram(endpoints, 136, 0, b"lite")))
    errors = [dissect(f).icmpv6 for f in ex.settle()
              if not is_background(f) and dissect(f).icmpv6 is not None]
    assert len(errors) == 1 and (errors[0].type, errors[0].code) in ((1, 4), (4, 1)), errors
