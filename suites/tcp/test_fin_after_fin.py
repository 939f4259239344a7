"""RFC 9293 3.10.7.4 (eighth check): in CLOSE-WAIT, CLOSING and LAST-ACK a FIN "remains" in
the state and is acknowledged. A FIN that starts at or beyond RCV.NXT there is a FIN after the
FIN the DUT already took. Linux (tcp_rcv_state_process, step 7) passes a segment to
tcp_data_queue in these states only when it starts before RCV.NXT: this one is dropped after
the ACK checks, unacknowledged.

The assertions are what every stack owes (the state survives: old text is still answered with
an ACK); whether the second FIN is acknowledged is left to the stack's choice and judged by the
lockstep oracle with the target's profile (the `linux` profile models the kernel behaviour
described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-fin-stay")
@pytest.mark.parametrize("beyond", [0, 100], ids=["at-rcv-nxt", "beyond-rcv-nxt"])
@pytest.mark.parametrize("state", ["CLOSE-WAIT", "CLOSING", "LAST-ACK"])
def test_fin_after_the_fin(ex, dut, endpoints, state, beyond):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="FA", seq=seq_add(peer.conn.snd_nxt, beyond))
    peer.expect_alive()
