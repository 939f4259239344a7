"""RFC 4302 3.4.2 / RFC 4303 3.4.2: a packet protected by AH or ESP for which the receiver has
no Security Association is discarded: what it carries is not processed (no echo reply). What
else a host says (Linux without the ah6/esp6 modules: a Parameter Problem code 1, as for any
Next Header it has no handler for) the oracle judges."""

import pytest

from conformance.author.templates import ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST
from reference_stack.wire.ipv6 import IPPROTO_ESP, IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6Ah


@pytest.mark.requirement("RFC4303-3.4.2-MUST-discard-no-sa")
@pytest.mark.parametrize("spi", [0x100, 0xFFFFFFFF])
def test_ah_without_sa_is_not_processed(ex, spi):
    ex.send(IPv6(), IPv6Ext(Ipv6Ah(IPPROTO_ICMPV6, spi, 1, bytes(12))),
            ICMPv6(type=ICMP6_ECHO_REQUEST, rest=0x10001), Payload(b"protected"))
    ex.expect_nothing(ICMPv6(type=ICMP6_ECHO_REPLY))


@pytest.mark.requirement("RFC4303-3.4.2-MUST-discard-no-sa")
def test_esp_without_sa_gets_no_echo_reply(ex):
    ex.send(IPv6(next_header=IPPROTO_ESP), Payload(bytes.fromhex("00000100") + bytes(28)))
    ex.expect_nothing(ICMPv6(type=ICMP6_ECHO_REPLY))
