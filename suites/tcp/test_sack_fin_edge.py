"""RFC 2018 3-4: an out-of-order segment carrying text and a FIN is reported in a SACK block;
its right edge follows the segment's sequence space, where stacks differ on counting the FIN
(RFC 2018 speaks of data; Linux counts the FIN, the segment's end_seq)."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach


@pytest.mark.requirement("RFC2018-4-SHOULD-sack-on-out-of-order")
def test_sack_block_of_text_and_fin(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    left = seq_add(peer.conn.snd_nxt, 1000)
    peer.send(b"o" * 100, flags="FPA", seq=left)
    ack = peer.expect_ack(timeout=1.0)
    assert len(ack.sack_blocks) == 1 and ack.sack_blocks[0][0] == left, ack.summary()
    assert ack.sack_blocks[0][1] in (seq_add(left, 100), seq_add(left, 101)), ack.summary()


@pytest.mark.requirement("RFC2018-4-SHOULD-sack-on-out-of-order")
def test_out_of_order_fin_without_text(ex, dut, endpoints):
    """A FIN alone beyond RCV.NXT: RFC 2018 reports data, so no block is owed; Linux
    tcp_data_queue_ofo queues it like data and reports [FIN, FIN + 1) (measured, 6.18)."""
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    left = seq_add(peer.conn.snd_nxt, 1000)
    peer.send(flags="FA", seq=left)
    ack = peer.expect_ack(timeout=1.0)
    assert ack.ack == peer.conn.snd_nxt, ack.summary()
    assert ack.sack_blocks in ((), ((left, seq_add(left, 1)),)), ack.summary()
