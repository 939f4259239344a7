"""TCP_CORK and MSG_MORE (issue 12 item 1): an application's SEND calls without PUSH.

RFC 1122 4.2.2.2: "When an application issues a series of SEND calls without setting the PUSH
flag, the TCP MAY aggregate the data internally without sending it." RFC 9293 3.9.1.2: "If the
PUSH flag is not set, the data may be combined with data from subsequent SENDs for transmission
efficiency." Linux's TCP_CORK socket option and its MSG_MORE send flag are such SENDs
(measured on Linux 6.18, modelled by the oracle in both profiles):
- while corked, a partial segment is held (tcp_nagle_check with TCP_NAGLE_CORK) and full
  segments go at once; MSG_MORE corks the one call (tcp_push);
- uncorking pushes what is held (do_tcp_setsockopt -> tcp_push_pending_frames), subject to
  Nagle as usual; a later SEND without MSG_MORE pushes what earlier MSG_MORE calls left;
- the segment that carries the FIN is never held (tcp_nagle_test);
- the data is not held for ever: with nothing in flight the probe timer is armed
  (tcp_check_probe_timer: max(RTO, 200 ms)) and sends the held data when it fires
  (tcp_send_probe0 -> tcp_write_wakeup), the "200 millisecond ceiling" of tcp(7). RFC 1122
  4.2.2.2 asks the same of a TCP without PUSH flags: it "must not buffer data indefinitely".

Waits: each connection's handshake takes HANDSHAKE_RTT_S (the tester holds its ACK), so the
DUT's RTO, and with it the probe timer, is about 3 x 0.2 s (RFC 6298 2.2: SRTT + 4 x RTTVAR
from the first sample): a hold the test checks (a few milliseconds from the SEND to the barrier
or the uncork) cannot end by the timer on a loaded machine.
The ceiling test waits for that timer (the oracle predicts its time from the same sample)."""

import socket

import pytest

from reference_stack.sockopt import MSG_MORE, TCP_CORK
from reference_stack.wire.tcp import FIN, PSH

from .states import LISTEN_PORT, Peer, listen

pytestmark = pytest.mark.families("ipv4", "ipv6")

AGGREGATE = "RFC1122-4.2.2.2-MAY-aggregate-unpushed-sends"
NOT_FOREVER = "RFC1122-4.2.2.2-MUST-not-buffer-indefinitely"
TCP = socket.IPPROTO_TCP
HANDSHAKE_RTT_S = 0.2


def established(ex, dut, endpoints):
    """A DUT connection whose first RTT sample (SYN-ACK to ACK) is HANDSHAKE_RTT_S."""
    listener = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    conn.expect(flags="SA", ack=conn.snd_nxt)
    ex.sleep(HANDSHAKE_RTT_S)
    conn.send(flags="A")
    fd, _ = dut.accept(listener)
    return Peer(conn, fd, "ESTABLISHED", listener)


def corked(ex, dut, endpoints):
    peer = established(ex, dut, endpoints)
    dut.setsockopt(peer.fd, TCP, TCP_CORK, 1)
    return peer


@pytest.mark.requirement(AGGREGATE)
def test_corked_partial_segment_waits_for_the_uncork(ex, dut, endpoints):
    peer = corked(ex, dut, endpoints)
    dut.send(peer.fd, b"a" * 100)
    peer.conn.expect_nothing()
    dut.setsockopt(peer.fd, TCP, TCP_CORK, 0)
    seg = peer.conn.expect_data(b"a" * 100)
    assert seg.flags & PSH
    peer.conn.ack()


@pytest.mark.requirement(AGGREGATE)
def test_corked_sends_are_combined_into_one_segment(ex, dut, endpoints):
    peer = corked(ex, dut, endpoints)
    for chunk in (b"a" * 100, b"b" * 200, b"c" * 300):
        dut.send(peer.fd, chunk)
    peer.conn.expect_nothing()
    dut.setsockopt(peer.fd, TCP, TCP_CORK, 0)
    peer.conn.expect_data(b"a" * 100 + b"b" * 200 + b"c" * 300)
    peer.conn.ack()


@pytest.mark.requirement(AGGREGATE)
def test_corked_full_segments_go_and_the_tail_waits(ex, dut, endpoints):
    peer = corked(ex, dut, endpoints)
    data = bytes(range(256)) * 12  # 3,072 octets: two full segments and a partial tail
    dut.send(peer.fd, data)
    first = peer.conn.expect(flags=None)
    size = len(first.payload)
    second = peer.conn.expect(data[size:2 * size], flags=None)
    assert len(second.payload) == size and 2 * size < len(data)
    peer.conn.ack()
    peer.conn.expect_nothing()
    dut.setsockopt(peer.fd, TCP, TCP_CORK, 0)
    peer.conn.expect_data(data[2 * size:])
    peer.conn.ack()


@pytest.mark.requirement(NOT_FOREVER)
def test_corked_data_goes_when_the_probe_timer_fires(ex, dut, endpoints):
    peer = corked(ex, dut, endpoints)
    dut.send(peer.fd, b"a" * 100)
    seg = peer.conn.expect_data(b"a" * 100, timeout=3.0)
    assert seg.flags & PSH
    peer.conn.ack()
    peer.conn.expect_nothing()


@pytest.mark.requirement(AGGREGATE, "RFC9293-3.10.4-MUST-send-fin")
def test_close_sends_corked_data_with_the_fin(ex, dut, endpoints):
    peer = corked(ex, dut, endpoints)
    dut.send(peer.fd, b"a" * 100)
    peer.conn.expect_nothing()
    dut.close(peer.fd)
    seg = peer.conn.expect(b"a" * 100, flags=None, seq=peer.conn.rcv_nxt)
    if not seg.flags & FIN:  # RFC 9293 3.10.4: the FIN follows all preceding SENDs
        peer.conn.expect(flags="FA")
    peer.conn.ack()


@pytest.mark.requirement(AGGREGATE)
def test_msg_more_waits_for_the_next_send(ex, dut, endpoints):
    peer = established(ex, dut, endpoints)
    dut.send(peer.fd, b"a" * 100, MSG_MORE)
    peer.conn.expect_nothing()
    dut.send(peer.fd, b"b" * 100)
    peer.conn.expect_data(b"a" * 100 + b"b" * 100)
    peer.conn.ack()


@pytest.mark.requirement(AGGREGATE)
def test_msg_more_corks_only_its_own_call(ex, dut, endpoints):
    peer = established(ex, dut, endpoints)
    dut.send(peer.fd, b"a" * 100)
    peer.conn.expect_data(b"a" * 100)
    peer.conn.ack()
    ex.settle()  # the ACK taken (an ACK after the sends would push them: tcp_data_snd_check)
    dut.send(peer.fd, b"b" * 100, MSG_MORE)
    dut.send(peer.fd, b"c" * 100, MSG_MORE)
    peer.conn.expect_nothing()
    dut.send(peer.fd, b"d" * 100)
    peer.conn.expect_data(b"b" * 100 + b"c" * 100 + b"d" * 100)
    peer.conn.ack()


@pytest.mark.requirement(AGGREGATE)
@pytest.mark.parametrize("value", [1, 0], ids=["corked", "uncorked"])
def test_cork_reads_back(dut, value):
    fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    dut.setsockopt(fd, TCP, TCP_CORK, value)
    assert dut.getsockopt(fd, TCP, TCP_CORK) == value


@pytest.mark.requirement(AGGREGATE, "RFC9293-3.10.2-MUST-send-data")
def test_data_sent_with_msg_more_arrives_with_the_next_send(ex, dut, endpoints):
    """Whatever the stack's choice (hold it, or send it without PSH, or ignore the flag: the
    lockstep judges it by the target's profile), the data of both sends arrives in order."""
    peer = established(ex, dut, endpoints)
    dut.send(peer.fd, b"a" * 100, MSG_MORE)
    dut.send(peer.fd, b"b" * 100)
    data = b"a" * 100 + b"b" * 100
    got = peer.conn.expect(flags=None, seq=peer.conn.rcv_nxt).payload
    if got != data:
        assert got == data[:len(got)]
        peer.conn.ack()
        assert peer.conn.expect(flags=None, seq=peer.conn.rcv_nxt).payload == data[len(got):]
    peer.conn.ack()
