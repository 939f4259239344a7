"""RFC 1122 3.2.1.6: the Type-of-Service octet is passed up, never a reason to drop: datagrams
with any TOS (DSCP and ECN bits) are accepted (seen through the answer to an echo request, or
to a UDP datagram where the DUT ignores echo requests: conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.templates import IPv4


@pytest.mark.requirement("RFC1122-3.2.1.6-MUST-tos-passed", "RFC1122-3.2.2.6-MUST-echo-reply")
@pytest.mark.parametrize("tos", [0x10, 0xB8, 0x02, 0xFF], ids=lambda t: f"tos-{t:#04x}")
def test_datagram_with_any_tos_is_accepted(ex, endpoints, bed, tos):
    probe = answered_probe(bed, 0x00470001, b"tos")
    ex.send(IPv4(tos=tos), *probe.request)
    ex.expect(IPv4(src=endpoints.dut_ipv4), *probe.answer)
