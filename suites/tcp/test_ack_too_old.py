"""RFC 5961 5.2: a segment whose ACK is below SND.UNA - MAX.SND.WND is too old: it is discarded
(its text not delivered) and a challenge ACK sent. Linux's tcp_ack bounds MAX.SND.WND by the
octets the peer ever acknowledged (``max_window = min(tp->max_window, tp->bytes_acked)``: "do
not accept ACK for bytes we never sent"), so an ACK below SND.UNA by more than what was ever
acknowledged is too old. A passive open's SYN does not count (the request socket's child starts
with SND.UNA = ISS + 1); an active open's does (tcp_ack takes the SYN,ACK).

The assertions are what every stack owes (RFC 9293, RFC 5961 MUSTs); the answers left to a
stack's choice are judged by the lockstep oracle with the target's profile (the `linux`
profile models the kernel behaviour described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import active_established, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

DATA = b"injected?"


def _answered(peer, dut):
    """Both readings answer: a challenge ACK (too old), or the ACK of the text taken (RFC 9293
    3.10.7.4: a duplicate ACK is ignored, the text processed); whether the text was taken is
    the oracle's to judge (the recv call below is compared with its prediction)."""
    peer.expect_ack(immediate=True)  # (either is sent at once: a challenge ACK, a quick ACK)
    dut.recv_with_errno(peer.fd, 100, 0)


def _old_ack(peer, dut, below, acceptable):
    """Text with SEG.ACK = SND.UNA - `below`: within MAX.SND.WND of SND.UNA, taken as a
    duplicate ACK by every stack when `acceptable`; else Linux's bound makes it too old."""
    peer.send(DATA, flags="PA", ack=seq_add(peer.dut_snd_nxt, -below), advance=acceptable)
    if acceptable:
        peer.expect_ack()
        assert dut.recv(peer.fd, 100) == DATA
    else:
        _answered(peer, dut)


@pytest.mark.requirement("RFC5961-5.2-MUST-ack-too-old")
@pytest.mark.parametrize("below", [1, 1000])
def test_old_ack_before_any_data_on_a_passive_open(ex, dut, endpoints, below):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(DATA, flags="PA", ack=seq_add(peer.dut_snd_nxt, -below))
    _answered(peer, dut)


@pytest.mark.requirement("RFC5961-5.2-MUST-ack-too-old",
                         "RFC9293-3.10.7.4-MUST-duplicate-ack-ignored")
@pytest.mark.parametrize("below,acceptable", [(1, True), (2, False)])
def test_an_active_open_counts_its_syn(ex, dut, endpoints, below, acceptable):
    _old_ack(active_established(ex, dut, endpoints), dut, below, acceptable)


@pytest.mark.requirement("RFC5961-5.2-MUST-ack-too-old",
                         "RFC9293-3.10.7.4-MUST-duplicate-ack-ignored")
@pytest.mark.parametrize("below,acceptable", [(5, True), (6, False)])
def test_the_bound_is_what_was_acknowledged(ex, dut, endpoints, below, acceptable):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"hello")
    peer.conn.expect_data(b"hello")
    peer.conn.ack()
    _old_ack(peer, dut, below, acceptable)


@pytest.mark.requirement("RFC5961-5.2-MUST-ack-too-old")
@pytest.mark.parametrize("state", ["CLOSE-WAIT", "FIN-WAIT-2"])
def test_old_ack_before_any_data_in_other_states(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="A", ack=seq_add(peer.tester_ack, -2))  # Linux: a challenge ACK
    peer.expect_alive()
