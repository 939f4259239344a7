"""RFC 1122 3.2.2.6 (MAY): an echo request to an IP broadcast or multicast address may be
silently discarded (the DUT here is expected to make that choice, as RFC 2644 recommends for
directed broadcasts)."""

import ipaddress

import pytest

from conformance.templates import Ether, ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement("RFC1122-3.2.2.6-MAY-discard-broadcast-echo")
@pytest.mark.parametrize("destination", ["limited-broadcast", "directed-broadcast", "all-hosts"])
def test_echo_to_broadcast_is_discarded(ex, endpoints, destination):
    net = ipaddress.ip_interface(f"{endpoints.dut_ipv4}/{endpoints.ipv4_prefix_len}").network
    ip, mac = {
        "limited-broadcast": ("255.255.255.255", "ff:ff:ff:ff:ff:ff"),
        "directed-broadcast": (str(net.broadcast_address), "ff:ff:ff:ff:ff:ff"),
        "all-hosts": ("224.0.0.1", "01:00:5e:00:00:01"),
    }[destination]
    ex.send(Ether(dst=mac), IPv4(dst=ip), ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00490001),
            Payload(b"anyone?"))
    ex.expect_nothing(ICMPv4(type=ICMP_ECHO_REPLY, rest=0x00490001))
