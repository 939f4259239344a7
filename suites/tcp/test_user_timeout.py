"""TCP_USER_TIMEOUT (issue 12 item 1; RFC 1122 4.2.3.5: an application MUST be able to set R2
for its connection; RFC 9293 3.9.1.1's OPEN timeout): data unacknowledged for longer than the
user timeout gives the connection up, with ETIMEDOUT for the application, and no RST."""

import errno
import select
import socket

import pytest

from reference_stack.sockopt import TCP_USER_TIMEOUT

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

R2 = "RFC1122-4.2.3.5-MUST-r2-settable"


@pytest.mark.requirement(R2)
@pytest.mark.parametrize("ms", [0, 500, 30000], ids=["0", "500", "30000"])
def test_user_timeout_reads_back(dut, ms):
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    dut.setsockopt(fd, socket.IPPROTO_TCP, TCP_USER_TIMEOUT, ms)
    assert dut.getsockopt(fd, socket.IPPROTO_TCP, TCP_USER_TIMEOUT) == ms


@pytest.mark.requirement(R2)
def test_negative_user_timeout_is_refused(dut):
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert dut.setsockopt_with_errno(fd, socket.IPPROTO_TCP, TCP_USER_TIMEOUT, -1)[1] == \
        errno.EINVAL


@pytest.mark.requirement(R2, "RFC6298-5.5-MUST-backoff-doubles")
@pytest.mark.parametrize("ms", [600, 1000], ids=["600", "1000"])
def test_unacknowledged_data_gives_up_after_the_user_timeout(ex, dut, endpoints, ms):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, socket.IPPROTO_TCP, TCP_USER_TIMEOUT, ms)
    dut.send(peer.fd, b"never acknowledged")
    peer.conn.expect(flags="PA")
    # the retransmissions (judged by the lockstep), then the end: at the first RTO expiry
    # after the user timeout (measured on Linux 6.18: 0.3 s after it too early, 0.45 s enough),
    # which poll() returns at (POLLERR, always reported: tcp_poll; the lockstep judges when)
    revents = dut.poll(peer.fd, 0, ms / 1000 + 0.8)
    assert revents & select.POLLERR, revents
    assert dut.getsockopt(peer.fd, socket.SOL_SOCKET, socket.SO_ERROR) == errno.ETIMEDOUT
