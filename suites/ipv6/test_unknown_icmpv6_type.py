"""RFC 4443 2.4: an informational message of unknown type is silently discarded (b); an error
message of unknown type goes to the upper layer (a), never answered; an unsolicited Echo Reply
goes to no process."""

import pytest

from conformance.author.templates import ICMPv6, IPv6, Payload
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY


@pytest.mark.requirement("RFC4443-2.4-MUST-discard-unknown-informational")
@pytest.mark.parametrize("icmp_type", [139, 200, 255])
def test_unknown_informational_gets_nothing(ex, icmp_type):
    ex.send(IPv6(), ICMPv6(type=icmp_type, rest=0x12345678), Payload(b"info"))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4443-2.4-MUST-pass-error-to-upper-layer")
@pytest.mark.parametrize("icmp_type", [0, 5, 100, 127])
def test_unknown_error_gets_nothing(ex, icmp_type):
    ex.send(IPv6(), ICMPv6(type=icmp_type), Payload(bytes(48)))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4443-4.2-MUST-echo-reply-to-process")
def test_unsolicited_echo_reply_gets_nothing(ex):
    ex.send(IPv6(), ICMPv6(type=ICMP6_ECHO_REPLY, rest=0x10001), Payload(b"pong"))
    ex.expect_nothing()
