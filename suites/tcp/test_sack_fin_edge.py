"""RFC 2018 3-4: an out-of-order segment carrying text and a FIN is reported in a SACK block;
its right edge follows the segment's sequence space, where stacks differ on counting the FIN
(RFC 2018 speaks of data; Linux counts the FIN, the segment's end_seq)."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach


@pytest.mark.requirement("RFC2018-4-SHOULD-sack-on-out-of-order")
@pytest.mark.needs(sack=True)
def test_sack_block_of_text_and_fin(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    left = seq_add(peer.conn.snd_nxt, 1000)
    peer.send(b"o" * 100, flags="FPA", seq=left)
    ack = peer.expect_ack(timeout=1.0)
    assert len(ack.sack_blocks) == 1 and ack.sack_blocks[0][0] == left, ack.summary()
    assert ack.sack_blocks[0][1] in (seq_add(left, 100), seq_add(left, 101)), ack.summary()


@pytest.mark.requirement("RFC2018-4-SHOULD-sack-on-out-of-order")
def test_out_of_order_fin_alone(ex, dut, endpoints):
    # A FIN with no text beyond a gap: RFC 2018 reports data, so a stack may send no block;
    # Linux queues the FIN's segment out of order (tcp_data_queue_ofo) and reports [FIN,
    # FIN + 1). The duplicate ACK is owed at once (RFC 5681 4.2); its blocks are judged by the
    # lockstep oracle with the target's profile (measured on Linux 6.18: the FIN's block).
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    fin = seq_add(peer.conn.snd_nxt, 1000)
    peer.send(flags="FA", seq=fin)
    ack = peer.expect_ack(timeout=1.0)
    assert all(left == fin for left, _ in ack.sack_blocks), ack.summary()


@pytest.mark.requirement("RFC2018-4-MUST-first-block-most-recent")
@pytest.mark.needs(sack=True)
def test_data_after_an_out_of_order_fin_ranks_first(ex, dut, endpoints):
    # RFC 2018 4: the first block reports the most recently received segment. An out-of-order
    # FIN (a block of its own at Linux, above) then text beyond another gap: the text's block
    # comes first; a second block, if any (the FIN's), is judged by the lockstep oracle.
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(flags="FA", seq=seq_add(peer.conn.snd_nxt, 1000))
    peer.expect_ack(timeout=1.0)
    text = seq_add(peer.conn.snd_nxt, 3000)
    peer.send(b"t", flags="PA", seq=text)
    ack = peer.expect_ack(timeout=1.0)
    assert ack.sack_blocks and ack.sack_blocks[0] == (text, seq_add(text, 1)), ack.summary()
