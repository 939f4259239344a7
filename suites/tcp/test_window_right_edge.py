"""RFC 9293 3.10.7.4 (first check) at the right edge of the window the DUT advertised, RCV.NXT
plus its last window field shifted by its scale (RFC 7323 2.2): a RST in the window but not at
RCV.NXT draws a challenge ACK (RFC 5961 3.2) and one beyond the edge is dropped; a zero-length
ACK at or within the edge is taken, beyond it answered with an ACK; text in the window's last
scale unit is queued (out of order: a SACK block, RFC 2018 4). The edge is the advertised one:
where the DUT rounds RCV.WND to the scale unit (RFC 7323 2.3 allows either way), the field
says how far the window reaches."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _edge(peer):
    """The right edge the DUT last advertised, after an ACK of one octet of data."""
    peer.send(b"x", flags="PA", advance=True)
    ack = peer.expect_ack()
    return seq_add(ack.ack, ack.window << (peer.conn.their_wscale or 0))


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-challenge-ack",
                         "RFC5961-3.2-MUST-rst-challenge-ack")
@pytest.mark.parametrize("offset", [0, -1], ids=["at-edge", "last-octet"])
def test_rst_at_the_right_edge_gets_challenge_ack(ex, dut, endpoints, offset):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(flags="R", seq=seq_add(_edge(peer), offset))
    peer.expect_ack(timeout=1.0)
    peer.expect_alive()


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-out-of-window",
                         "RFC5961-3.2-MUST-rst-out-of-window")
def test_rst_beyond_the_right_edge_is_dropped(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(flags="R", seq=seq_add(_edge(peer), 1))
    peer.expect_no_reply()
    peer.expect_alive()


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
@pytest.mark.parametrize("offset,answered", [(0, False), (1, True)], ids=["at-edge", "beyond"])
def test_pure_ack_at_the_right_edge(ex, dut, endpoints, offset, answered):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(flags="A", seq=seq_add(_edge(peer), offset))
    if answered:
        peer.expect_ack(timeout=1.0)
    else:
        peer.expect_no_reply()
    peer.expect_alive()


@pytest.mark.requirement("RFC2018-4-SHOULD-sack-on-out-of-order")
@pytest.mark.needs(sack=True)
def test_text_in_the_last_scale_unit_is_queued(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    left = seq_add(_edge(peer), -10)
    peer.send(b"y" * 10, flags="PA", seq=left)
    ack = peer.expect_ack(timeout=1.0)
    assert ack.sack_blocks[:1] == ((left, seq_add(left, 10)),), ack.summary()


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check",
                         "RFC9293-3.10.7.4-MUST-trim-to-window")
@pytest.mark.parametrize("queue", ["unread-text", "read"])
# Without window scaling Linux rounds an unscaled window down to the MSS from its previous
# offer (__tcp_select_window), which the oracle's RCV.WND does not follow: where the edge lies
# is then not predicted, and this test's SACK blocks are judged against the edge.
@pytest.mark.needs(window_scaling=True)
def test_text_ending_beyond_the_right_edge(ex, dut, endpoints, queue):
    # RFC 9293 3.10.7.4 takes the part in the window; Linux tcp_sequence refuses the whole
    # segment while its receive queue holds unread text (TCP_INVALID_END_SEQUENCE) and takes it
    # whole once the queue is empty. Either way an ACK at RCV.NXT answers at once (out of order
    # or refused); its SACK blocks are judged by the lockstep oracle (measured on Linux 6.18).
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    edge = _edge(peer)
    if queue == "read":
        assert dut.recv(peer.fd, 100) == b"x"
    peer.send(b"z" * 20, flags="PA", seq=seq_add(edge, -10))
    peer.expect_ack(timeout=1.0)
