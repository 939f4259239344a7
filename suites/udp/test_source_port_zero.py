"""RFC 768: the source port is optional; zero means "not used", and the datagram is still
delivered to the socket bound to its destination port."""

import socket

import pytest

from conformance.author.templates import UDP, Payload


@pytest.mark.requirement(
    "RFC768-MAY-source-port-zero",
    "RFC768-MUST-deliver",
)
def test_datagram_with_source_port_zero_is_delivered(ex, dut, endpoints):
    fd = dut.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dut.bind(fd, ("0.0.0.0", 5353))
    ex.send(UDP(src_port=0, dst_port=5353), Payload(b"from port zero"))
    data, peer = dut.recvfrom(fd, 100)
    assert (data, peer) == (b"from port zero", (endpoints.tester_ipv4, 0))
