"""RFC 9293 3.10.7.4 (eighth check): a FIN is acknowledged; RFC 1122 4.2.3.2 lets a receiver
delay an ACK, by less than 0.5 s. Linux delays the ACK of an in-order FIN that moves ESTABLISHED
to CLOSE-WAIT: tcp_fin enters ping-pong mode (inet_csk_enter_pingpong_mode), so
__tcp_ack_snd_check arms the delayed-ACK timer (at least 40 ms) instead of answering at once
(measured: no ACK before the barrier that follows the FIN, the ACK some 40 ms later; the
oracle's prediction carries the delay latitude). From FIN-WAIT-1 and FIN-WAIT-2 tcp_fin sends
the ACK at once."""

import time

import pytest

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-ack-text-fin",
                         "RFC1122-4.2.3.2-MUST-ack-delay-under-half-second")
def test_ack_of_fin_in_established_within_half_a_second(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    sent = time.monotonic()
    peer.send(flags="FA", advance=True)
    peer.conn.expect(flags="A", ack=peer.conn.snd_nxt, timeout=1.0)
    assert time.monotonic() - sent < 0.5


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-ack-text-fin")
def test_ack_of_fin_in_fin_wait_2_is_immediate(ex, dut, endpoints):
    peer = reach("FIN-WAIT-2", ex, dut, endpoints)
    peer.send(flags="FA", advance=True)
    peer.expect_ack()
