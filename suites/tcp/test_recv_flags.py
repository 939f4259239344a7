"""recv flags (issue 12 item 1; RFC 9293 3.9.1.3 RECEIVE, 3.8.5 urgent data): MSG_PEEK looks
without consuming, MSG_DONTWAIT returns at once, MSG_WAITALL on a non-blocking read returns
what is there, MSG_OOB reads the out-of-band byte Linux takes out of the stream (RFC 6093 3)
and refuses a second read or one with SO_OOBINLINE. The oracle replays each flag."""

import errno
import select
import socket

import pytest

from .states import reach

pytestmark = pytest.mark.families()

PEEK = "RFC9293-3.9.1.3-MAY-receive-peek"
URGENT = "RFC9293-3.8.5-MUST-urgent-signal-application"


def established_with(ex, dut, endpoints, data):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    if data:
        peer.send(data, flags="PA", advance=True)
        peer.expect_ack()
        dut.poll(peer.fd, select.POLLIN, 1.0)
    return peer


@pytest.mark.requirement(PEEK)
@pytest.mark.parametrize("n", [3, 10, 100], ids=["part", "all", "more"])
def test_peek_leaves_the_data_queued(ex, dut, endpoints, n):
    peer = established_with(ex, dut, endpoints, b"0123456789")
    assert dut.recv(peer.fd, n, 0.0, socket.MSG_PEEK) == b"0123456789"[:n]
    assert dut.recv(peer.fd, n, 0.0, socket.MSG_PEEK) == b"0123456789"[:n]
    assert dut.recv(peer.fd, 100, 0.0) == b"0123456789"


@pytest.mark.requirement(PEEK)
def test_peek_with_nothing_queued_would_block(ex, dut, endpoints):
    peer = established_with(ex, dut, endpoints, b"")
    assert dut.recv_with_errno(peer.fd, 10, 0.0, socket.MSG_PEEK)[1] == errno.EAGAIN


@pytest.mark.requirement(PEEK)
def test_peek_after_the_peer_closed_reads_end_of_file(ex, dut, endpoints):
    peer = reach("CLOSE-WAIT", ex, dut, endpoints)
    assert dut.recv(peer.fd, 10, 0.0, socket.MSG_PEEK) == b""


@pytest.mark.requirement(PEEK)
@pytest.mark.parametrize("flags", [socket.MSG_DONTWAIT, socket.MSG_WAITALL,
                                   socket.MSG_DONTWAIT | socket.MSG_WAITALL],
                         ids=["dontwait", "waitall", "both"])
def test_nonblocking_read_flags_return_what_is_there(ex, dut, endpoints, flags):
    peer = established_with(ex, dut, endpoints, b"abcdef")
    assert dut.recv(peer.fd, 100, 0.0, flags) == b"abcdef"
    assert dut.recv_with_errno(peer.fd, 100, 0.0, flags)[1] == errno.EAGAIN


def urgent_peer(ex, dut, endpoints, oobinline=False):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    if oobinline:
        dut.setsockopt(peer.fd, socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    peer.send(b"abcX", flags="PAU", urgent=4, advance=True)  # X: the out-of-band byte
    peer.expect_ack()
    dut.poll(peer.fd, select.POLLPRI, 1.0)
    return peer


@pytest.mark.requirement(URGENT)
def test_oob_read_returns_the_urgent_byte_once(ex, dut, endpoints):
    peer = urgent_peer(ex, dut, endpoints)
    assert dut.recv(peer.fd, 10, 0.0, socket.MSG_OOB) == b"X"
    assert dut.recv_with_errno(peer.fd, 10, 0.0, socket.MSG_OOB)[1] == errno.EINVAL
    assert dut.recv(peer.fd, 10, 0.0) == b"abc"


@pytest.mark.requirement(URGENT)
def test_oob_peek_leaves_the_urgent_byte(ex, dut, endpoints):
    peer = urgent_peer(ex, dut, endpoints)
    assert dut.recv(peer.fd, 10, 0.0, socket.MSG_OOB | socket.MSG_PEEK) == b"X"
    assert dut.recv(peer.fd, 10, 0.0, socket.MSG_OOB) == b"X"


@pytest.mark.requirement(URGENT)
def test_stream_read_stops_at_the_urgent_mark(ex, dut, endpoints):
    # RFC 6093 keeps urgent data in line; BSD and Linux take the last urgent octet out of the
    # stream (the linux profile models it: the lockstep judges which one a stack did)
    peer = urgent_peer(ex, dut, endpoints)
    first = dut.recv(peer.fd, 10, 0.0)
    assert first in (b"abc", b"abcX")
    if first == b"abc":
        assert dut.recv_with_errno(peer.fd, 10, 0.0)[1] in (0, errno.EAGAIN)


@pytest.mark.requirement(URGENT)
def test_oob_read_with_oobinline_is_refused(ex, dut, endpoints):
    peer = urgent_peer(ex, dut, endpoints, oobinline=True)
    assert dut.recv_with_errno(peer.fd, 10, 0.0, socket.MSG_OOB)[1] == errno.EINVAL
    # in line, though a read stops at the urgent mark (BSD and Linux alike)
    assert dut.recv(peer.fd, 10, 0.0) + dut.recv(peer.fd, 10, 0.0) == b"abcX"


@pytest.mark.requirement(URGENT)
def test_oob_read_without_urgent_data_is_refused(ex, dut, endpoints):
    peer = established_with(ex, dut, endpoints, b"plain")
    assert dut.recv_with_errno(peer.fd, 10, 0.0, socket.MSG_OOB)[1] == errno.EINVAL


@pytest.mark.requirement(URGENT, PEEK)
def test_peek_stops_before_the_urgent_byte(ex, dut, endpoints):
    peer = urgent_peer(ex, dut, endpoints)
    assert dut.recv(peer.fd, 10, 0.0, socket.MSG_PEEK) == b"abc"
