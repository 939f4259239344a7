"""RFC 1122 3.2.1.6: the Type-of-Service octet is passed up, never a reason to drop: datagrams
with any TOS (DSCP and ECN bits) are accepted."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement("RFC1122-3.2.1.6-MUST-tos-passed", "RFC1122-3.2.2.6-MUST-echo-reply")
@pytest.mark.parametrize("tos", [0x10, 0xB8, 0x02, 0xFF], ids=lambda t: f"tos-{t:#04x}")
def test_datagram_with_any_tos_is_accepted(ex, endpoints, tos):
    ex.send(IPv4(tos=tos), ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00470001), Payload(b"tos"))
    ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=ICMP_ECHO_REPLY, rest=0x00470001))
