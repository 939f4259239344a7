"""RFC 9293 3.10.7.4 in SYN-RECEIVED (after a passive open): an acceptable ACK establishes the
connection (text on it is delivered), an unacceptable ACK elicits <SEQ=SEG.ACK><CTL=RST>, and a
RST returns the connection to LISTEN (the half-open connection disappears, the listener stays)."""

import pytest

from conformance.author.needs import other_than
from conformance.author.tcp_connection import seq_add

from .states import half_open_syn_received

pytestmark = pytest.mark.families("ipv4", "ipv6")
# RFC 9293 3.10.7.4's SYN-RECEIVED: with net.ipv4.tcp_syncookies = 2 a passive open is a SYN
# cookie and has none (its segments are the listener's, tcp/syn_cookie.py)
NEEDS_SYN_RECEIVED = pytest.mark.needs(syncookies=other_than(2))


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-syn-received-ack")
def test_ack_with_data_establishes_and_delivers(ex, dut, endpoints):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    conn.send(b"early data", flags="PA")
    conn.expect(flags="A", ack=conn.snd_nxt)
    fd, _ = dut.accept(listener)
    assert dut.recv(fd, 100) == b"early data"


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-syn-received-bad-ack-rst")
# (ack-beyond and ack-below are the listener's ACK too, without SYN-RECEIVED: the same RST,
# RFC 9293 3.10.7.2; SEG.ACK = ISS reads as a SYN cookie with a smaller MSS, check_tcp_syn_cookie)
@pytest.mark.parametrize("offset", [pytest.param(0, marks=NEEDS_SYN_RECEIVED), 5, -10],
                         ids=["ack-equal-iss", "ack-beyond", "ack-below"])
def test_unacceptable_ack_in_syn_received_gets_rst(ex, dut, endpoints, offset):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    ack = seq_add(conn.their_isn, offset)
    conn.send(flags="A", ack=ack, advance=False)
    conn.expect(flags="R", seq=ack, immediate=True)  # (a reset answers the segment at once)


@NEEDS_SYN_RECEIVED
@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-syn-received-rst-listen")
def test_rst_in_syn_received_returns_to_listen(ex, dut, endpoints):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    conn.send(flags="R", advance=False)
    conn.expect_nothing()
    # the half-open connection is gone: completing it now gets a RST ...
    conn.send(flags="A")
    conn.expect(flags="R", seq=conn.rcv_nxt, immediate=True)
    value, err = dut.accept_with_errno(listener, 0.05)
    assert err != 0, "the DUT accepted a connection that was reset in SYN-RECEIVED"
    # ... and the listener still accepts new connections
    again = ex.tcp(dut_port=conn.dut_port)
    again.send(flags="S")
    again.expect(flags="SA", ack=seq_add(again.isn, 1))
