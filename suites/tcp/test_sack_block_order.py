"""RFC 2018 4: the first SACK block covers the segment that triggered the ACK, and the others
repeat the most recently reported blocks, most recent first: three out-of-order segments sent
in ascending order are reported newest first; a segment extending an earlier block brings that
block to the front."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _out_of_order(peer, offset: int, size: int = 100) -> tuple[int, int]:
    left = seq_add(peer.conn.snd_nxt, offset)
    peer.send(b"o" * size, flags="PA", seq=left)
    return left, seq_add(left, size)


@pytest.mark.requirement("RFC2018-4-MUST-first-block-most-recent",
                         "RFC2018-4-SHOULD-repeat-recent-blocks")
@pytest.mark.needs(sack=True)
def test_blocks_are_reported_most_recent_first(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    blocks = []
    for offset in (1000, 3000, 5000):
        blocks.insert(0, _out_of_order(peer, offset))
        ack = peer.expect_ack(timeout=1.0)
        assert ack.sack_blocks == tuple(blocks), ack.summary()


@pytest.mark.requirement("RFC2018-4-MUST-first-block-most-recent",
                         "RFC2018-4-SHOULD-repeat-recent-blocks")
@pytest.mark.needs(sack=True)
def test_extended_block_moves_to_the_front(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    first = _out_of_order(peer, 1000)
    peer.expect_ack(timeout=1.0)
    second = _out_of_order(peer, 3000)
    peer.expect_ack(timeout=1.0)
    _out_of_order(peer, 1100)
    ack = peer.expect_ack(timeout=1.0)
    assert ack.sack_blocks == ((first[0], seq_add(first[1], 100)), second), ack.summary()
