"""RFC 1122 4.2.2.20 (SHOULD) and RFC 9293 3.10.7.4: out-of-order text within the window is
queued and delivered once the gap is filled; a segment overlapping already received text is
trimmed so only the new octets are delivered."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement(
    "RFC1122-4.2.2.20-SHOULD-queue-out-of-order",
    "RFC9293-3.10.7.4-MUST-text-deliver",
)
@pytest.mark.parametrize("order", ["second-first", "third-second-first"])
def test_out_of_order_text_is_delivered_in_order(ex, dut, endpoints, order):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    chunks = [b"first-", b"second-", b"third"][: order.count("-") + 1]
    base = peer.conn.snd_nxt
    offsets = [sum(len(c) for c in chunks[:i]) for i in range(len(chunks))]
    for i in reversed(range(len(chunks))):
        peer.send(chunks[i], flags="PA", seq=seq_add(base, offsets[i]))
        peer.conn.expect(flags="A")
    peer.conn.snd_nxt = seq_add(base, sum(map(len, chunks)))
    assert peer.conn.last.ack == peer.conn.snd_nxt, "the filled gap was not acknowledged"
    received = b""
    while len(received) < len(b"".join(chunks)):
        received += dut.recv(peer.fd, 100)
    assert received == b"".join(chunks)


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-trim-to-window")
def test_overlapping_segment_delivers_only_new_text(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"abcdef", flags="PA", advance=True)
    peer.expect_ack()
    peer.send(b"defghi", flags="PA", seq=seq_add(peer.conn.snd_nxt, -3))
    peer.conn.snd_nxt = seq_add(peer.conn.snd_nxt, 3)
    peer.conn.expect(flags="A", ack=peer.conn.snd_nxt)
    received = dut.recv(peer.fd, 100)
    if len(received) < 9:
        received += dut.recv(peer.fd, 100)
    assert received == b"abcdefghi"
