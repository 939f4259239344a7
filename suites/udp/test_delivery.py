"""RFC 768: a datagram reaches the socket bound to its destination port; a reply comes back."""

import socket

import pytest

from conformance.author.templates import UDP, IPv4, Payload


@pytest.mark.requirement("RFC768-MUST-deliver", "RFC768-MUST-send")
def test_udp_to_bound_socket_is_delivered_and_answered(ex, dut, endpoints):
    fd = dut.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dut.bind(fd, (endpoints.dut_ipv4, 5353))
    ex.send(UDP(src_port=40001, dst_port=5353), Payload(b"question"))
    data, peer = dut.recvfrom(fd, 2048)
    assert data == b"question"
    assert peer == (endpoints.tester_ipv4, 40001)
    dut.sendto(fd, b"answer", peer)
    ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
              UDP(src_port=5353, dst_port=40001), Payload(b"answer"))
