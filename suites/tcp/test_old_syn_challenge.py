"""RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence number, draws a challenge
ACK. Linux sends it for a SYN below the window too (tcp_validate_incoming: an unacceptable
segment with SYN goes to syn_challenge -> tcp_send_challenge_ack), so the ACK carries no D-SACK
block for the SYN's old data, where RFC 9293's first check would answer with the duplicate ACK
that reports old data (RFC 2883 4).

The assertions are what every stack owes; the answers left to a stack's choice are judged
by the lockstep oracle with the target's profile (the `linux` profile models the kernel
behaviour described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC5961-4.2-MUST-syn-challenge-ack")
def test_old_syn_with_data_draws_an_ack(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"X" * 10, flags="S", seq=seq_add(peer.conn.snd_nxt, -3000))
    peer.expect_ack()  # Linux: the SYN challenge ACK, no D-SACK block
    peer.expect_alive()
