"""RFC 5681 4.2 and RFC 2018 4: out-of-order data SHOULD be acknowledged at once, with SACK
blocks. Stacks may hold later duplicate ACKs briefly (Linux compresses SACKs after the third at
one RCV.NXT, tcp_comp_sack_nr, for up to a millisecond): the ACK for a fourth out-of-order
segment comes, at once or a little later, and reports it in its first block. A DUT with SACK
off (net.ipv4.tcp_sack=0) sends each of these duplicate ACKs at once, without blocks (Linux
__tcp_ack_snd_check compresses SACK connections' only).

The four segments and their holes span 800 octets, inside any receive window the DUT offers
(a route's initrwnd bounds its first window to a few segments: RFC 9293 3.10.7.4 drops a
segment beyond it, which is not what this test is about)."""

import pytest

from conformance.author.tcp_connection import seq_add
from reference_stack.wire.frame import dissect

from .options import sacked
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC2018-4-SHOULD-sack-on-out-of-order",
                         "RFC2018-4-MUST-first-block-most-recent",
                         "RFC5681-3.2-SHOULD-immediate-dupack")
def test_fourth_out_of_order_segment_is_sacked(ex, dut, endpoints, bed):
    p = bed.oracle_profile
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    base = peer.conn.snd_nxt
    for offset in (100, 300, 500):
        left = seq_add(base, offset)
        peer.send(b"o" * 100, flags="PA", seq=left)
        ack = peer.expect_ack(timeout=1.0)
        assert ack.sack_blocks[:1] == sacked(p, (left, seq_add(left, 100))), ack.summary()
    left = seq_add(base, 700)
    peer.send(b"o" * 100, flags="PA", seq=left)
    early = [dissect(f).tcp for f in ex.settle() if dissect(f).tcp is not None]
    if not p.sack:  # nothing compressed: the duplicate ACK came before the barrier's answer
        assert early, "no duplicate ACK at once for the fourth out-of-order segment"
    ack = early[0] if early else peer.expect_ack(timeout=1.0)
    assert ack.sack_blocks[:1] == sacked(p, (left, seq_add(left, 100))), ack.summary()
