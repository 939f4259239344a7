"""What the application learns of its connection (issue 12 item 2; RFC 9293 3.9.1.10 STATUS,
3.10.7 "connection reset"/"connection refused"): SO_ERROR after a reset in each state,
getsockname and getpeername on each side, poll's readiness as the connection moves. The
lockstep replays each call into the oracle and compares the answers."""

import errno
import select
import socket

import pytest

from .states import LISTEN_PORT, TESTER_SERVER_PORT, listen, passive_open, reach, start_active_open

STATUS = "RFC9293-3.9.1.10-MAY-status"


def so_error(dut, fd):
    return dut.getsockopt(fd, socket.SOL_SOCKET, socket.SO_ERROR)


@pytest.mark.families()
@pytest.mark.requirement(STATUS, "RFC9293-3.10.7.4-MUST-rst-reset")
@pytest.mark.parametrize("state", ["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT"])
def test_reset_connection_reports_an_error_once(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="RA", seq=peer.conn.snd_nxt)
    ex.settle()
    # "connection reset" (ECONNRESET); in CLOSE-WAIT the peer had closed already and Linux
    # says EPIPE (the oracle's linux profile models it and the lockstep compares the value)
    assert so_error(dut, peer.fd) in (errno.ECONNRESET, errno.EPIPE)
    assert so_error(dut, peer.fd) == 0  # read once


@pytest.mark.families()
@pytest.mark.requirement(STATUS, "RFC9293-3.10.7.3-MUST-rst-refused")
def test_refused_connect_reports_econnrefused(ex, dut, endpoints):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    conn.send(flags="RA", seq=0, ack=syn.seq + 1)
    ex.settle()
    assert so_error(dut, fd) == errno.ECONNREFUSED


@pytest.mark.requirement(STATUS)
def test_names_of_an_accepted_connection(ex, dut, endpoints):
    fd = listen(dut, endpoints)
    conn, child = passive_open(ex, dut, endpoints, fd)
    assert dut.getsockname(child) == (endpoints.dut_ipv4, LISTEN_PORT)
    assert dut.getpeername(child) == (endpoints.tester_ipv4, conn.tester_port)
    assert dut.getsockname(fd) == (endpoints.dut_ipv4, LISTEN_PORT)
    assert dut.getpeername_with_errno(fd)[1] == errno.ENOTCONN


@pytest.mark.families()
@pytest.mark.requirement(STATUS)
def test_names_of_a_connecting_socket(ex, dut, endpoints):
    conn, fd, _ = start_active_open(ex, dut, endpoints)
    assert dut.getsockname(fd)[1] == conn.dut_port
    assert dut.getpeername_with_errno(fd)[1] == errno.ENOTCONN  # SYN-SENT: not yet


@pytest.mark.requirement(STATUS)
def test_names_of_a_connected_socket(ex, dut, endpoints):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    conn.send(flags="SA", ack=syn.seq + 1)
    conn.expect(flags="A")
    assert dut.getpeername(fd) == (endpoints.tester_ipv4, TESTER_SERVER_PORT)
    assert dut.getsockname(fd) == (endpoints.dut_ipv4, conn.dut_port)


@pytest.mark.families()
@pytest.mark.requirement(STATUS)
def test_unbound_socket_name_is_the_wildcard(dut):
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert dut.getsockname(fd) == ("0.0.0.0", 0)


# (state, events asked, ready ones): what poll says in each state, as the oracle replays it
POLLS = [
    ("ESTABLISHED", select.POLLOUT, select.POLLOUT),
    ("ESTABLISHED", select.POLLIN, 0),
    ("CLOSE-WAIT", select.POLLIN, select.POLLIN),
    ("FIN-WAIT-2", select.POLLIN, 0),
    ("FIN-WAIT-2", select.POLLOUT, None),  # (shut for sending: Linux says POLLOUT too)
]


@pytest.mark.families()
@pytest.mark.requirement(STATUS)
@pytest.mark.parametrize(("state", "events", "ready"), POLLS,
                         ids=["est-out", "est-in", "close-wait-in", "fin-wait-2-in",
                              "fin-wait-2-out"])
def test_poll_readiness_in_states(ex, dut, endpoints, state, events, ready):
    peer = reach(state, ex, dut, endpoints)
    got = dut.poll(peer.fd, events, 0.0)
    if ready is not None:
        assert got & events == ready


@pytest.mark.requirement(STATUS)
def test_poll_on_a_listener_says_when_a_connection_waits(ex, dut, endpoints):
    fd = listen(dut, endpoints)
    assert dut.poll(fd, select.POLLIN, 0.0) == 0
    ex.tcp(dut_port=LISTEN_PORT).handshake()
    assert dut.poll(fd, select.POLLIN, 1.0) & select.POLLIN


@pytest.mark.families()
@pytest.mark.requirement(STATUS, "RFC9293-3.10.7.4-MUST-rst-close")
def test_poll_after_a_reset(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(flags="RA", seq=peer.conn.snd_nxt)
    ex.settle()
    got = dut.poll(peer.fd, select.POLLIN | select.POLLOUT, 0.0)
    assert got & select.POLLHUP and got & select.POLLERR
