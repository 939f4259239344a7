"""RFC 1122 3.2.2.6 / RFC 792: an echo request is answered with the same id, sequence and data."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement(
    "RFC1122-3.2.2.6-MUST-echo-reply",
    "RFC1122-3.2.2.6-MUST-echo-data-returned",
    "RFC792-MUST-return-identifier-and-sequence",
)
@pytest.mark.parametrize("size", [0, 56, 1400], ids=lambda n: f"{n}B")
@pytest.mark.needs(echo_ignore_all=False)  # (an echo request answered: RFC 1122 3.2.2.6)
def test_echo_reply_mirrors_id_sequence_and_data(ex, endpoints, bed, size):
    path = bed.oracle_profile.route4.mtu or bed.oracle_profile.mtu
    if 28 + size > path:
        pytest.skip(f"the DUT's route has mtu {path}: a {28 + size}-octet reply leaves in "
                    "fragments (RFC 791 3.2), not as the one datagram this test expects")
    ident_seq = (0x4E43 << 16) | 0x0007
    data = bytes(i & 0xFF for i in range(size))
    ex.send(ICMPv4(type=ICMP_ECHO_REQUEST, rest=ident_seq), Payload(data))
    ex.expect(
        IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
        ICMPv4(type=ICMP_ECHO_REPLY, code=0, rest=ident_seq),
        Payload(data),
    )
