"""RFC 768: the Length field counts header and data (minimum 8). A datagram whose Length
exceeds what IP carries, or is below 8, is discarded; octets IP carries beyond Length are not
part of the datagram."""

import pytest

from conformance.author.templates import UDP, ICMPv4, Payload

from ..ipv4.udp_probe import PROBE_PORT as PORT
from ..ipv4.udp_probe import bound_socket

DATA = b"sixteen octets.."


@pytest.mark.requirement("RFC768-MUST-length")
@pytest.mark.parametrize("length", [0, 7, 8 + len(DATA) + 1, 0xFFFF],
                         ids=["zero", "below-header", "one-beyond-ip", "max"])
def test_impossible_length_is_discarded(ex, dut, length):
    fd = bound_socket(dut)
    ex.send(UDP(src_port=40000, dst_port=PORT, length=length, checksum=0), Payload(DATA))
    ex.expect_nothing(ICMPv4())
    value, err = dut.recvfrom_with_errno(fd, 100, 0)
    assert err != 0, f"delivered a datagram with length field {length}: {value!r}"


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC768-MUST-length")
def test_octets_beyond_length_are_not_data(ex, dut, family):
    fd = bound_socket(dut, family=family)
    ex.send(family.ip(), UDP(src_port=40000, dst_port=PORT, length=8 + 6), Payload(DATA))
    assert dut.recvfrom(fd, 100)[0] == DATA[:6]
