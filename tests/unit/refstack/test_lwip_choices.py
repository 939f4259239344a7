"""The `lwip` profile's modelled choices against the `rfc` profile: lwIP 2.1.3's ICMP echo
reply keeps the request's code (icmp.c icmp_input), an echo to a broadcast address is not
answered (LWIP_BROADCAST_PING 0), and IGMP is a protocol it runs (LWIP_IGMP 1: no Protocol
Unreachable)."""

from __future__ import annotations

import errno

import pytest

from reference_stack.profiles import LWIP, RFC
from reference_stack.socket_api import SO_LINGER, SOL_SOCKET
from reference_stack.tcp.state import State
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP
from reference_stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TcpOptMss, TcpOptNop
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import connected_pair, make_stack, syn_options, tcp_of
from tests.unit.refstack.test_iface_linux_icmp import ip_frame

ECHO, ECHO_REPLY = 8, 0


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_echo_reply_code(profile) -> None:
    request = ip_frame(IPPROTO_ICMP, Icmpv4Repr(ECHO, 5, 0x00010001, b"ping").emit())
    (reply,) = make_stack(profile).receive(request, 1.0).frames
    icmp = dissect(reply).icmpv4
    assert icmp.type == ECHO_REPLY
    assert icmp.code == (5 if profile is LWIP else 0)


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_igmp_datagram(profile) -> None:
    igmp_query = bytes.fromhex("11640000") + bytes(4)
    frames = make_stack(profile).receive(ip_frame(2, igmp_query), 1.0).frames
    if profile is LWIP:
        assert frames == ()
    else:
        (error,) = frames
        assert dissect(error).icmpv4.type == 3 and dissect(error).icmpv4.code == 2


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_close_sends_data_held_by_nagle_with_the_fin(profile) -> None:
    link, a, _, _ = connected_pair(profile)
    link.drop = lambda who, d: who == "b"  # no ACKs come back
    link.call(link.a, "send", a, b"first")
    link.call(link.a, "send", a, b"held")  # Nagle: "first" is unacknowledged
    link.call(link.a, "shutdown", a, 1)
    sent = [d.tcp for w, d, _ in link.log if w == "a" and d.tcp and d.tcp.payload]
    # RFC 1122 4.2.3.4: "held" and the FIN wait for the ACK of "first"; lwIP's
    # tcp_close_shutdown_fin -> tcp_output sends them at once (no Nagle test)
    lwip = profile is LWIP
    assert [s.payload for s in sent] == ([b"first", b"held"] if lwip else [b"first"])
    assert not lwip or sent[1].flags & 0x01  # FIN


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_send_and_shutdown_after_shutdown(profile) -> None:
    link, a, _, _ = connected_pair(profile)
    assert link.call(link.a, "shutdown", a, 1).errno == 0
    # POSIX: send() after shutdown(SHUT_WR) is EPIPE, a second shutdown() succeeds; lwIP's
    # tcp_write_checks and tcp_shutdown (FIN_WAIT_1) refuse with ERR_CONN: ENOTCONN
    lwip = profile is LWIP
    assert link.call(link.a, "send", a, b"x").errno == (errno.ENOTCONN if lwip else errno.EPIPE)
    assert link.call(link.a, "shutdown", a, 1).errno == (errno.ENOTCONN if lwip else 0)


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_recv_after_the_end_of_file(profile) -> None:
    link, a, _, b = connected_pair(profile)
    link.call(link.b, "shutdown", b, 1)  # the peer's FIN
    link.deliver()
    first, second = link.call(link.a, "recv", a, 10), link.call(link.a, "recv", a, 10)
    assert (first.value, first.errno) == (b"", 0)
    # POSIX: 0 again; lwIP's netconn_recv_data_tcp freed its mailbox after the FIN: ENOTCONN
    lwip = profile is LWIP
    assert (second.value, second.errno) == ((None, errno.ENOTCONN) if lwip else (b"", 0))


# -- lwIP stateful findings (lwst) ------------------------------------------------------------

def _orphan_fin_wait_1(profile):
    """An orphaned FIN-WAIT-1: the peer's handshake accepted, then close()."""
    c = bring_to(State.LISTEN, profile)
    c.note(c.advance(SYN, options=syn_options(wscale=None, ts=None)))
    c.note(c.seg(ACK))
    child = c.stack.accept(c.listen_fd).value[0]
    c.note(c.stack.close(child, 0.0).reaction)  # our FIN
    assert c.state() is State.FIN_WAIT_1
    return c


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_in_order_data_after_close_aborts_from_the_connection(profile) -> None:
    """RFC 1122 4.2.2.13 (a RST, its form open): the rfc profile answers the segment
    (<SEQ=SEG.ACK><CTL=RST>); lwIP's tcp_receive takes the text, then tcp_input's tcp_abort
    sends RST,ACK at SND.NXT acknowledging it (stateful finding 09c385b8f71f)."""
    c = _orphan_fin_wait_1(profile)
    fin_not_acked = c.rcv_nxt - 1
    (rst,) = c.note(c.seg(ACK | PSH, ack=fin_not_acked, payload=b"x"))
    assert c.state() is State.CLOSED
    if profile is LWIP:
        assert (rst.flags, rst.seq, rst.ack) == (RST | ACK, c.rcv_nxt, c.snd_nxt + 1)
    else:
        assert (rst.flags, rst.seq) == (RST, fin_not_acked)


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_out_of_order_data_after_close_is_queued(profile) -> None:
    """Text beyond RCV.NXT after close(): the rfc profile resets (RFC 1122 4.2.2.13); lwIP
    queues it out of order and acknowledges RCV.NXT (tcp_input aborts only on in-order text:
    stateful finding 5c825436f9df)."""
    c = _orphan_fin_wait_1(profile)
    (reply,) = c.note(c.seg(ACK | PSH, seq=c.snd_nxt + 100, payload=b"later"))
    if profile is LWIP:
        assert (reply.flags, reply.ack) == (ACK, c.snd_nxt)
        assert c.state() is State.FIN_WAIT_2
    else:
        assert reply.flags & RST and c.state() is State.CLOSED


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_close_with_unread_data_after_shutdown(profile) -> None:
    """close() with unread data after shutdown(SHUT_WR): RFC 1122 4.2.2.13's RST from the
    rfc profile; lwIP's tcp_close_shutdown resets only in ESTABLISHED and CLOSE_WAIT
    (stateful finding e8c52668cc5e)."""
    link, a, _, b = connected_pair(profile)
    link.call(link.a, "shutdown", a, 1)
    link.call(link.b, "send", b, b"unread")
    link.deliver()
    before = len(link.log)
    link.call(link.a, "close", a)
    sent = [d.tcp for w, d, _ in link.log[before:] if w == "a" and d.tcp]
    assert [s.flags & RST for s in sent] == ([] if profile is LWIP else [RST])


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_recv_after_a_reset(profile) -> None:
    """POSIX: recv() reports ECONNRESET once, then the end of file; lwIP's err_tcp posts the
    error to the mailbox and keeps it pending: two ECONNRESET, then ENOTCONN (stateful finding
    706b0eb9113c)."""
    link, a, _, b = connected_pair(profile)
    link.call(link.b, "setsockopt", b, SOL_SOCKET, SO_LINGER, (1, 0))
    link.call(link.b, "close", b)  # a RST
    link.deliver()
    got = [link.call(link.a, "recv", a, 10) for _ in range(3)]
    want = ([(None, errno.ECONNRESET)] * 2 + [(None, errno.ENOTCONN)] if profile is LWIP
            else [(None, errno.ECONNRESET), (b"", 0), (b"", 0)])
    assert [(r.value, r.errno) for r in got] == want


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_recv_after_send_reported_the_reset(profile) -> None:
    """send() takes the pending error (ECONNRESET); POSIX recv() then reads the end of file,
    lwIP's recv() the error err_tcp posted to its mailbox (stateful finding 706b0eb9113c)."""
    link, a, _, b = connected_pair(profile)
    link.call(link.b, "setsockopt", b, SOL_SOCKET, SO_LINGER, (1, 0))
    link.call(link.b, "close", b)  # a RST
    link.deliver()
    assert link.call(link.a, "send", a, b"x").errno == errno.ECONNRESET
    got = link.call(link.a, "recv", a, 10)
    assert (got.value, got.errno) == ((None, errno.ECONNRESET) if profile is LWIP else (b"", 0))


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_rst_in_time_wait(profile) -> None:
    """RFC 9293 3.10.7.4: a RST at RCV.NXT ends TIME-WAIT; lwIP's tcp_timewait_input ignores
    every RST there (RFC 1337; stateful finding 60a1307154aa)."""
    c = bring_to(State.TIME_WAIT, profile)
    assert c.note(c.seg(RST)) == []
    assert c.state() is (State.TIME_WAIT if profile is LWIP else State.CLOSED)


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_in_order_data_and_fin_after_close_in_fin_wait_2(profile) -> None:
    """In-order text with a FIN after close() in FIN-WAIT-2: the rfc profile resets (RFC 1122
    4.2.2.13); lwIP's FIN takes the pcb to TIME_WAIT before tcp_abort, whose tcp_abandon frees
    a TIME_WAIT pcb without a RST: nothing is sent (stateful finding 55808a138259)."""
    c = _orphan_fin_wait_1(profile)
    c.note(c.seg(ACK))  # our FIN acknowledged
    assert c.state() is State.FIN_WAIT_2
    replies = c.note(c.seg(ACK | PSH | FIN, payload=b"late"))
    assert [r.flags & RST for r in replies] == ([] if profile is LWIP else [RST])
    assert c.state() is State.CLOSED


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_copy_of_the_syn_in_syn_received(profile) -> None:
    """RFC 9293's first check answers a copy of the SYN in SYN-RECEIVED with an ACK; lwIP's
    tcp_process retransmits its SYN,ACK (tcp_rexmit; stateful finding 98af8bf3bdc7)."""
    c = bring_to(State.SYN_RECEIVED, profile)
    (reply,) = c.note(c.seg(SYN, seq=c.snd_nxt - 1, options=syn_options(wscale=None, ts=None)))
    assert reply.flags == (SYN | ACK if profile is LWIP else ACK)
    assert c.state() is State.SYN_RECEIVED


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_shutdown_after_the_end_of_file(profile) -> None:
    """shutdown(SHUT_WR) in LAST-ACK: lwIP refuses with ENOTCONN (tcp_shutdown) until recv()
    reported the end of file; then shut_tx is tcp_close, which succeeds (api_msg.c
    lwip_netconn_do_close_internal; stateful finding 7165918cb42b). POSIX: 0 throughout."""
    link, a, _, b = connected_pair(profile)
    link.call(link.b, "shutdown", b, 1)  # the peer's FIN
    link.deliver()
    link.call(link.a, "shutdown", a, 1)  # LAST-ACK
    lwip = profile is LWIP
    assert link.call(link.a, "shutdown", a, 1).errno == (errno.ENOTCONN if lwip else 0)
    assert link.call(link.a, "recv", a, 10).value == b""
    assert link.call(link.a, "shutdown", a, 1).errno == 0


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_second_shutdown_after_the_end_of_file(profile) -> None:
    """recv() reported the end of file, then shutdown(SHUT_WR) twice: lwIP's first is
    tcp_close, which releases the pcb, so the second fails with ENOTCONN (api_msg.c
    lwip_netconn_do_close; stateful finding 7165918cb42b, seed 1). POSIX: 0 twice."""
    link, a, _, b = connected_pair(profile)
    link.call(link.b, "shutdown", b, 1)  # the peer's FIN
    link.deliver()
    assert link.call(link.a, "recv", a, 10).value == b""
    assert link.call(link.a, "shutdown", a, 1).errno == 0
    assert link.call(link.a, "shutdown", a, 1).errno == (errno.ENOTCONN if profile is LWIP else 0)


def test_a_second_fin_after_the_first_was_taken_is_not_counted() -> None:
    """A FIN at RCV.NXT replaces only a FIN still queued out of order (stateful finding
    c35c2c303318, seed 2: a FIN at RCV.NXT after the peer's FIN in TIME-WAIT)."""
    c = bring_to(State.CLOSE_WAIT, LWIP)
    rcv_nxt = c.tcb().rcv_nxt
    c.note(c.seg(FIN | ACK))
    assert c.tcb().rcv_nxt == rcv_nxt

@pytest.mark.parametrize("profile,released", [(RFC, 5), (LWIP, 6)], ids=["rfc", "lwip"])
def test_slow_start_ack_of_four_segments(profile, released) -> None:
    """tcp_in.c tcp_receive: slow start adds min(acked, 2 * MSS) (RFC 3465 2.2, L = 2) where
    RFC 5681 3.1 adds min(N, SMSS): an ACK of the four-segment first flight (RFC 5681's
    initial window for MSS 1000) releases six segments, not five."""
    from tests.unit.refstack.test_linux_recovery_choices import _ack, _flight, _index
    c, _, start, segs = _flight(profile, 16, sack=False)
    assert len(segs) == 4
    r = _ack(c, start, 4)
    assert _index(start, tcp_of(r)) == list(range(4, 4 + released))
    assert ("LWIP-tcp_receive-slow-start-two-segments" in r.rules()) is (profile is LWIP)


def test_slow_start_after_a_timeout_adds_one_segment_per_ack() -> None:
    """lwIP's TF_RTO: after a retransmission timeout slow start adds at most one MSS per ACK
    until the data sent before the timeout is acknowledged."""
    from tests.unit.refstack.test_linux_recovery_choices import _ack, _flight, _index
    c, _, start, segs = _flight(LWIP, 8, sack=False)
    assert len(segs) == 4
    c.stack.poll(c.stack.poll_at())  # the RTO: segment 0 again, cwnd one segment
    r = _ack(c, start, 2, now=c.stack.poll_at() - 0.001)
    assert _index(start, tcp_of(r)) == [2, 3]  # cwnd 1 + 1 segment, from SND.UNA
    assert "LWIP-tcp_receive-slow-start-two-segments" not in r.rules()


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_mss_option_after_the_handshake(profile) -> None:
    """RFC 9293 3.7.1 takes the send MSS from the peer's SYN; lwIP's tcp_process calls
    tcp_parseopt for every segment, so an MSS option in a later segment (even one out of the
    window) cuts the segments sent next (stateful finding 2e4ab5ce242a)."""
    c = bring_to(State.ESTABLISHED, profile)
    mss = c.tcb().mss  # the SYN,ACK's (none: 536, RFC 9293 3.7.1 MUST-15)
    c.note(c.seg(ACK, seq=c.snd_nxt + 1000, options=(TcpOptMss(100),)))  # out of order
    sent = c.note(c.stack.send(c.fd, bytes(300), 0.0).reaction)
    assert [len(s.payload) for s in sent] == ([100, 100, 100] if profile is LWIP else [300])
    c.note(c.seg(ACK, options=(TcpOptNop(), TcpOptMss(0))))  # 0: lwIP's TCP_MSS again
    assert c.tcb().mss == (1460 if profile is LWIP else mss)


def test_mss_option_with_rst_or_in_time_wait_is_not_parsed() -> None:
    """tcp_process handles a RST before tcp_parseopt; tcp_timewait_input parses nothing."""
    c = bring_to(State.TIME_WAIT, LWIP)
    mss = c.tcb().mss
    c.note(c.seg(ACK | PSH, payload=b"x", options=(TcpOptMss(10),)))
    assert c.tcb().mss == mss


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_text_filling_part_of_a_gap(profile) -> None:
    """RFC 5681 4.2: text that fills part of a gap is acknowledged at once; lwIP's
    tcp_receive delays the ACK (tcp_ack) while out-of-order data stays queued (hypothesis
    finding 3843d23bdfdf)."""
    c = bring_to(State.ESTABLISHED, profile)
    (dup,) = c.note(c.seg(ACK, seq=c.snd_nxt + 2, payload=b"z"))  # out of order: at once
    reaction = c.seg(ACK, payload=b"a")  # at RCV.NXT, one octet short of the queued one
    (prediction,) = reaction.predictions
    assert dissect(reaction.frames[0]).tcp.ack == dup.ack + 1
    assert ("timing.delay_ms" in prediction.variance) is (profile is LWIP)


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_reset_in_last_ack_reported_to_send(profile) -> None:
    """CLOSE-WAIT, shutdown(SHUT_WR) (LAST-ACK), then a RST at RCV.NXT: RFC 9293 3.10.7.4
    closes without a "connection reset", so send() finds the sending side shut (EPIPE);
    lwIP's tcp_input raises ERR_RST in every state and err_tcp keeps it pending, so send()
    reports ECONNRESET once, then ENOTCONN (no pcb: ERR_CONN) (stateful finding
    9cddc6abd461)."""
    c = bring_to(State.CLOSE_WAIT, profile)
    c.note(c.stack.shutdown(c.fd, 1, 0.0).reaction)  # SHUT_WR: our FIN
    assert c.state() is State.LAST_ACK
    c.note(c.seg(RST))
    assert c.state() is State.CLOSED
    got = [c.stack.send(c.fd, b"x", 0.0).errno for _ in range(2)]
    assert got == ([errno.ECONNRESET, errno.ENOTCONN] if profile is LWIP
                   else [errno.EPIPE, errno.EPIPE])


@pytest.mark.parametrize("in_flight", [b"", b"x"], ids=["nothing", "data"])
@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_lingering_close_waits(profile, in_flight) -> None:
    """SO_LINGER (1, 5): the rfc profile's close waits until its FIN is acknowledged; lwIP's
    lwip_netconn_do_close_internal waits only with unsent or unacknowledged data."""
    link, a, _, _ = connected_pair(profile)
    link.drop = lambda who, d: who == "b"  # no ACKs come back
    assert not link.a.api.close_lingers(a)  # SO_LINGER off
    link.call(link.a, "setsockopt", a, SOL_SOCKET, SO_LINGER, (1, 5))
    if in_flight:
        link.call(link.a, "send", a, in_flight)
    assert link.a.api.close_lingers(a) == (profile is RFC or bool(in_flight))
    link.call(link.a, "setsockopt", a, SOL_SOCKET, SO_LINGER, (1, 0))
    assert not link.a.api.close_lingers(a)  # a zero time: close aborts at once
