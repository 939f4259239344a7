"""RFC 9293 3.10.7.4 (eighth, the FIN bit) and 3.6: a FIN is acknowledged in every synchronized
state. ESTABLISHED goes to CLOSE-WAIT and FIN-WAIT-2 to TIME-WAIT (the application sees end of
data); in FIN-WAIT-1 the FIN crosses ours (CLOSING); where the tester's FIN was already received
(CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT) its retransmission is acknowledged again."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import FIN_RECEIVED, SYNCHRONIZED, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

FIRST_FIN = ("ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2")


@pytest.mark.requirement(
    "RFC9293-3.6-MUST-orderly-close",
    "RFC9293-3.6-MUST-simultaneous-close",
    "RFC9293-3.10.7.4-MUST-fin-close-wait",
    "RFC9293-3.10.7.4-MUST-fin-closing",
    "RFC9293-3.10.7.4-MUST-fin-time-wait",
)
@pytest.mark.parametrize("state", FIRST_FIN)
def test_first_fin_is_acknowledged_and_signalled(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="FA", advance=True)
    peer.expect_ack()
    assert dut.recv(peer.fd, 100) == b"", "the application did not see end of data"


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-time-wait-fin",
                         "RFC9293-3.10.7.4-MUST-first-check")
@pytest.mark.parametrize("state", [s for s in (*SYNCHRONIZED, "TIME-WAIT") if s in FIN_RECEIVED])
def test_retransmitted_fin_is_acknowledged_again(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="FA", seq=seq_add(peer.conn.snd_nxt, -1))
    peer.expect_ack()
