"""RFC 792 (introduction) and RFC 1122 3.2.2: ICMP errors are only sent about fragment zero. A
fragmented UDP datagram to a closed port elicits one Port Unreachable (about the datagram, once
reassembled), not one per fragment; lone non-initial fragments elicit none."""

import pytest

from conformance.author.templates import UDP, ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ICMP_PROT_UNREACH

from ..ipv4.fragments import fragment, send_all

DATA = bytes(range(200)) * 4
PIECES = [(0, 320), (320, 640), (640, 808)]


@pytest.mark.requirement("RFC1122-3.2.2-MUST-NOT-error-non-first-fragment",
                         "RFC792-MUST-NOT-error-about-non-first-fragment",
                         "RFC792-MUST-port-unreachable-code-3")
def test_fragmented_datagram_to_closed_port_gets_one_error(ex, endpoints):
    frames = fragment(ex, (UDP(src_port=40000, dst_port=9), Payload(DATA)), PIECES)
    send_all(ex, frames)
    ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=ICMP_DEST_UNREACH, code=ICMP_PORT_UNREACH))
    ex.expect_nothing(ICMPv4())


@pytest.mark.requirement("RFC1122-3.2.2-MUST-NOT-error-non-first-fragment",
                         "RFC792-MUST-NOT-error-about-non-first-fragment")
@pytest.mark.parametrize("protocol", ["udp-closed-port", "unknown-protocol"])
def test_non_initial_fragments_alone_get_no_error(ex, protocol):
    if protocol == "udp-closed-port":
        layers = (UDP(src_port=40000, dst_port=9), Payload(DATA))
    else:
        layers = (IPv4(protocol=253), Payload(DATA))
    frames = fragment(ex, layers, PIECES)
    send_all(ex, frames[1:])
    ex.expect_nothing(ICMPv4(type=ICMP_DEST_UNREACH, code=lambda c: c in (ICMP_PORT_UNREACH,
                                                                           ICMP_PROT_UNREACH)))
