"""RFC 791 3.2 (reassembly procedure): fragment data is copied into the buffer at its offset,
so fragments that overlap (here with identical data in the overlap) still reassemble."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST

from .fragments import fragment, send_all

DATA = bytes(i * 3 & 0xFF for i in range(792))  # + 8 octets ICMP header = 800


@pytest.mark.requirement("RFC791-3.2-MAY-overlap-last-wins")
def test_overlapping_fragments_are_reassembled(ex, endpoints):
    echo = (ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00430001), Payload(DATA))
    send_all(ex, fragment(ex, echo, [(0, 408), (400, 800)]))
    ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=ICMP_ECHO_REPLY, rest=0x00430001),
              Payload(DATA), timeout=1.0, immediate=True)
