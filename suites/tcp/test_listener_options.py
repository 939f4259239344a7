"""Options set on a listener shape the connections it accepts (issue 12 item 1; socket-level:
IPv4, IPv6 and a dual-stack socket's IPv4-mapped peers, RFC 4291 2.5.5.2): TCP_MAXSEG
lowers the MSS its SYN-ACK announces (RFC 9293 3.7.1: the user may lower it, never raise it
beyond the interface's: MTU - 40, MTU - 60 over IPv6), SO_RCVBUF the window it offers (RFC
9293 3.8.6.2.2), and the accepted socket inherits TCP_NODELAY (RFC 1122 4.2.3.4)."""

import socket

import pytest

from reference_stack.tcp.syn_cookie import table_mss

from .options import dut_mss
from .states import LISTEN_PORT, listen

pytestmark = pytest.mark.families("ipv4", "ipv6", "ipv4-mapped")

TCP = socket.IPPROTO_TCP


def _socket(ex, dut) -> int:
    """A DUT TCP socket of the test's family."""
    return dut.socket(ex.family.socket_family, socket.SOCK_STREAM)


def _bind_listen(ex, dut, endpoints, fd: int) -> None:
    dut.bind(fd, (ex.family.dut_host(endpoints), LISTEN_PORT))
    dut.listen(fd, 8)


@pytest.mark.requirement("RFC9293-3.7.1-MAY-user-mss")
@pytest.mark.parametrize("maxseg", [536, 1000, 1400], ids=["536", "1000", "1400"])
def test_listener_maxseg_lowers_the_announced_mss(ex, dut, endpoints, bed, maxseg):
    fd = _socket(ex, dut)
    dut.setsockopt(fd, TCP, socket.TCP_MAXSEG, maxseg)
    _bind_listen(ex, dut, endpoints, fd)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    synack = conn.expect(flags="SA")
    # (never above what the DUT announces without it: 1460, or its route's: tcp_mss_clamp)
    assert synack.mss == min(maxseg, dut_mss(bed.oracle_profile, ex.family.wire == "ipv6")), \
        synack.summary()


@pytest.mark.requirement("RFC9293-3.7.1-MAY-user-mss")
def test_listener_maxseg_above_the_interface_mss_changes_nothing(ex, dut, endpoints, bed):
    fd = _socket(ex, dut)
    dut.setsockopt(fd, TCP, socket.TCP_MAXSEG, 4000)
    _bind_listen(ex, dut, endpoints, fd)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    # 1460 on Ethernet (1440 over IPv6), or the DUT's route's
    assert conn.expect(flags="SA").mss == dut_mss(bed.oracle_profile, ex.family.wire == "ipv6")


@pytest.mark.requirement("RFC9293-3.7.1-MAY-user-mss")
@pytest.mark.parametrize("maxseg", [600, 1000], ids=["600", "1000"])
def test_data_segments_respect_the_listener_maxseg(ex, dut, endpoints, bed, maxseg):
    fd = _socket(ex, dut)
    dut.setsockopt(fd, TCP, socket.TCP_MAXSEG, maxseg)
    _bind_listen(ex, dut, endpoints, fd)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.handshake()
    child, _ = dut.accept(fd)
    dut.send(child, bytes(3000))
    seg = conn.expect(flags=lambda f: True, seq=conn.rcv_nxt)
    bound = maxseg
    if bed.oracle_profile.syncookies == 2:
        # every SYN answered with a cookie (net.ipv4.tcp_syncookies=2): Linux's child sends
        # the cookie's MSS, above TCP_MAXSEG where its table has nothing as small (IPv6's
        # starts at 1220; reference_stack/tcp/syn_cookie.send_limit)
        bound = max(maxseg, table_mss(maxseg, ex.family.wire == "ipv6"))
    assert 0 < len(seg.payload) <= bound


@pytest.mark.requirement("RFC1122-4.2.3.4-MUST-nagle-disable")
def test_accepted_socket_inherits_nodelay(ex, dut, endpoints):
    fd = listen(dut, endpoints, family=ex.family)
    dut.setsockopt(fd, TCP, socket.TCP_NODELAY, 1)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.handshake()
    child, _ = dut.accept(fd)
    assert dut.getsockopt(child, TCP, socket.TCP_NODELAY) == 1


@pytest.mark.requirement("RFC9293-3.8.6.2.2-MAY-receive-buffer-size")
@pytest.mark.parametrize("rcvbuf", [4096, 16384], ids=["4k", "16k"])
def test_small_receive_buffer_offers_a_smaller_window(ex, dut, endpoints, rcvbuf):
    fd = _socket(ex, dut)
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    assert dut.getsockopt(fd, socket.SOL_SOCKET, socket.SO_RCVBUF) >= rcvbuf
    _bind_listen(ex, dut, endpoints, fd)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    synack = conn.expect(flags="SA")
    assert synack.window <= 2 * rcvbuf, synack.summary()
