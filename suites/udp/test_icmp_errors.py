"""RFC 1122 4.1.3.3 and 3.2.2.1: UDP passes the ICMP errors it receives to the application: a
Destination Unreachable about a datagram a connected socket sent makes its next call fail with
the matching error (port unreachable: ECONNREFUSED)."""

import errno
import socket

import pytest

from conformance.author.templates import UDP, IPv4
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH

from ..icmp.errors import send_error

CODES = {
    "port-unreachable": (3, errno.ECONNREFUSED),
    "protocol-unreachable": (2, errno.ENOPROTOOPT),
    "net-unreachable": (0, errno.ENETUNREACH),
    "host-unreachable": (1, errno.EHOSTUNREACH),
}


@pytest.mark.requirement(
    "RFC1122-4.1.3.3-MUST-pass-icmp-to-application",
    "RFC1122-3.2.2.1-MUST-unreachable-to-transport",
)
@pytest.mark.parametrize("error", CODES)
def test_unreachable_is_reported_to_connected_socket(ex, dut, endpoints, error):
    code, expected = CODES[error]
    fd = dut.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dut.bind(fd, (endpoints.dut_ipv4, 5300))
    dut.connect(fd, (endpoints.tester_ipv4, 40007))
    dut.send(fd, b"anyone there?")
    sent = ex.expect(IPv4(src=endpoints.dut_ipv4), UDP(src_port=5300, dst_port=40007))
    send_error(ex, ICMP_DEST_UNREACH, code, sent.eth.emit())
    ex.expect_nothing()
    value, err = dut.recv_with_errno(fd, 100, 0)
    assert err == expected, f"recv gave {value!r}, errno {errno.errorcode.get(err, err)}"
