"""RFC 9293 3.6: orderly close, initiated by either side."""

import socket

import pytest

pytestmark = pytest.mark.families()


@pytest.mark.requirement(
    "RFC9293-3.6-MUST-orderly-close",
    "RFC9293-3.10.7.4-MUST-fin-close-wait",
    "RFC9293-3.10.4-MUST-close-close-wait",
    "RFC9293-3.10.7.4-MUST-last-ack-ack",
)
def test_close_initiated_by_tester(established, dut):
    conn, fd = established
    conn.send(flags="FA")
    conn.expect(flags="A", ack=conn.snd_nxt)
    assert dut.recv(fd, 100) == b"", "the DUT application should see end of data"
    dut.close(fd)
    conn.expect(flags="FA", ack=conn.snd_nxt)
    conn.ack()
    conn.expect_nothing()


@pytest.mark.requirement(
    "RFC9293-3.6-MUST-orderly-close",
    "RFC9293-3.10.4-MUST-close-established",
    "RFC9293-3.10.4-MUST-send-fin",
    "RFC9293-3.10.7.4-MUST-fin-wait-1-ack",
    "RFC9293-3.10.7.4-MUST-fin-time-wait",
)
def test_close_initiated_by_dut(established, dut):
    conn, fd = established
    dut.shutdown(fd, socket.SHUT_WR)
    conn.expect(flags="FA", ack=conn.snd_nxt)
    conn.ack()
    conn.send(flags="FA")
    conn.expect(flags="A", ack=conn.snd_nxt)
    assert dut.recv(fd, 100) == b""
