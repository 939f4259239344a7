"""RFC 1122 4.2.3.9 and 3.2.2.1: ICMP Destination Unreachable delivered to TCP. Codes 2-4
(protocol, port, fragmentation needed; 2 and 3 here) are hard errors and SHOULD abort the
connection; codes 0, 1 and 5 are soft errors and MUST NOT abort it, in SYN-SENT as well.

Over IPv6 (RFC 4443 3.1: a Destination Unreachable MUST be passed to the upper layer; RFC 9293
3.9.2.2 names the soft ICMPv6 errors: Destination Unreachable codes 0 and 3), the same cases:
no route (0) and address unreachable (3) are the soft errors, port unreachable (4) and the
Parameter Problem of an unrecognised Next Header (RFC 4443 3.4 code 1, IPv6's protocol
unreachable) the hard ones. ICMPv6 has no source-route-failed code: that case is IPv4's."""

import errno

import pytest

from conformance.author.before_bed import before_bed
from conformance.author.templates import ICMPv6, IPv6, Payload
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.addr import ip4, ip6, mac
from reference_stack.wire.frame import build_frame, build_frame_v6
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH
from reference_stack.wire.icmpv6 import (
    ICMP6_DST_UNREACH,
    ICMP6_PARAM_PROB,
    PARAM_NEXT_HEADER,
    UNREACH_ADDR,
    UNREACH_NO_ROUTE,
    UNREACH_PORT,
)
from reference_stack.wire.ipv4 import IPPROTO_TCP, Ipv4Repr
from reference_stack.wire.ipv6 import MIN_MTU, Ipv6Repr

from ..icmp.errors import send_error
from ..ipv6.addresses import spare
from .states import connect_error, reach, start_active_open

# name -> (type, code) per wire family, and the errno a hard error ends the connection with
HARD = {"protocol-unreachable": errno.ENOPROTOOPT, "port-unreachable": errno.ECONNREFUSED}
SOFT = ("net-unreachable", "host-unreachable", "source-route-failed")
ERRORS = {
    "ipv4": {"protocol-unreachable": (ICMP_DEST_UNREACH, 2),
             "port-unreachable": (ICMP_DEST_UNREACH, 3),
             "net-unreachable": (ICMP_DEST_UNREACH, 0),
             "host-unreachable": (ICMP_DEST_UNREACH, 1),
             "source-route-failed": (ICMP_DEST_UNREACH, 5)},
    "ipv6": {"protocol-unreachable": (ICMP6_PARAM_PROB, PARAM_NEXT_HEADER),
             "port-unreachable": (ICMP6_DST_UNREACH, UNREACH_PORT),
             "net-unreachable": (ICMP6_DST_UNREACH, UNREACH_NO_ROUTE),
             "host-unreachable": (ICMP6_DST_UNREACH, UNREACH_ADDR)},
}
# Linux icmpv6_err_convert: a Parameter Problem is EPROTO (IPv4's protocol unreachable:
# ENOPROTOOPT, icmp_err_convert).
ERRNO6 = {"protocol-unreachable": errno.EPROTO}
NEXT_HEADER_AT = 6  # the quoted IPv6 header's Next Header field (RFC 8200 3)


def _code(wire: str, name: str) -> tuple[int, int]:
    """(type, code) of the error ``name`` in family ``wire``; a case the family has no
    message for is skipped."""
    codes = ERRORS[wire]
    if name not in codes:
        pytest.skip(f"ICMPv6 has no {name} code (RFC 4443 3.1)")
    return codes[name]


def _error(ex, name: str) -> tuple[int, int]:
    return _code(ex.family.wire, name)


def _family_has_the_error(bed) -> None:
    """Before the test's bed is made (conformance.author.before_bed): its error is one its
    family has."""
    _code(bed.params["family"].wire, bed.params["error"])


# (every test sends the error of its parameter: one its family has, or skipped before its bed)
pytestmark = [pytest.mark.families("ipv4", "ipv6"), before_bed(_family_has_the_error)]


def _errno(ex, name: str) -> int:
    return ERRNO6.get(name, HARD[name]) if ex.family.wire == "ipv6" else HARD[name]


def _dut_frame(ex, seg) -> bytes:
    """The frame that carried ``seg`` from the DUT (rebuilt: ICMP quotes only its headers)."""
    ep = ex.bed.endpoints
    if ex.family.wire == "ipv6":
        ip = Ipv6Repr(ip6(ep.dut_ipv6), ip6(ep.tester_ipv6), IPPROTO_TCP)
        return build_frame_v6(mac(ep.dut_mac), mac(ep.tester_mac), ip, seg)
    ip = Ipv4Repr(src=ip4(ep.dut_ipv4), dst=ip4(ep.tester_ipv4), protocol=IPPROTO_TCP)
    return build_frame(mac(ep.dut_mac), mac(ep.tester_mac), ip, seg)


def _send(ex, name: str, about: bytes, from_router: bool = False) -> None:
    """The error ``name`` about a frame the DUT sent, from the tester or (``from_router``)
    another address, as a router on the path would send it."""
    icmp_type, code = _error(ex, name)
    ep = ex.bed.endpoints
    if ex.family.wire == "ipv4":
        send_error(ex, icmp_type, code, about, src=ep.spare_ipv4[0] if from_router else None)
        return
    # RFC 4443 2.4(c): as much of the invoking packet as fits in the minimum MTU
    rest = NEXT_HEADER_AT if icmp_type == ICMP6_PARAM_PROB else 0
    ex.send(IPv6(src=spare(ep, 9) if from_router else None),
            ICMPv6(type=icmp_type, code=code, rest=rest),
            Payload(about[14:14 + MIN_MTU - 48]))


@pytest.mark.requirement(
    "RFC1122-4.2.3.9-SHOULD-abort-on-hard-error",
    "RFC1122-3.2.2.1-MUST-unreachable-to-transport",
)
@pytest.mark.parametrize("error", HARD)
def test_hard_error_aborts_connection_attempt(ex, dut, endpoints, error):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    _send(ex, error, _dut_frame(ex, syn))
    conn.expect_nothing()
    assert connect_error(dut, fd) == _errno(ex, error)


@pytest.mark.requirement("RFC1122-4.2.3.9-MUST-soft-error")
@pytest.mark.parametrize("error", SOFT)
def test_soft_error_does_not_abort_connection_attempt(ex, dut, endpoints, error):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    _send(ex, error, _dut_frame(ex, syn), from_router=True)
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
    _send(ex, error, _dut_frame(ex, seg), from_router=True)
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
    peer, seg = _unacked_data(ex, dut, endpoints)
    _send(ex, error, _dut_frame(ex, seg))
    peer.conn.expect_nothing()
    value, err = dut.recv_with_errno(peer.fd, 100, 0)
    assert err == _errno(ex, error), f"recv gave {value!r}, errno {err}"
