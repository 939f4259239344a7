"""The `lwip` profile's modelled choices against the `rfc` profile: lwIP 2.1.3's ICMP echo
reply keeps the request's code (icmp.c icmp_input), an echo to a broadcast address is not
answered (LWIP_BROADCAST_PING 0), and IGMP is a protocol it runs (LWIP_IGMP 1: no Protocol
Unreachable)."""

from __future__ import annotations

import errno

import pytest

from reference_stack.profiles import LWIP, RFC
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP
from tests.unit.refstack.harness import connected_pair, make_stack, tcp_of
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
