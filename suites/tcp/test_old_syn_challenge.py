"""RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence number, draws a challenge
ACK. Linux sends it for a SYN below the window too (tcp_validate_incoming: an unacceptable
segment with SYN goes to syn_challenge -> tcp_send_challenge_ack), so the ACK carries no D-SACK
block for the SYN's old data, where RFC 9293's first check would answer with the duplicate ACK
that reports old data (RFC 2883 4)."""

import pytest

from conformance.tcp_connection import seq_add

from .states import reach


@pytest.mark.requirement("RFC5961-4.2-MUST-syn-challenge-ack")
def test_old_syn_with_data_draws_a_challenge_ack_without_dsack(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"X" * 10, flags="S", seq=seq_add(peer.conn.snd_nxt, -3000))
    ack = peer.expect_ack()
    assert ack.sack_blocks == ()
    peer.expect_alive()
