"""RFC 9293 3.10.7.4 (seventh and eighth checks): text and a FIN taken in order are
acknowledged, and RFC 1122 4.2.3.2 lets that ACK wait less than 0.5 s. What the DUT's own
sending holds back does not hold the ACK it owes: data that Nagle (RFC 1122 4.2.3.4) keeps
while earlier data is unacknowledged waits for that acknowledgment, an ACK to the peer does not
(lwIP's tcp_output breaks out of its send loop on the Nagle test before it sends the empty ACK:
stateful fuzz findings e8a5bc085f55, 41de8e413d54).

Waits: the DUT's delayed ACK of the FIN (Linux: ping-pong mode, some 40 ms)."""

import time

import pytest

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-ack-text-fin",
                         "RFC1122-4.2.3.2-MUST-ack-delay-under-half-second")
def test_text_and_fin_are_acknowledged_while_nagle_holds_data(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    unacknowledged = peer.dut_snd_nxt
    dut.send(peer.fd, b"1")
    peer.conn.expect_data(b"1")
    dut.send(peer.fd, b"2")  # a partial segment while "1" is unacknowledged: held by Nagle
    # Text and a FIN in sequence, the ACK field still at "1" (a duplicate: "2" stays held).
    # (A stack without Nagle sent "2" already; one that retransmits "1" early may too: the
    # test asks only for the ACK.)
    sent = time.monotonic()
    peer.send(b"text", flags="FPA", ack=unacknowledged, advance=True)
    peer.conn.expect(flags="A", ack=peer.conn.snd_nxt, timeout=1.0)
    assert time.monotonic() - sent < 0.5
