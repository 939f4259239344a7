"""RFC 2883 (D-SACK, with SACK negotiated): a receiver reports a duplicate segment in the first
SACK block of its ACK: a duplicate below the cumulative ACK as a block below the ACK field
(section 4 example 1), a duplicate of out-of-order data it holds as a block followed by the
block holding it (examples 4-5); each duplicate is reported once. D-SACK is optional (RFC 2883
needs no negotiation): a DUT without it (Linux net.ipv4.tcp_dsack = 0) skips these tests."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = [pytest.mark.families("ipv4", "ipv6"), pytest.mark.needs(sack=True, dsack=True)]


def _sent_twice(conn) -> tuple[int, object]:
    """100 octets in order, acknowledged, then the same segment again: (its start, the ACK
    of the duplicate)."""
    start = conn.snd_nxt
    conn.send(b"d" * 100, flags="PA")
    conn.expect(flags="A", ack=conn.snd_nxt)
    conn.send(b"d" * 100, flags="PA", seq=start, advance=False)  # the same segment again
    return start, conn.expect(flags="A", ack=conn.snd_nxt)


@pytest.mark.requirement(
    "RFC2883-4-SHOULD-dsack-first-block",
    "RFC2883-4-SHOULD-dsack-below-cumulative-ack",
)
def test_duplicate_below_the_cumulative_ack_is_reported(ex, dut, endpoints):
    start, ack = _sent_twice(reach("ESTABLISHED", ex, dut, endpoints).conn)
    assert ack.sack_blocks[:1] == ((start, seq_add(start, 100)),), ack.summary()


@pytest.mark.requirement(
    "RFC2883-4-SHOULD-dsack-then-containing-block",
    "RFC2883-4-SHOULD-dsack-first-block",
)
def test_duplicate_of_out_of_order_data_is_reported_with_its_block(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    conn = peer.conn
    left = seq_add(conn.snd_nxt, 1000)
    block = (left, seq_add(left, 300))
    conn.send(b"o" * 300, flags="PA", seq=left, advance=False)
    ack = conn.expect(flags="A", ack=conn.snd_nxt)
    assert ack.sack_blocks[:1] == (block,), ack.summary()
    conn.send(b"o" * 100, flags="PA", seq=left, advance=False)  # part of it again
    ack = conn.expect(flags="A", ack=conn.snd_nxt)
    assert ack.sack_blocks[:2] == ((left, seq_add(left, 100)), block), ack.summary()


@pytest.mark.requirement("RFC2883-4-SHOULD-dsack-once")
def test_duplicate_is_reported_once(ex, dut, endpoints):
    conn = reach("ESTABLISHED", ex, dut, endpoints).conn
    _, ack = _sent_twice(conn)
    assert ack.sack_blocks, ack.summary()
    conn.send(b"n" * 100, flags="PA")  # new data, in order: nothing to report
    ack = conn.expect(flags="A", ack=conn.snd_nxt)
    assert ack.sack_blocks == (), ack.summary()
