"""RFC 1122 3.2.1.7: a host MUST NOT discard a datagram just because it arrived with a TTL below
2 (TTL matters to routers, not to the final destination), and MUST NOT send a datagram with a
TTL of zero (seen through the answer to an echo request, or to a UDP datagram where the DUT
ignores echo requests: conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.templates import IPv4


@pytest.mark.requirement(
    "RFC1122-3.2.1.7-MUST-not-discard-low-ttl",
    "RFC1122-3.2.1.7-MUST-NOT-send-ttl-zero",
)
@pytest.mark.parametrize("ttl", [0, 1])
def test_datagram_with_low_ttl_is_accepted(ex, endpoints, bed, ttl):
    probe = answered_probe(bed, 0x00520001, b"ttl")
    ex.send(IPv4(ttl=ttl), *probe.request)
    reply = ex.expect(IPv4(src=endpoints.dut_ipv4), *probe.answer, timeout=1.0)
    assert reply.ipv4.ttl > 0
