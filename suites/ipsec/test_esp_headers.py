"""Where ESP sits among the IP headers: RFC 4303 3.1.1 puts it after the IPv6 extension
headers that come before it (a Destination Options header may precede it), and RFC 4303
3.4.1 reassembles a fragmented ESP packet before processing it (fragments before ESP)."""

import pytest

from conformance.author.templates import IPv4, IPv6, Payload
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS
from reference_stack.wire.ipv6_ext import Ipv6Fragment, Ipv6OptionsHeader
from suites.ipsec.sas import esp_pair
from suites.ipv4.udp_probe import bound_socket, received

pytestmark = pytest.mark.esp
PORT = 6400
IPPROTO_ESP, IPPROTO_FRAGMENT = 50, 44
DATA = b"in pieces " * 12  # an ESP packet of some 160 octets: three fragments of 64


@pytest.mark.requirement("RFC4303-3.1.1-MUST-transport-mode")
@pytest.mark.families("ipv6")
def test_esp_after_a_destination_options_header(ex, bed, dut, endpoints, family):
    fd = bound_socket(dut, family=family, port=PORT)
    tester = esp_pair(bed, ex, family, endpoints)
    packet = tester.to_dut.seal(tester.udp(40000, PORT, b"after options"), 17)
    options = Ipv6OptionsHeader(IPPROTO_DSTOPTS, IPPROTO_ESP).emit()
    ex.send(IPv6(next_header=IPPROTO_DSTOPTS), Payload(options + packet))
    ex.expect_nothing()
    assert received(dut, fd) == b"after options"


def _pieces(packet: bytes, size: int = 64) -> list[tuple[int, bytes, bool]]:
    return [(start, packet[start:start + size], start + size < len(packet))
            for start in range(0, len(packet), size)]


@pytest.mark.requirement("RFC4303-3.4.1-MUST-reassemble-before-processing")
@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.parametrize("order", ["in-order", "reversed"])
def test_fragmented_esp_packet_is_reassembled_then_processed(ex, bed, dut, endpoints, family,
                                                             order):
    fd = bound_socket(dut, family=family, port=PORT)
    tester = esp_pair(bed, ex, family, endpoints)
    packet = tester.to_dut.seal(tester.udp(40000, PORT, DATA), 17)
    pieces = _pieces(packet)
    if order == "reversed":
        pieces.reverse()
    for start, part, more in pieces:
        if family.wire == "ipv6":
            header = Ipv6Fragment(IPPROTO_ESP, start // 8, more, 0x4E43).emit()
            ex.send(IPv6(next_header=IPPROTO_FRAGMENT), Payload(header + part))
        else:
            ex.send(IPv4(protocol=IPPROTO_ESP, ident=0x4E43, frag_offset=start // 8, mf=more),
                    Payload(part))
    ex.expect_nothing()
    assert received(dut, fd) == DATA
