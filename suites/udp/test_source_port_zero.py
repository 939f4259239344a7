"""RFC 768: the source port is optional; zero means "not used", and the datagram is still
delivered to the socket bound to its destination port."""

import socket

import pytest

from conformance.author.templates import UDP, Payload

pytestmark = pytest.mark.families()


@pytest.mark.requirement(
    "RFC768-MAY-source-port-zero",
    "RFC768-MUST-deliver",
)
def test_datagram_with_source_port_zero_is_delivered(ex, dut, endpoints, family):
    fd = dut.socket(family.socket_family, socket.SOCK_DGRAM)
    dut.bind(fd, (family.wildcard, 5353))
    ex.send(family.ip(), UDP(src_port=0, dst_port=5353), Payload(b"from port zero"))
    data, peer = dut.recvfrom(fd, 100)
    assert (data, peer) == (b"from port zero", family.peer(endpoints, 0))
