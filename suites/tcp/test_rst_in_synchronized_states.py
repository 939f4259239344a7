"""RFC 9293 3.10.7.4 (first check, second check) and RFC 5961 3.2: a RST in a synchronized
state resets the connection only when its sequence number is exactly RCV.NXT; in the window
but not exact it elicits a challenge ACK; outside the window it is silently dropped."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import ALL_SYNCHRONIZED, reach

FAR = 0x4000_0000  # far outside any receive window, yet "after" RCV.NXT modulo 2**32


@pytest.mark.requirement(
    "RFC9293-3.10.7.4-MUST-rst-reset",
    "RFC5961-3.2-MUST-rst-exact",
    "RFC9293-3.10.7.4-MUST-rst-close",
)
# RFC 1337 3 lets TIME-WAIT ignore a RST (Linux net.ipv4.tcp_rfc1337 = 1)
@pytest.mark.parametrize("state", [
    pytest.param(s, marks=pytest.mark.needs(time_wait_ignores_rst=False))
    if s == "TIME-WAIT" else s for s in ALL_SYNCHRONIZED])
@pytest.mark.families("ipv4", "ipv6")
def test_rst_at_rcv_nxt_resets_the_connection(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="R")
    peer.expect_no_reply()
    peer.expect_closed()


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-challenge-ack",
                         "RFC5961-3.2-MUST-rst-challenge-ack")
@pytest.mark.parametrize("state", ALL_SYNCHRONIZED)
def test_rst_in_window_not_exact_gets_challenge_ack(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="R", seq=seq_add(peer.conn.snd_nxt, 1))
    peer.expect_ack(immediate=True)  # a challenge ACK is immediate
    peer.expect_alive()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-3.2-MUST-rst-out-of-window",
                         "RFC5961-3.2-MUST-rst-out-of-window")
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("state", ALL_SYNCHRONIZED)
def test_rst_outside_window_is_dropped(ex, dut, endpoints, state, side):
    peer = reach(state, ex, dut, endpoints)
    offset = -FAR if side == "left" else FAR
    peer.send(flags="R", seq=seq_add(peer.conn.snd_nxt, offset))
    peer.expect_no_reply()
    peer.expect_alive()
