"""RFC 9293 3.6 (figure 13): simultaneous close. The FINs cross: the DUT, in FIN-WAIT-1,
acknowledges the peer's FIN (CLOSING); once its own FIN is acknowledged it is in TIME-WAIT and
sends nothing more; the application sees end of data."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement(
    "RFC9293-3.6-MUST-simultaneous-close",
    "RFC9293-3.6-MUST-orderly-close",
    "RFC9293-3.10.7.4-MUST-fin-closing",
    "RFC9293-3.10.7.4-MUST-closing-ack",
)
def test_crossing_fins_close_both_directions(ex, dut, endpoints):
    peer = reach("CLOSING", ex, dut, endpoints)  # asserts the ACK of our FIN in FIN-WAIT-1
    assert dut.recv(peer.fd, 100) == b""
    peer.conn.ack()  # acknowledge the DUT's FIN: CLOSING -> TIME-WAIT
    peer.conn.expect_nothing()
    peer.state = "TIME-WAIT"
    peer.send(flags="FA", seq=seq_add(peer.conn.snd_nxt, -1))  # our FIN again: still acked
    peer.expect_ack()
