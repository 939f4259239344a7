"""RFC 792 (echo) and RFC 1122 3.2.2: an echo request whose ICMP checksum is wrong is not
processed: no echo reply."""

import pytest

from conformance.author.templates import ICMPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement("RFC792-MUST-checksum")
@pytest.mark.parametrize("checksum", [0x0000, 0x1234, 0xFFFF], ids=lambda c: f"checksum-{c:#06x}")
def test_echo_request_with_bad_checksum_is_dropped(ex, checksum):
    ex.send(ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00480001, checksum=checksum), Payload(b"bad"))
    ex.expect_nothing(ICMPv4(type=ICMP_ECHO_REPLY, rest=0x00480001))
