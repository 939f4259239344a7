"""RFC 4443 2.3: the ICMPv6 checksum covers the RFC 8200 8.1 pseudo-header and the message: a
request whose checksum does not verify is not answered; one whose checksum covers other
addresses (a pseudo-header of IPv4 style or the wrong destination) does not verify either."""

import pytest

from conformance.author.templates import ICMPv6, IPv6, Payload
from reference_stack.wire.addr import ip6
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, Icmpv6Repr


@pytest.mark.requirement("RFC4443-2.3-MUST-checksum")
@pytest.mark.parametrize("checksum", [0x0000, 0x0001, 0xFFFF])
def test_echo_with_bad_checksum_gets_nothing(ex, checksum):
    ex.send(IPv6(), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=0x10001, checksum=checksum),
            Payload(b"bad sum"))
    ex.expect_nothing(ICMPv6(type=ICMP6_ECHO_REPLY))


@pytest.mark.requirement("RFC4443-2.3-MUST-checksum", "RFC8200-8.1-MUST-pseudo-header")
def test_checksum_over_another_destination_gets_nothing(ex, endpoints):
    wrong = Icmpv6Repr(ICMP6_ECHO_REQUEST, 0, 0x10002, b"x").emit(
        ip6(endpoints.tester_ipv6), ip6("2001:db8::dead"))
    checksum = int.from_bytes(wrong[2:4], "big")
    ex.send(IPv6(), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=0x10002, checksum=checksum),
            Payload(b"x"))
    ex.expect_nothing(ICMPv6(type=ICMP6_ECHO_REPLY))
