"""RFC 5961 3.2: a RST resets a connection only when its sequence number is exactly RCV.NXT
(outside the window it is dropped, in the window it draws a challenge ACK). Once the DUT has
taken the tester's FIN (CLOSE-WAIT, CLOSING, LAST-ACK), a RST at RCV.NXT - 1 is the one a peer
sends before our ACK of its FIN arrived. Linux (tcp_validate_incoming -> tcp_reset_check)
resets on it, in the window or not; RFC 5961 drops it as outside the window.

The assertions are what every stack owes (no answer to the RST; then an answer to new text: an
ACK if the connection lives on, a RST if it is gone); which of the two is left to the stack's
choice and judged by the lockstep oracle with the target's profile (the `linux` profile models
the kernel behaviour described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add
from reference_stack.wire import tcp as tcpw

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


def ack_or_rst(flags: int) -> bool:
    """an ACK (the connection lives on) or a RST (it is gone)"""
    return bool(flags & (tcpw.ACK | tcpw.RST))


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-exact", "RFC5961-3.2-MUST-rst-out-of-window")
@pytest.mark.parametrize("state", ["CLOSE-WAIT", "CLOSING", "LAST-ACK"])
def test_rst_at_rcv_nxt_minus_1_after_fin(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="R", seq=seq_add(peer.conn.snd_nxt, -1))
    peer.expect_no_reply()
    peer.send(b"x", flags="PA", seq=seq_add(peer.conn.snd_nxt, -1))
    peer.conn.expect(flags=ack_or_rst)
