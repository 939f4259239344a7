"""RFC 5961 5.2: a segment whose ACK is below SND.UNA - MAX.SND.WND is too old: it is discarded
(its text not delivered) and a challenge ACK sent. Linux's tcp_ack bounds MAX.SND.WND by the
octets the peer ever acknowledged (``max_window = min(tp->max_window, tp->bytes_acked)``: "do
not accept ACK for bytes we never sent"), so an ACK below SND.UNA by more than what was ever
acknowledged is too old. A passive open's SYN does not count (the request socket's child starts
with SND.UNA = ISS + 1); an active open's does (tcp_ack takes the SYN,ACK)."""

import pytest

from conformance.tcp_connection import seq_add

from .states import Peer, reach, start_active_open

DATA = b"injected?"


def _expect_discarded(peer, dut):
    peer.expect_ack()
    value, err = dut.recv_with_errno(peer.fd, 100, 0)
    assert err != 0, f"the DUT delivered text carried by a too old ACK: {value!r}"


def _old_ack(peer, dut, below, acceptable):
    """Text with SEG.ACK = SND.UNA - `below`: taken (a duplicate ACK), or discarded."""
    peer.send(DATA, flags="PA", ack=seq_add(peer.dut_snd_nxt, -below), advance=acceptable)
    if acceptable:
        peer.expect_ack()
        assert dut.recv(peer.fd, 100) == DATA
    else:
        _expect_discarded(peer, dut)


def _active_established(ex, dut, endpoints):
    conn, fd, _ = start_active_open(ex, dut, endpoints)
    conn.send(flags="SA", ack=seq_add(conn.rcv_nxt, 0))
    conn.expect(flags="A", ack=conn.snd_nxt)
    return Peer(conn, fd, "ESTABLISHED")


@pytest.mark.requirement("RFC5961-5.2-MUST-old-ack-challenge")
@pytest.mark.parametrize("below", [1, 1000])
def test_old_ack_before_any_data_is_too_old_on_a_passive_open(ex, dut, endpoints, below):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(DATA, flags="PA", ack=seq_add(peer.dut_snd_nxt, -below))
    _expect_discarded(peer, dut)
    peer.expect_alive()


@pytest.mark.requirement("RFC5961-5.2-MUST-old-ack-challenge",
                         "RFC9293-3.10.7.4-MUST-duplicate-ack-ignored")
@pytest.mark.parametrize("below,acceptable", [(1, True), (2, False)])
def test_an_active_open_counts_its_syn(ex, dut, endpoints, below, acceptable):
    _old_ack(_active_established(ex, dut, endpoints), dut, below, acceptable)


@pytest.mark.requirement("RFC5961-5.2-MUST-old-ack-challenge",
                         "RFC9293-3.10.7.4-MUST-duplicate-ack-ignored")
@pytest.mark.parametrize("below,acceptable", [(5, True), (6, False)])
def test_the_bound_is_what_was_acknowledged(ex, dut, endpoints, below, acceptable):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"hello")
    peer.conn.expect_data(b"hello")
    peer.conn.ack()
    _old_ack(peer, dut, below, acceptable)


@pytest.mark.requirement("RFC5961-5.2-MUST-old-ack-challenge")
@pytest.mark.parametrize("state", ["CLOSE-WAIT", "FIN-WAIT-2"])
def test_old_ack_before_any_data_in_other_states(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="A", ack=seq_add(peer.tester_ack, -2))
    peer.expect_ack()
    peer.expect_alive()
