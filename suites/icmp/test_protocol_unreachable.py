"""RFC 792 (Destination Unreachable) and RFC 1122 3.2.2.1, 3.2.2: a datagram for a transport
protocol the host does not run elicits Destination Unreachable code 2 (protocol unreachable),
quoting its IP header and at least 8 octets of its data."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_PROT_UNREACH

from .errors import quoted


@pytest.mark.requirement("RFC1122-3.2.2.1-SHOULD-protocol-unreachable",
                         "RFC792-MUST-protocol-unreachable-code-2",
                         "RFC1122-3.2.2-MUST-quote-header-and-8-octets")
@pytest.mark.parametrize("protocol", [143, 253, 254])
def test_unknown_protocol_gets_protocol_unreachable(ex, endpoints, protocol):
    sent = ex.send(IPv4(protocol=protocol), Payload(b"nobody speaks this protocol"))
    error = ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
                      ICMPv4(type=ICMP_DEST_UNREACH, code=ICMP_PROT_UNREACH))
    assert error.icmpv4.payload.startswith(quoted(sent, 8))
