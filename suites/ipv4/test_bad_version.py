"""RFC 1122 3.2.1.1: a datagram whose version is not 4 is silently discarded."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REQUEST


@pytest.mark.requirement("RFC1122-3.2.1.1-MUST-version")
@pytest.mark.parametrize("version", [0, 5, 6, 15])
def test_ipv4_version_not_4_is_dropped(ex, bed, version):
    ex.send(IPv4(version=version), ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00010001),
            Payload(b"x"))
    ex.expect_nothing()
    if bed.drop_reasons is not None:
        assert bed.drop_reasons(), "the kernel recorded no drop for the frame"
