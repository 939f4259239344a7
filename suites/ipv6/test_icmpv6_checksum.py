"""RFC 4443 2.3: the ICMPv6 checksum covers the RFC 8200 8.1 pseudo-header and the message: a
request whose checksum does not verify is not answered; one whose checksum covers other
addresses (a pseudo-header of IPv4 style or the wrong destination) does not verify either.

The request is one the DUT answers when its checksum verifies: an Echo Request (RFC 4443 4.1),
or where the DUT ignores echo requests (conformance.author.answered.ignores_echo) a Neighbor
Solicitation for its address, whose checksum RFC 4861 7.1.1 also makes it check."""

import pytest

from conformance.author.answered import ignores_echo
from conformance.author.family import IPV6
from conformance.author.templates import ICMPv6, IPv6, Payload
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6
from reference_stack.wire.icmpv6 import (
    ICMP6_ECHO_REPLY,
    ICMP6_ECHO_REQUEST,
    ND_NEIGHBOR_ADVERT,
    Icmpv6Repr,
)

from .nd import ND_HOP_LIMIT, sll


def answered_request(bed, endpoints, ident_seq, data):
    """(the request as an ICMPv6 message without its checksum, its IPv6 layer, the type of the
    DUT's answer to it)."""
    if ignores_echo(bed, IPV6):
        ns = ndp.NeighborSolicit(ip6(endpoints.dut_ipv6), sll(endpoints)).to_icmp()
        return ns, IPv6(hop_limit=ND_HOP_LIMIT), ND_NEIGHBOR_ADVERT
    return Icmpv6Repr(ICMP6_ECHO_REQUEST, 0, ident_seq, data), IPv6(), ICMP6_ECHO_REPLY


def send_with_checksum(ex, request, ip, checksum):
    ex.send(ip, ICMPv6(type=request.type, code=request.code, rest=request.rest,
                       checksum=checksum), Payload(request.payload))


@pytest.mark.requirement("RFC4443-2.3-MUST-checksum")
@pytest.mark.parametrize("checksum", [0x0000, 0x0001, 0xFFFF])
def test_request_with_bad_checksum_gets_nothing(ex, bed, endpoints, checksum):
    request, ip, answer = answered_request(bed, endpoints, 0x10001, b"bad sum")
    send_with_checksum(ex, request, ip, checksum)
    ex.expect_nothing(ICMPv6(type=answer))


@pytest.mark.requirement("RFC4443-2.3-MUST-checksum", "RFC8200-8.1-MUST-pseudo-header")
def test_checksum_over_another_destination_gets_nothing(ex, bed, endpoints):
    request, ip, answer = answered_request(bed, endpoints, 0x10002, b"x")
    wrong = request.emit(ip6(endpoints.tester_ipv6), ip6("2001:db8::dead"))
    send_with_checksum(ex, request, ip, int.from_bytes(wrong[2:4], "big"))
    ex.expect_nothing(ICMPv6(type=answer))


@pytest.mark.requirement("RFC4443-2.3-MUST-checksum")
def test_request_with_its_checksum_is_answered(ex, bed, endpoints):
    """The control: the same request with the checksum over its own addresses is answered, so
    the tests above see a verdict, not a request the DUT would never answer."""
    request, ip, answer = answered_request(bed, endpoints, 0x10003, b"good sum")
    right = request.emit(ip6(endpoints.tester_ipv6), ip6(endpoints.dut_ipv6))
    send_with_checksum(ex, request, ip, int.from_bytes(right[2:4], "big"))
    ex.expect(ICMPv6(type=answer))
