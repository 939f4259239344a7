"""getsockopt(TCP_INFO) as a typed record (issue 12 item 2; RFC 9293 3.9.1.10 STATUS): the
state, the MSS values, what is in flight and the congestion window a stack reports, in each
state a test can bring a connection to. The lockstep compares the record's model-fixed fields
with the oracle's (reference_stack/tcp/info.py COMPARED)."""

import socket

import pytest

from conformance.author.templates import TCP
from reference_stack.sockopt import TCP_INFO

from .flight import sends_loss_probes
from .states import FIN_UNACKED, LISTEN_PORT, listen, reach, start_active_open

STATUS = "RFC9293-3.9.1.10-MAY-status"


def info(dut, fd):
    return dut.getsockopt(fd, socket.IPPROTO_TCP, TCP_INFO)


@pytest.mark.families()
@pytest.mark.requirement(STATUS)
@pytest.mark.parametrize("state", ["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
                                   "CLOSING", "LAST-ACK"])
def test_tcp_info_reports_the_state(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    if state in FIN_UNACKED:
        # RFC 9293 3.3.2: the state holds until the DUT's FIN is acknowledged, across the FIN's
        # retransmission too: read after it, so the record does not depend on whether the
        # retransmission timer fired before the read (netstack's snd.go maybeSendSegment
        # sets FIN-WAIT-1 whenever it sends a FIN outside CLOSE-WAIT, its RTO's resend too)
        ex.expect(TCP(src_port=peer.conn.dut_port, dst_port=peer.conn.tester_port,
                      flags="FA"), timeout=5.0)
    ex.settle()  # (a stack answering asynchronously has taken the last segment)
    assert info(dut, peer.fd).state == state


@pytest.mark.requirement(STATUS)
def test_tcp_info_of_a_listener_counts_its_accept_queue(ex, dut, endpoints):
    fd = listen(dut, endpoints, backlog=5)
    before = info(dut, fd)
    assert (before.state, before.unacked, before.sacked) == ("LISTEN", 0, 5)
    ex.tcp(dut_port=LISTEN_PORT).handshake()
    ex.settle()
    assert info(dut, fd).unacked == 1


@pytest.mark.families()
@pytest.mark.requirement(STATUS)
def test_tcp_info_of_an_unconnected_socket(dut):
    record = info(dut, dut.socket(socket.AF_INET, socket.SOCK_STREAM))
    assert record.state == "CLOSED" and record.unacked == 0


@pytest.mark.requirement(STATUS)
def test_tcp_info_in_syn_sent(ex, dut, endpoints):
    _, fd, _ = start_active_open(ex, dut, endpoints)
    record = info(dut, fd)
    assert record.state == "SYN-SENT" and record.unacked == 1


@pytest.mark.requirement(STATUS, "RFC6691-2-MUST-options-within-mss")
@pytest.mark.parametrize("timestamps", [True, False], ids=["with-ts", "without-ts"])
def test_tcp_info_mss_values(ex, dut, endpoints, bed, timestamps):
    from .options import dut_mss, dut_send_limit, syn_options, timestamps_reserve

    fd = listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(mss=1460, timestamps=timestamps))
    conn.handshake()
    child, _ = dut.accept(fd)
    record = info(dut, child)
    p = bed.oracle_profile  # (1460 on Ethernet; a route's mtu or advmss changes them)
    reserve = timestamps_reserve(p, timestamps)
    assert record.snd_mss == min(1460, dut_send_limit(p)) - reserve
    assert record.advmss == dut_mss(p) - reserve


@pytest.mark.families()
@pytest.mark.requirement(STATUS)
@pytest.mark.parametrize("segments", [1, 2, 3], ids=["1", "2", "3"])
def test_tcp_info_counts_segments_in_flight(ex, dut, endpoints, segments):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(segments):
        dut.send(peer.fd, bytes([65 + i]) * 100)
        # the new segment (a tail loss probe may resend the one before: on a loaded machine
        # its timer, about two handshake RTTs, can run before the next send())
        peer.conn.expect(flags="PA", seq=peer.conn.rcv_nxt)
    record = info(dut, peer.fd)
    assert record.unacked == segments
    peer.conn.send(flags="A", ack=peer.conn.rcv_nxt)
    ex.settle()
    assert info(dut, peer.fd).unacked == 0


@pytest.mark.families()
@pytest.mark.requirement(STATUS, "RFC6298-5.5-MUST-backoff-doubles")
@pytest.mark.needs(tail_loss_probe=True)
def test_tcp_info_counts_timeouts_not_probes(ex, dut, endpoints, bed):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"lost")
    first = peer.conn.expect(flags="PA")
    # (Linux probes SACK connections only: with net.ipv4.tcp_sack=0 the RTO comes first)
    if sends_loss_probes(bed):
        peer.conn.expect(flags="PA", seq=first.seq, timeout=1.5)  # a tail loss probe (RFC 8985)
        assert info(dut, peer.fd).retransmits == 0
    peer.conn.expect(flags="PA", seq=first.seq, timeout=1.5)  # the RTO fired
    record = info(dut, peer.fd)
    assert record.retransmits == 1 and record.unacked == 1


@pytest.mark.families()
@pytest.mark.requirement(STATUS)
def test_tcp_info_initial_congestion_window(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    record = info(dut, peer.fd)
    assert record.snd_cwnd >= 1 and record.rto > 0
