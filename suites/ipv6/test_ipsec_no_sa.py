"""RFC 4302 3.4.2 / RFC 4303 3.4.2: a packet protected by AH or ESP for which the receiver has
no Security Association is discarded: what it carries is not processed (no answer to an echo
request, or where the DUT ignores echo requests to a datagram to a closed port:
conformance/author/answered.py). What else a host says (Linux without the ah6/esp6 modules: a
Parameter Problem code 1, as for any Next Header it has no handler for) the oracle judges."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.family import IPV6
from conformance.author.templates import ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY
from reference_stack.wire.ipv6 import IPPROTO_ESP
from reference_stack.wire.ipv6_ext import Ipv6Ah


@pytest.mark.requirement("RFC4303-3.4.2-MUST-discard-no-sa")
@pytest.mark.parametrize("spi", [0x100, 0xFFFFFFFF])
def test_ah_without_sa_is_not_processed(ex, bed, spi):
    probe = answered_probe(bed, 0x10001, b"protected", IPV6)
    ex.send(IPv6(), IPv6Ext(Ipv6Ah(probe.protocol, spi, 1, bytes(12))), *probe.request)
    ex.expect_nothing(probe.answer[0])


@pytest.mark.requirement("RFC4303-3.4.2-MUST-discard-no-sa")
def test_esp_without_sa_gets_no_echo_reply(ex):
    ex.send(IPv6(next_header=IPPROTO_ESP), Payload(bytes.fromhex("00000100") + bytes(28)))
    ex.expect_nothing(ICMPv6(type=ICMP6_ECHO_REPLY))
