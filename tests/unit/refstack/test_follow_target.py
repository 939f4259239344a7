"""Following a target's free choices (ISN, ephemeral port) and the Linux details checked against
a 6.18 kernel in a netns: D-SACK, TS.Recent timing, FIN purging out-of-order data."""

from __future__ import annotations

import dataclasses

from reference_stack.profiles import LINUX, RFC
from reference_stack.socket_api import AF_INET, SOCK_STREAM
from reference_stack.tcp.state import State
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, FIN, SYN
from tests.unit.refstack.conn import Conn, bring_to
from tests.unit.refstack.harness import RawPeer, make_stack, syn_options, tcp_of
from tests.unit.refstack.test_tcp_rfc5961_paws import ts, ts_conn


def rebuild_seq(frame: bytes, seq: int) -> bytes:
    from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
    d = dissect(frame)
    tcp = dataclasses.replace(d.tcp, seq=seq, checksum=None)
    ip = dataclasses.replace(d.ipv4, payload=tcp.emit(d.ipv4.src, d.ipv4.dst), checksum=None,
                             total_length=None)
    return EthernetRepr(d.eth.dst, d.eth.src, ETH_P_IP, payload=ip.emit()).emit()


def test_adopt_the_targets_isn() -> None:
    c = bring_to(State.LISTEN, LINUX)
    r = c.seg(SYN, options=syn_options())
    target_isn = 777_000
    bindings: dict = {}
    assert r.predictions[0].check(rebuild_seq(r.frames[0], target_isn), bindings) == []
    c.stack.adopt(bindings)
    c.snd_nxt += 1
    c.rcv_nxt = target_isn + 1  # the test speaks the target's numbers from now on
    assert c.seg(ACK, options=ts(101, 0)).rules().count(
        "RFC9293-3.10.7.4-MUST-syn-received-ack") == 1
    reply = tcp_of(c.advance(ACK, payload=b"hi", options=ts(102, 0)))[0]
    assert reply.seq == target_isn + 1 and c.state() is State.ESTABLISHED


def test_adopt_the_targets_ephemeral_port() -> None:
    s = make_stack(LINUX)
    fd = s.socket(AF_INET, SOCK_STREAM).value
    syn = s.connect(fd, ("198.18.0.11", 80), 0.0).reaction
    bindings: dict = {}
    pred = syn.predictions[0]
    d = dissect(syn.frames[0])
    other = dataclasses.replace(d.tcp, src_port=45678, checksum=None)
    from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
    frame = EthernetRepr(d.eth.dst, d.eth.src, ETH_P_IP, payload=dataclasses.replace(
        d.ipv4, payload=other.emit(d.ipv4.src, d.ipv4.dst), checksum=None).emit()).emit()
    assert pred.check(frame, bindings) == [] and bindings["port:80"] == 45678
    s.adopt(bindings)
    peer = RawPeer(s)
    r = s.receive(peer.tcp(80, 45678, SYN | ACK, seq=5, ack=(d.tcp.seq + 1) & 0xFFFFFFFF,
                           options=syn_options()), 0.1)
    assert [x.flags for x in tcp_of(r)] == [ACK] and s.tcp_state(fd) is State.ESTABLISHED


def test_dsack_for_duplicate_data_linux_only() -> None:
    for profile, expect_dsack in ((LINUX, True), (RFC, False)):
        c: Conn = bring_to(State.LISTEN, profile)
        c.note(c.advance(SYN, options=syn_options(ts=None)))
        c.note(c.seg(ACK))
        c.note(c.advance(ACK, payload=b"abcdef"))
        (reply,) = c.note(c.seg(ACK, seq=c.snd_nxt - 6, payload=b"abcdef"))
        blocks = reply.sack_blocks
        assert (blocks[:1] == ((c.snd_nxt - 6, c.snd_nxt),)) is expect_dsack, profile.name


def test_ts_recent_not_taken_from_a_segment_acking_unsent_data_linux() -> None:
    c = ts_conn(LINUX)
    c.seg(ACK, ack=c.rcv_nxt + 1000, options=ts(5000, 0))
    assert c.tcb().ts_recent != 5000
    r = ts_conn(RFC)
    r.seg(ACK, ack=r.rcv_nxt + 1000, options=ts(5000, 0))
    assert r.tcb().ts_recent == 5000


def test_fin_discards_out_of_order_data_beyond_it() -> None:
    c = bring_to(State.LISTEN, LINUX)
    c.note(c.advance(SYN, options=syn_options(ts=None)))
    c.note(c.seg(ACK))
    c.seg(ACK, seq=c.snd_nxt + 100, payload=b"beyond")
    (reply,) = c.note(c.advance(FIN | ACK))
    assert reply.sack_blocks == () and c.tcb().recv.ooo == {}


def test_urgent_send_sets_the_pointer_past_the_data() -> None:
    import socket
    c = bring_to(State.ESTABLISHED, LINUX)
    (seg,) = c.note(c.stack.send(c.fd, b"UUU", 0.0, socket.MSG_OOB).reaction)
    assert seg.flags & 0x20 and seg.urgent == 3  # URG, RFC 9293 3.8.5 / RFC 6093
    c.note(c.seg(ACK))  # acknowledged: urgent mode ends
    (plain,) = tcp_of(c.stack.send(c.fd, b"p", 0.0).reaction)
    assert not plain.flags & 0x20 and plain.urgent == 0


def test_urgent_receive_is_signalled_and_kept_in_line() -> None:
    import select
    c = bring_to(State.ESTABLISHED, RFC)  # (linux: the out-of-band byte, test_linux_choices)
    frame = c.tester.tcp(c.sport, c.dport, ACK | 0x08 | 0x20, c.snd_nxt, c.rcv_nxt,
                         b"normal!", urgent=7)
    c.stack.receive(frame, 0.0)
    assert c.stack.poll_events(c.fd) & select.POLLPRI
    assert c.stack.recv(c.fd, 100, 0.0).value == b"normal!"
    assert not c.stack.poll_events(c.fd) & select.POLLPRI


def test_icmp_protocol_unreachable_aborts_syn_sent_with_enoprotoopt() -> None:
    import errno

    from reference_stack.wire.icmpv4 import Icmpv4Repr
    c = bring_to(State.SYN_SENT, LINUX)
    tcb = c.tcb()
    from reference_stack.wire.ipv4 import Ipv4Repr
    from reference_stack.wire.tcp import TcpRepr
    quoted = Ipv4Repr(c.stack.ip, c.tester.src_ip, 6, TcpRepr(
        tcb.local_port, tcb.remote_port, seq=tcb.iss, flags=SYN).emit(
        c.stack.ip, c.tester.src_ip)).emit()[:28]
    c.stack.receive(c.tester.ip_frame(1, Icmpv4Repr.dest_unreachable(2, quoted).emit()), 0.1)
    assert c.state() is State.CLOSED
    assert c.stack.connect(c.fd, ("198.18.0.11", 40000), 0.2).errno == errno.ENOPROTOOPT
