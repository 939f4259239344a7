"""RFC 792 (Echo Reply: the checksum is the one's complement of the one's complement sum of the
message) and RFC 1624 3: an echo request of identifier, sequence number and data all zero
draws a reply whose every field but the checksum is zero. One's complement has two zeros, so
its checksum may be written 0xFFFF (RFC 1071: ~(+0)) or 0x0000 (~(-0), as Linux writes it);
the lockstep oracle accepts both and no other value."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement("RFC792-MUST-generate-checksum",
                         "RFC1122-3.2.2.6-MUST-echo-data-returned")
@pytest.mark.parametrize("size", [0, 16], ids=lambda n: f"{n}B")
@pytest.mark.needs(echo_ignore_all=False)  # (an echo request answered: RFC 1122 3.2.2.6)
def test_all_zero_echo_is_answered(ex, endpoints, size):
    ex.send(ICMPv4(type=ICMP_ECHO_REQUEST, rest=0), Payload(bytes(size)))
    reply = ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
                      ICMPv4(type=ICMP_ECHO_REPLY, code=0, rest=0), Payload(bytes(size)))
    assert reply.icmpv4.checksum in (0x0000, 0xFFFF), f"checksum {reply.icmpv4.checksum:#06x}"
