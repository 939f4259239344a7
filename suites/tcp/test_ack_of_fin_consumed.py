"""RFC 9293 3.10.7.4: after the ACK check, the segment's text and FIN are processed (and
acknowledged, or refused by the first check when they are old). Linux (tcp_rcv_state_process)
consumes the segment whose ACK of the DUT's FIN takes CLOSING to TIME-WAIT, or an orphaned
FIN-WAIT-1 to its FIN-WAIT-2 minisocket (tcp_time_wait; "goto consume"): an old FIN or old
text riding on that ACK is neither acknowledged nor reported in a D-SACK block.

The assertions are what every stack owes (the connection answers old text afterwards); what the
segment itself draws is left to the stack's choice and judged by the lockstep oracle with the
target's profile (the `linux` profile models the kernel behaviour described here, measured on
Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-closing-ack", "RFC9293-3.10.7.4-MUST-ack-text-fin")
def test_closing_acked_by_a_retransmitted_fin(ex, dut, endpoints):
    peer = reach("CLOSING", ex, dut, endpoints)
    peer.send(flags="FA", seq=seq_add(peer.conn.snd_nxt, -1), ack=peer.dut_snd_nxt)
    peer.state = "TIME-WAIT"  # (or still CLOSING where the old segment is refused)
    peer.expect_alive()


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-fin-wait-1-ack",
                         "RFC9293-3.10.7.4-MUST-ack-text-fin")
def test_orphaned_fin_wait_1_acked_by_old_text(ex, dut, endpoints):
    peer = reach("FIN-WAIT-1", ex, dut, endpoints)
    dut.close(peer.fd)  # an orphan
    peer.send(b"o", flags="PA", seq=seq_add(peer.conn.snd_nxt, -1), ack=peer.dut_snd_nxt)
    peer.send(flags="R")  # (the tester ends it: a RST at RCV.NXT, taken by either)
    peer.expect_no_reply()
