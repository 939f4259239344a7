"""RFC 8200 3 and RFC 4291: a packet with a version other than 6, a payload length beyond the
packet, a multicast or loopback source, or a destination that is none of the host's addresses
and groups is discarded: an echo request in it gets no reply."""

import pytest

from conformance.author.templates import ICMPv6, IPv6, Payload
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST

from .addresses import spare


@pytest.mark.requirement("RFC8200-3-MUST-version-6")
@pytest.mark.parametrize("version", [4, 5, 7, 15])
def test_other_version_gets_nothing(ex, version):
    ex.send(IPv6(version=version), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=1), Payload(b"v"))
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-3-MUST-payload-length")
@pytest.mark.parametrize("extra", [1, 100])
def test_payload_length_beyond_the_packet_gets_nothing(ex, extra):
    ex.send(IPv6(payload_length=8 + 4 + extra), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=2),
            Payload(b"long"))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4291-2.7-MUST-NOT-multicast-source")
@pytest.mark.parametrize("src", ["ff02::1", "ff0e::5", "::1"])
def test_multicast_or_loopback_source_gets_nothing(ex, src):
    ex.send(IPv6(src=src), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=3), Payload(b"src"))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4291-2.8-MUST-dst-not-ours")
@pytest.mark.parametrize("dst", ["on-link", "ff02::2", "ff02::1:ff00:99", "ff05::1"])
def test_destination_not_ours_gets_nothing(ex, endpoints, dst):
    if dst == "on-link":
        dst = spare(endpoints, 0x99)
    ex.send(IPv6(dst=dst), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=4), Payload(b"dst"))
    ex.expect_nothing()


@pytest.mark.requirement("RFC4291-2.8-MUST-dst-not-ours")
@pytest.mark.parametrize("dst", ["2001:db8:ffff::1", "2001:db8:abcd:1::5"])
def test_off_link_destination_gets_no_echo_reply(ex, dst):
    """A host does not forward: no echo reply. (A host that routes the packet and finds no
    route may say so with a Destination Unreachable, as Linux does; the oracle judges it.)"""
    ex.send(IPv6(dst=dst), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=5), Payload(b"dst"))
    ex.expect_nothing(ICMPv6(type=ICMP6_ECHO_REPLY))
