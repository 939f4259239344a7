"""RFC 8200 3 and RFC 4291: a packet with a version other than 6, a payload length beyond the
packet, a multicast or loopback source, or a destination that is none of the host's addresses
and groups is discarded: what it carries, one the DUT would otherwise answer (an echo request,
or where the DUT ignores echo requests a datagram to a closed port:
conformance/author/answered.py), gets no answer."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.family import IPV6
from conformance.author.templates import IPv6

from .addresses import spare

# A packet to or from a group draws no error (RFC 4443 2.4(e.3), (e.5)): only the echo would be
# answered, so where the DUT ignores echo requests these cases could not fail.
ECHO = pytest.mark.needs(echo6_ignore_all=False)


@pytest.mark.requirement("RFC8200-3-MUST-version-6")
@pytest.mark.parametrize("version", [4, 5, 7, 15])
def test_other_version_gets_nothing(ex, bed, version):
    ex.send(IPv6(version=version), *answered_probe(bed, 1, b"v", IPV6).request)
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-3-MUST-payload-length")
@pytest.mark.parametrize("extra", [1, 100])
def test_payload_length_beyond_the_packet_gets_nothing(ex, bed, extra):
    ex.send(IPv6(payload_length=8 + 4 + extra), *answered_probe(bed, 2, b"long", IPV6).request)
    ex.expect_nothing()


@pytest.mark.requirement("RFC4291-2.7-MUST-NOT-multicast-source")
@pytest.mark.parametrize("src", [pytest.param("ff02::1", marks=ECHO),
                                 pytest.param("ff0e::5", marks=ECHO), "::1"])
def test_multicast_or_loopback_source_gets_nothing(ex, bed, src):
    ex.send(IPv6(src=src), *answered_probe(bed, 3, b"src", IPV6).request)
    ex.expect_nothing()


@pytest.mark.requirement("RFC4291-2.8-MUST-dst-not-ours")
@pytest.mark.parametrize("dst", ["on-link", pytest.param("ff02::2", marks=ECHO),
                                 pytest.param("ff02::1:ff00:99", marks=ECHO),
                                 pytest.param("ff05::1", marks=ECHO)])
def test_destination_not_ours_gets_nothing(ex, bed, endpoints, dst):
    if dst == "on-link":
        dst = spare(endpoints, 0x99)
    ex.send(IPv6(dst=dst), *answered_probe(bed, 4, b"dst", IPV6).request)
    ex.expect_nothing()


@pytest.mark.requirement("RFC4291-2.8-MUST-dst-not-ours")
@pytest.mark.parametrize("dst", ["2001:db8:ffff::1", "2001:db8:abcd:1::5"])
def test_off_link_destination_gets_no_echo_reply(ex, bed, dst):
    """A host does not forward: no answer to what the packet carries. (A host that routes the
    packet and finds no route may say so with a Destination Unreachable, as Linux does; the
    oracle judges it.)"""
    probe = answered_probe(bed, 5, b"dst", IPV6)
    ex.send(IPv6(dst=dst), *probe.request)
    ex.expect_nothing(probe.answer[0])
