"""RFC 7323 5.3 R1 with RFC 2883 4: a segment whose timestamp fails PAWS is dropped and answered
with an ACK; when its text lies below RCV.NXT it is a duplicate, which a D-SACK receiver reports
in the first SACK block. A SYN below RCV.NXT draws RFC 5961 4.2's challenge ACK instead, with no
D-SACK block."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC7323-5.3-MUST-paws")
def test_paws_rejected_duplicate_is_acked(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"abc", flags="PA", advance=True)
    peer.expect_ack()
    peer.conn.ts_val = 0  # older than TS.Recent
    peer.send(b"abc", flags="PA", seq=seq_add(peer.conn.snd_nxt, -3))
    peer.conn.ts_val = 100
    ack = peer.expect_ack(timeout=1.0)
    assert ack.sack_blocks in ((), ((seq_add(peer.conn.snd_nxt, -3), peer.conn.snd_nxt),)), \
        ack.summary()


@pytest.mark.requirement("RFC5961-4.2-MUST-syn-challenge-ack")
def test_syn_below_rcv_nxt_gets_challenge_ack(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"0123456789", flags="PA", advance=True)
    peer.expect_ack()
    peer.conn.send(b"012", flags="S", seq=seq_add(peer.conn.snd_nxt, -10), advance=False)
    ack = peer.expect_ack(timeout=1.0)
    assert ack.sack_blocks == (), ack.summary()
    peer.expect_alive()
