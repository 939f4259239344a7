"""RFC 9293 3.8.5 and RFC 1122 4.2.2.4: urgent data. The urgent pointer the DUT sends points to the
octet following the urgent data; on receiving an urgent pointer the DUT informs the application
(POLLPRI) and the text around it still arrives."""

import select
import socket

import pytest

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement(
    "RFC9293-3.8.5-MUST-urgent-pointer-after-data",
    "RFC1122-4.2.2.4-MUST-urgent-pointer",
)
@pytest.mark.parametrize("size", [1, 5])
def test_urgent_pointer_sent_points_after_urgent_data(ex, dut, endpoints, size):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    data = b"U" * size
    dut.send(peer.fd, data, socket.MSG_OOB)
    seg = peer.conn.expect(data, flags="PAU", immediate=True)  # (new data on an idle connection)
    assert seg.urgent == size, seg.summary()


@pytest.mark.requirement(
    "RFC9293-3.8.5-MUST-urgent-signal-application",
    "RFC9293-3.10.7.4-MUST-urg-check",
)
def test_urgent_pointer_received_is_signalled(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"normal!", flags="PAU", urgent=7, advance=True)
    peer.expect_ack()
    revents = dut.poll(peer.fd, select.POLLPRI | select.POLLIN, 1.0)
    assert revents & select.POLLPRI, f"no urgent signal (revents {revents:#x})"
    assert dut.recv(peer.fd, 100).startswith(b"normal")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-urg-check")
def test_urgent_pointer_zero(ex, dut, endpoints):
    # SEG.UP = 0 with URG: RFC 6093 keeps urgent data in line; Linux tcp_check_urg does not
    # step a zero pointer back ("if (ptr && ...) ptr--"), so the segment's first octet is the
    # out-of-band byte and a read skips it (measured on Linux 6.18: "b" of "ab"). The text
    # after it is owed to every reader; which octets is judged with the target's profile.
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"ab", flags="PAU", urgent=0, advance=True)
    peer.expect_ack()
    dut.poll(peer.fd, select.POLLIN, 1.0)
    assert dut.recv(peer.fd, 100) in (b"ab", b"b")
