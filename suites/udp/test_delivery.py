"""RFC 768: a datagram reaches the socket bound to its destination port; a reply comes back
(over IPv6 too, RFC 8200 8.1, and to a dual-stack socket from an IPv4-mapped peer)."""

import socket

import pytest

from conformance.author.templates import UDP, Payload

pytestmark = pytest.mark.families()


@pytest.mark.requirement("RFC768-MUST-deliver", "RFC768-MUST-send")
def test_udp_to_bound_socket_is_delivered_and_answered(ex, dut, endpoints, family):
    fd = dut.socket(family.socket_family, socket.SOCK_DGRAM)
    dut.bind(fd, (family.dut_host(endpoints), 5353))
    ex.send(family.ip(), UDP(src_port=40001, dst_port=5353), Payload(b"question"))
    data, peer = dut.recvfrom(fd, 2048)
    assert data == b"question"
    assert peer == family.peer(endpoints, 40001)
    dut.sendto(fd, b"answer", peer)
    ex.expect(family.ip(src=family.dut_ip(endpoints), dst=family.tester_ip(endpoints)),
              UDP(src_port=5353, dst_port=40001), Payload(b"answer"))
