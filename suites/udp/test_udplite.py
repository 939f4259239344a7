"""RFC 1122 3.2.2.1 and 4.1.3.1 with RFC 3828 (UDP-Lite, IP protocol 136): a host that does not
run UDP-Lite answers a datagram of protocol 136 with Protocol Unreachable; a host that does
validates it (a checksum coverage of 1 to 7 octets or past the datagram, a zero checksum and
a bad checksum are silently discarded, RFC 3828 3.1-3.2) and answers a valid one to a port
without a socket with Port Unreachable. Either way the error quotes the datagram's header and
at least 8 octets; which of the two the target sends is its profile's (the lockstep oracle
checks it: Linux registers UDP-Lite, udplite_rcv)."""

import struct

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.addr import ip4
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ICMP_PROT_UNREACH

from ..icmp.errors import quoted

IPPROTO_UDPLITE = 136
DATA = b"lightweight datagram"


def udplite(src: str, dst: str, coverage: int, checksum: int | None = None) -> bytes:
    """A UDP-Lite datagram from port 40000 to port 9 (RFC 3828 3.1: source and destination
    ports, checksum coverage, checksum), its checksum over the covered octets and the
    pseudo-header unless ``checksum`` is given."""
    dgram = struct.pack("!HHHH", 40000, 9, coverage, 0) + DATA
    if checksum is None:
        covered = dgram[:coverage or len(dgram)]
        checksum = internet_checksum(covered, pseudo_header_sum(
            ip4(src), ip4(dst), IPPROTO_UDPLITE, len(dgram)))
    return dgram[:6] + struct.pack("!H", checksum) + dgram[8:]


VALID = {"whole-datagram": 0, "header-only": 8, "part-of-data": 12,
         "exactly-the-datagram": 8 + len(DATA)}
INVALID = {"coverage-4": (4, None), "coverage-past-datagram": (8 + len(DATA) + 1, None),
           "zero-checksum": (0, 0), "bad-checksum": (0, 0x1234)}


@pytest.mark.requirement("RFC1122-4.1.3.1-SHOULD-port-unreachable",
                         "RFC1122-3.2.2.1-SHOULD-protocol-unreachable",
                         "RFC1122-3.2.2-MUST-quote-header-and-8-octets")
@pytest.mark.parametrize("coverage", VALID.values(), ids=VALID.keys())
def test_valid_udplite_datagram_gets_an_unreachable(ex, endpoints, coverage):
    dgram = udplite(endpoints.tester_ipv4, endpoints.dut_ipv4, coverage)
    sent = ex.send(IPv4(protocol=IPPROTO_UDPLITE), Payload(dgram))
    error = ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
                      ICMPv4(type=ICMP_DEST_UNREACH))
    assert error.icmpv4.code in (ICMP_PROT_UNREACH, ICMP_PORT_UNREACH), error.icmpv4.summary()
    assert error.icmpv4.payload.startswith(quoted(sent, 8))


@pytest.mark.requirement("RFC1122-4.1.3.1-SHOULD-port-unreachable",
                         "RFC3828-3.1-MUST-discard-illegal-coverage",
                         "RFC3828-3.1-MUST-checksum-mandatory",
                         "RFC3828-3.2-MUST-discard-bad-checksum")
@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_invalid_udplite_datagram_gets_no_port_unreachable(ex, endpoints, case):
    coverage, checksum = case
    dgram = udplite(endpoints.tester_ipv4, endpoints.dut_ipv4, coverage, checksum)
    ex.send(IPv4(protocol=IPPROTO_UDPLITE), Payload(dgram))
    ex.expect_nothing(ICMPv4(type=ICMP_DEST_UNREACH, code=ICMP_PORT_UNREACH))


@pytest.mark.requirement("RFC3828-3.1-MUST-header")
def test_udplite_datagram_shorter_than_its_header_gets_no_port_unreachable(ex, endpoints):
    dgram = udplite(endpoints.tester_ipv4, endpoints.dut_ipv4, 0)[:6]  # no checksum field
    ex.send(IPv4(protocol=IPPROTO_UDPLITE), Payload(dgram))
    ex.expect_nothing(ICMPv4(type=ICMP_DEST_UNREACH, code=ICMP_PORT_UNREACH))
