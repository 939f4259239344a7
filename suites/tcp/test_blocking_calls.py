"""Blocking and concurrent DUT calls (issue 12 item 3): a call started and left pending while
the tester sends, then awaited with a deadline. A blocking accept, recv (woken by data, by
the peer's FIN, by a reset; MSG_WAITALL until all has come), connect (completed, refused) and
a close that lingers (RFC 9293 3.9.1.4: until the FIN is acknowledged or the linger time is
up; lwIP's only with data in flight, its profile's linger_needs_data_in_flight). The lockstep
replays each call as pending over its interval: the frames the target sent meanwhile are the
call's (a lingering close's FIN and its retransmissions)."""

import errno
import socket
import time

import pytest

from reference_stack.sockopt import Linger

from .states import (
    DUT_CLIENT_PORT,
    LISTEN_PORT,
    TESTER_SERVER_PORT,
    active_established,
    is_syn,
    listen,
    reach,
)

OPEN = "RFC9293-3.10.1-MUST-passive-open-complete"
DELIVER = "RFC9293-3.10.7.4-MUST-text-deliver"
LINGER = "RFC9293-3.9.1.4-MAY-close-linger"
RETURNED_WITHIN_S = 0.05  # how long a close that does not linger may take to say it returned


@pytest.mark.requirement(OPEN)
def test_blocking_accept_returns_when_a_connection_completes(ex, dut, endpoints):
    fd = listen(dut, endpoints)
    pending = dut.start("accept", fd, 5.0)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.handshake()
    child, peer = pending.wait(5.0)
    assert peer == (endpoints.tester_ipv4, conn.tester_port)
    assert dut.getpeername(child) == peer


@pytest.mark.families()
@pytest.mark.requirement(OPEN)
def test_blocking_accept_times_out_without_a_connection(ex, dut, endpoints):
    fd = listen(dut, endpoints)
    pending = dut.start("accept_with_errno", fd, 0.1)
    assert pending.wait(5.0)[1] == errno.EAGAIN


@pytest.mark.families()
@pytest.mark.requirement(DELIVER)
@pytest.mark.parametrize("size", [1, 100, 1000], ids=["1", "100", "1000"])
def test_blocking_recv_returns_the_data_that_arrives(ex, dut, endpoints, size):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    pending = dut.start("recv", peer.fd, 4096, 5.0)
    data = bytes(range(256)) * 4
    peer.send(data[:size], flags="PA", advance=True)
    peer.expect_ack()
    assert pending.wait(5.0) == data[:size]


@pytest.mark.families()
@pytest.mark.requirement(DELIVER)
def test_blocking_waitall_recv_waits_for_every_octet(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    pending = dut.start("recv", peer.fd, 30, 5.0, socket.MSG_WAITALL)
    for chunk in (b"a" * 10, b"b" * 10, b"c" * 10):
        peer.send(chunk, flags="PA", advance=True)
        peer.expect_ack()
    assert pending.wait(5.0) == b"a" * 10 + b"b" * 10 + b"c" * 10


@pytest.mark.families()
@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-fin-close-wait")
def test_blocking_recv_woken_by_the_peers_fin(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    pending = dut.start("recv", peer.fd, 100, 5.0)
    peer.send(flags="FA", advance=True)
    peer.expect_ack()
    assert pending.wait(5.0) == b""


@pytest.mark.families()
@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-rst-reset")
def test_blocking_recv_woken_by_a_reset(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    pending = dut.start("recv_with_errno", peer.fd, 100, 5.0)
    peer.send(flags="RA", seq=peer.conn.snd_nxt)
    assert pending.wait(5.0)[1] == errno.ECONNRESET


def blocking_connect(ex, dut, endpoints):
    """The DUT connects to the tester with a blocking connect: (conn, fd, pending, its SYN)."""
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    dut.bind(fd, (endpoints.dut_ipv4, DUT_CLIENT_PORT))
    conn = ex.tcp(dut_port=DUT_CLIENT_PORT, tester_port=TESTER_SERVER_PORT)
    pending = dut.start("connect_with_errno", fd, (endpoints.tester_ipv4, TESTER_SERVER_PORT),
                        5.0)
    syn = conn.expect(flags=is_syn, ack=0)
    return conn, fd, pending, syn


@pytest.mark.requirement("RFC9293-3.10.1-MUST-active-open")
def test_blocking_connect_returns_once_established(ex, dut, endpoints):
    conn, fd, pending, syn = blocking_connect(ex, dut, endpoints)
    assert not pending.done()
    conn.send(flags="SA", ack=(syn.seq + 1) & 0xFFFFFFFF)
    conn.expect(flags="A")
    assert pending.wait(5.0)[1] == 0
    assert dut.getpeername(fd) == (endpoints.tester_ipv4, TESTER_SERVER_PORT)


@pytest.mark.requirement("RFC9293-3.10.7.3-MUST-rst-refused")
def test_blocking_connect_refused(ex, dut, endpoints):
    conn, fd, pending, syn = blocking_connect(ex, dut, endpoints)
    conn.send(flags="RA", seq=0, ack=(syn.seq + 1) & 0xFFFFFFFF)
    assert pending.wait(5.0)[1] == errno.ECONNREFUSED


def lingers_with_nothing_in_flight(bed) -> bool:
    """Whether the target's close with SO_LINGER waits when no data is in flight: its
    profile's choice (lwIP's lwip_netconn_do_close_internal lingers only with unsent or
    unacknowledged data: it returns once its FIN is sent; linger_needs_data_in_flight)."""
    return not bed.oracle_profile.linger_needs_data_in_flight


@pytest.mark.families()
@pytest.mark.requirement(LINGER)
def test_lingering_close_returns_when_the_fin_is_acknowledged(ex, dut, endpoints, bed):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, socket.SOL_SOCKET, socket.SO_LINGER, Linger(1, 5))
    pending = dut.start("close", peer.fd)
    peer.conn.expect(flags="FA")
    if not lingers_with_nothing_in_flight(bed):
        pending.wait(3.0)  # it returns with its FIN unacknowledged (linger: 5 s)
    else:
        # lingering: the FIN is not acknowledged yet. A close that does not linger has
        # returned by now (lwIP's, with nothing in flight: a median 2.6 ms after it started,
        # measured), so an early return is seen whichever of its reply and its FIN reached
        # the tester first (the message says how it came)
        time.sleep(RETURNED_WITHIN_S)
        assert not pending.done(), \
            f"close() returned {pending.wait(0)!r} after {pending.duration} s"
    peer.conn.send(flags="A", ack=peer.conn.rcv_nxt)
    pending.wait(3.0)
    assert pending.duration < 3.0


@pytest.mark.families()
@pytest.mark.requirement(LINGER)
def test_lingering_close_with_data_in_flight_returns_when_all_is_acknowledged(ex, dut,
                                                                             endpoints):
    # data unacknowledged: every stack's close lingers (lwIP's only then, see above)
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, socket.SOL_SOCKET, socket.SO_LINGER, Linger(1, 5))
    dut.send(peer.fd, b"x")
    peer.conn.expect(flags="PA")
    pending = dut.start("close", peer.fd)
    peer.conn.expect(flags="FA")
    time.sleep(RETURNED_WITHIN_S)  # (as above)
    assert not pending.done(), f"close() returned {pending.wait(0)!r} after {pending.duration} s"
    peer.conn.send(flags="A", ack=peer.conn.rcv_nxt)  # the data and the FIN
    pending.wait(3.0)
    assert pending.duration < 3.0


@pytest.mark.families()
@pytest.mark.requirement(LINGER)
def test_lingering_close_gives_up_after_the_linger_time(ex, dut, endpoints, bed):
    # the DUT's active open: its RTO (how many FIN retransmissions fit in the linger time)
    # follows its SYN's RTT sample. A SYN cookie's connection (Linux, every passive open with
    # net.ipv4.tcp_syncookies = 2) samples the RTT from the TSecr of its SYN,ACK's TSval, which
    # cookie_init_timestamp sets up to 63 ms early (the options in its low six bits;
    # tcp_synack_rtt_meas -> tcp_ack_update_rtt): an RTO between 201 and 264 ms on a veth.
    peer = active_established(ex, dut, endpoints)
    dut.setsockopt(peer.fd, socket.SOL_SOCKET, socket.SO_LINGER, Linger(1, 1))
    pending = dut.start("close", peer.fd)
    fin = peer.conn.expect(flags="FA")
    pending.wait(4.0)
    if lingers_with_nothing_in_flight(bed):
        assert pending.duration >= 0.9
    else:
        assert pending.duration < 0.9  # it returned once its FIN was sent
    peer.conn.send(flags="A", ack=(fin.seq + 1) & 0xFFFFFFFF)  # (the connection lives on)
    ex.settle()
