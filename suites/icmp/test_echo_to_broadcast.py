"""RFC 1122 3.2.2.6 (MAY): an echo request to an IP broadcast or multicast address may be
silently discarded (the DUT here is expected to make that choice, as RFC 2644 recommends for
directed broadcasts)."""

import pytest

from conformance.author.templates import Ether, ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST

from ..ipv4.addresses import GROUP_DESTINATIONS, group_destinations


@pytest.mark.requirement("RFC1122-3.2.2.6-MAY-ignore-broadcast-echo")
@pytest.mark.parametrize("destination", GROUP_DESTINATIONS)
# (a MAY: Linux does with net.ipv4.icmp_echo_ignore_broadcasts = 1, the default)
@pytest.mark.needs(echo_ignore_broadcasts=True)
def test_echo_to_broadcast_is_discarded(ex, endpoints, destination):
    ip, mac = group_destinations(endpoints)[destination]
    ex.send(Ether(dst=mac), IPv4(dst=ip), ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00490001),
            Payload(b"anyone?"))
    ex.expect_nothing(ICMPv4(type=ICMP_ECHO_REPLY, rest=0x00490001))
