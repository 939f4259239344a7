"""RFC 1122 4.2.3.9 and 3.2.2.1: ICMP Destination Unreachable delivered to TCP. Codes 2-4
(protocol, port, fragmentation needed; 2 and 3 here) are hard errors and SHOULD abort the
connection; codes 0, 1 and 5 are soft errors and MUST NOT abort it, in SYN-SENT as well."""

import errno

import pytest

from reference_stack.wire import tcp as tcpw
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.frame import build_frame
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH
from reference_stack.wire.ipv4 import IPPROTO_TCP, Ipv4Repr

from ..icmp.errors import send_error
from .states import connect_error, reach, start_active_open

HARD = {"protocol-unreachable": (2, errno.ENOPROTOOPT), "port-unreachable": (3, errno.ECONNREFUSED)}
SOFT = {"net-unreachable": 0, "host-unreachable": 1, "source-route-failed": 5}


def _dut_frame(ex, seg) -> bytes:
    """The frame that carried ``seg`` from the DUT (rebuilt: ICMP quotes only its headers)."""
    ep = ex.bed.endpoints
    ip = Ipv4Repr(src=ip4(ep.dut_ipv4), dst=ip4(ep.tester_ipv4), protocol=IPPROTO_TCP)
    return build_frame(mac(ep.dut_mac), mac(ep.tester_mac), ip, seg)


@pytest.mark.requirement(
    "RFC1122-4.2.3.9-SHOULD-abort-on-hard-error",
    "RFC1122-3.2.2.1-MUST-unreachable-to-transport",
)
@pytest.mark.parametrize("error", HARD)
def test_hard_error_aborts_connection_attempt(ex, dut, endpoints, error):
    code, expected_errno = HARD[error]
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    send_error(ex, ICMP_DEST_UNREACH, code, _dut_frame(ex, syn))
    conn.expect_nothing()
    assert connect_error(dut, fd) == expected_errno


@pytest.mark.requirement("RFC1122-4.2.3.9-MUST-soft-error")
@pytest.mark.parametrize("error", SOFT)
def test_soft_error_does_not_abort_connection_attempt(ex, dut, endpoints, error):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    send_error(ex, ICMP_DEST_UNREACH, SOFT[error], _dut_frame(ex, syn), src=endpoints.spare_ipv4[0])
    conn.expect_nothing()
    conn.send(flags="SA")
    reply = conn.expect(flags=None)  # whatever the DUT answers the SYN-ACK with
    assert reply.flags == tcpw.ACK and reply.ack == conn.snd_nxt, (
        f"the connection attempt was aborted: the SYN-ACK got {reply.summary()}")
    assert connect_error(dut, fd) == 0


def _unacked_data(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"in flight")
    return peer, peer.conn.expect_data(b"in flight")


@pytest.mark.requirement("RFC1122-4.2.3.9-MUST-soft-error")
@pytest.mark.parametrize("error", SOFT)
def test_soft_error_does_not_abort_connection(ex, dut, endpoints, error):
    peer, seg = _unacked_data(ex, dut, endpoints)
    send_error(ex, ICMP_DEST_UNREACH, SOFT[error], _dut_frame(ex, seg), src=endpoints.spare_ipv4[0])
    peer.conn.ack()
    peer.send(b"still connected", flags="PA", advance=True)
    peer.expect_ack()
    assert dut.recv(peer.fd, 100) == b"still connected"


@pytest.mark.requirement(
    "RFC1122-4.2.3.9-SHOULD-abort-on-hard-error",
    "RFC1122-3.2.2.1-MUST-unreachable-to-transport",
)
@pytest.mark.parametrize("error", HARD)
def test_hard_error_aborts_connection(ex, dut, endpoints, error):
    code, expected_errno = HARD[error]
    peer, seg = _unacked_data(ex, dut, endpoints)
    send_error(ex, ICMP_DEST_UNREACH, code, _dut_frame(ex, seg))
    peer.conn.expect_nothing()
    value, err = dut.recv_with_errno(peer.fd, 100, 0)
    assert err == expected_errno, f"recv gave {value!r}, errno {err}"
