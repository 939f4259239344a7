"""RFC 4301 5.1, 5.2 with RFC 4303: UDP and TCP over ESP both ways (transport and tunnel
mode): what the tester seals is delivered, and the DUT's answer comes back sealed on its SA."""

import pytest

from conformance.author.templates import TCP
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.ipv6 import Ipv6Repr
from reference_stack.wire.tcp import TcpRepr
from suites.ipsec.sas import SPI_FROM_DUT, esp_pair
from suites.ipsec.spd import TCP as IPPROTO_TCP
from suites.ipv4.udp_probe import bound_socket

pytestmark = [pytest.mark.families("ipv4", "ipv6"), pytest.mark.esp,
              pytest.mark.requirement("RFC4301-5.1-MUST-protect-policy",
                                      "RFC4301-5.2-MUST-protected-as-policy")]


@pytest.mark.parametrize("mode", ["transport", "tunnel"])
def test_udp_echo_over_esp(ex, bed, dut, endpoints, family, mode):
    fd = bound_socket(dut, family=family, port=6300)
    tester = esp_pair(bed, ex, family, endpoints, mode=mode)
    if mode == "tunnel":
        tester.send(_inner_datagram(tester, family, b"question"),
                    41 if family.wire == "ipv6" else 4)
    else:
        tester.send_udp(40000, 6300, b"question")
    data, peer = dut.recvfrom(fd, 100)
    assert data == b"question"
    dut.sendto(fd, b"answer", peer)
    got = tester.expect()
    assert got.spi == SPI_FROM_DUT and got.opened is not None
    assert got.opened.payload.endswith(b"answer")


def _inner_datagram(tester, family, data: bytes) -> bytes:
    """Tunnel mode (RFC 4303 3.1.2): the whole inner datagram, tester to DUT."""
    udp = tester.udp(40000, 6300, data)
    if family.wire == "ipv6":
        return Ipv6Repr(tester.tester_ip, tester.dut_ip, 17, udp).emit()
    return Ipv4Repr(tester.tester_ip, tester.dut_ip, 17, udp, ident=1).emit()


def test_tcp_handshake_over_esp(ex, bed, dut, endpoints, family):
    fd = dut.socket(family.socket_family, 1)  # SOCK_STREAM
    dut.bind(fd, (family.wildcard, 6301))
    dut.listen(fd, 4)
    tester = esp_pair(bed, ex, family, endpoints, proto=IPPROTO_TCP)
    syn = TcpRepr(41000, 6301, seq=1000, flags=0x02, window=64240)
    tester.send(syn.emit(tester.tester_ip, tester.dut_ip), IPPROTO_TCP)
    got = tester.expect()
    assert got.opened is not None and got.opened.next_header == IPPROTO_TCP
    syn_ack = TcpRepr.parse(got.opened.payload)
    assert syn_ack.flags & 0x12 == 0x12 and syn_ack.ack == 1001
    ex.expect_nothing(TCP())  # nothing in the clear
