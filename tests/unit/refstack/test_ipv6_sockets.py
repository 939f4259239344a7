"""AF_INET6 sockets on the oracle: TCP and UDP over IPv6 between two reference stacks (MSS
from the IPv6 MTU, RFC 9293 3.7.1's 1220 without an MSS option), and a dual-stack socket's
IPv4-mapped addresses (RFC 4291 2.5.5.2) with and without IPV6_V6ONLY."""

from __future__ import annotations

import errno
import socket

import pytest

from reference_stack.profiles import GVISOR, LINUX, RFC
from reference_stack.stack import ReferenceStack
from reference_stack.wire.addr import ip6
from reference_stack.wire.frame import build_frame_v6, dissect
from reference_stack.wire.ipv6 import IPPROTO_TCP, IPPROTO_UDP, Ipv6Repr
from reference_stack.wire.tcp import ACK, RST, SYN, TcpRepr
from reference_stack.wire.udp import UdpRepr

from .harness import IP_A, IP_B, MAC_A, MAC_B, PREFIX, Link, syn_options, tcp_of

IP6_A, IP6_B = ip6("2001:db8::a"), ip6("2001:db8::b")
AF_INET6, SOCK_STREAM, SOCK_DGRAM = socket.AF_INET6, socket.SOCK_STREAM, socket.SOCK_DGRAM
V6ONLY = (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
BOTH = pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])


def dual_stack(profile, which: str, seed: int) -> ReferenceStack:
    ip4_, ip6_, mac_ = (IP_A, IP6_A, MAC_A) if which == "a" else (IP_B, IP6_B, MAC_B)
    s = ReferenceStack(profile, mac_, ip4_, PREFIX, rng_seed=seed, ipv6=ip6_)
    peer = "b" if which == "a" else "a"
    s.add_neighbor(IP_B if peer == "b" else IP_A, MAC_B if peer == "b" else MAC_A)
    s.add_neighbor(IP6_B if peer == "b" else IP6_A, MAC_B if peer == "b" else MAC_A)
    return s


def dual_link(profile=LINUX) -> Link:
    link = Link(profile)
    link.a, link.b = dual_stack(profile, "a", 1), dual_stack(profile, "b", 2)
    return link


def listening(link: Link, addr: str = "::", port: int = 8080, v6only: bool = False) -> int:
    fd = link.call(link.b, "socket", AF_INET6, SOCK_STREAM).value
    if v6only:
        assert link.call(link.b, "setsockopt", fd, *V6ONLY, 1).ok
    assert link.call(link.b, "bind", fd, (addr, port)).ok
    assert link.call(link.b, "listen", fd, 8).ok
    return fd


@BOTH
def test_tcp_over_ipv6_handshake_data_and_accept_address(profile):
    link = dual_link(profile)
    lfd = listening(link)
    afd = link.call(link.a, "socket", AF_INET6, SOCK_STREAM).value
    link.call(link.a, "connect", afd, ("2001:db8::b", 8080))
    link.deliver()
    acc = link.call(link.b, "accept", lfd)
    assert acc.ok, acc
    bfd, peer = acc.value
    assert peer[0] == "2001:db8::a" and len(peer) == 4
    syn = next(d for _, d, _ in link.log if d.tcp is not None and d.tcp.flags == SYN)
    assert syn.ipv6 is not None and syn.ipv4 is None
    # RFC 9293 3.7.1: MSS = MTU - 60 over IPv6 (40 octets of IPv6 header, 20 of TCP).
    assert syn.tcp.mss == profile.mtu - 60
    link.call(link.a, "send", afd, b"hello over v6")
    link.deliver()
    assert link.call(link.b, "recv", bfd, 100).value == b"hello over v6"
    link.call(link.b, "send", bfd, b"and back")
    link.deliver()
    assert link.call(link.a, "recv", afd, 100).value == b"and back"


def test_ipv6_send_mss_defaults_to_1220_without_the_option():
    """RFC 9293 3.7.1 (MUST-15): no MSS option over IPv6 means a send MSS of 1220."""
    link = dual_link()
    lfd = listening(link)
    b = link.b
    syn = TcpRepr(40000, 8080, seq=100, flags=SYN, window=65535)
    frame = build_frame_v6(MAC_A, MAC_B, Ipv6Repr(IP6_A, IP6_B, IPPROTO_TCP, b"", 64),
                           syn)
    synack = tcp_of(b.receive(frame, 0.0))[0]
    ack = TcpRepr(40000, 8080, seq=101, ack=(synack.seq + 1) & 0xFFFFFFFF, flags=ACK,
                  window=65535)
    b.receive(build_frame_v6(MAC_A, MAC_B, Ipv6Repr(IP6_A, IP6_B, IPPROTO_TCP, b"", 64),
                             ack), 0.0)
    fd = b.accept(lfd).value[0]
    sent = tcp_of(b.send(fd, bytes(3000), 0.0).reaction)
    assert sent and sent[0].payload and len(sent[0].payload) == 1220


def test_ipv4_send_mss_still_defaults_to_536():
    link = dual_link()
    b = link.b
    lfd = b.socket(socket.AF_INET, SOCK_STREAM).value
    b.bind(lfd, ("0.0.0.0", 8080))
    b.listen(lfd, 8)
    from .harness import RawPeer

    peer = RawPeer(b, IP_A, MAC_A)
    synack = tcp_of(peer.send(peer.tcp(40000, 8080, SYN, seq=100)))[0]
    peer.send(peer.tcp(40000, 8080, ACK, seq=101, ack=(synack.seq + 1) & 0xFFFFFFFF))
    fd = b.accept(lfd).value[0]
    sent = tcp_of(b.send(fd, bytes(3000), 0.0).reaction)
    assert len(sent[0].payload) == 536


@BOTH
def test_dual_stack_listener_takes_ipv4_as_mapped(profile):
    """RFC 4291 2.5.5.2: an AF_INET6 listener on :: without IPV6_V6ONLY accepts an IPv4
    connection; the peer address is IPv4-mapped, the segments are IPv4."""
    link = dual_link(profile)
    lfd = listening(link)
    afd = link.call(link.a, "socket", socket.AF_INET, SOCK_STREAM).value
    link.call(link.a, "connect", afd, ("198.18.0.11", 8080))
    link.deliver()
    acc = link.call(link.b, "accept", lfd)
    assert acc.ok
    assert acc.value[1] == ("::ffff:198.18.0.10", link.a.api.get(afd).local[1], 0, 0)
    synack = next(d for w, d, _ in link.log if w == "b" and d.tcp is not None)
    assert synack.ipv4 is not None and synack.tcp.mss == profile.mtu - 40


def test_v6only_listener_refuses_ipv4():
    link = dual_link()
    listening(link, v6only=True)
    afd = link.call(link.a, "socket", socket.AF_INET, SOCK_STREAM).value
    link.call(link.a, "connect", afd, ("198.18.0.11", 8080))
    link.deliver()
    answer = next(d for w, d, _ in link.log if w == "b" and d.tcp is not None)
    assert answer.tcp.flags & RST


def test_v6only_cannot_change_once_bound_and_reads_back():
    link = dual_link()
    b = link.b
    fd = b.socket(AF_INET6, SOCK_STREAM).value
    assert b.getsockopt(fd, *V6ONLY).value == 0
    assert b.setsockopt(fd, *V6ONLY, 1).ok
    assert b.getsockopt(fd, *V6ONLY).value == 1
    b.bind(fd, ("::", 9000))
    assert b.setsockopt(fd, *V6ONLY, 0).errno == errno.EINVAL


def test_connect_to_mapped_address_speaks_ipv4_and_v6only_refuses_it():
    link = dual_link()
    a = link.a
    fd = a.socket(AF_INET6, SOCK_STREAM).value
    res = a.connect(fd, ("::ffff:198.18.0.11", 80), 0.0)
    assert res.errno == errno.EINPROGRESS
    syn = dissect(res.reaction.frames[0])
    assert syn.ipv4 is not None and syn.ipv4.dst == IP_B and syn.tcp.mss == LINUX.mtu - 40
    fd2 = a.socket(AF_INET6, SOCK_STREAM).value
    a.setsockopt(fd2, *V6ONLY, 1)
    assert a.connect(fd2, ("::ffff:198.18.0.11", 80), 0.0).errno == errno.ENETUNREACH


def test_dual_stack_bind_collides_with_ipv4_wildcard_unless_v6only():
    b = dual_link().b
    v4 = b.socket(socket.AF_INET, SOCK_STREAM).value
    assert b.bind(v4, ("0.0.0.0", 7000)).ok
    dual = b.socket(AF_INET6, SOCK_STREAM).value
    assert b.bind(dual, ("::", 7000)).errno == errno.EADDRINUSE
    only = b.socket(AF_INET6, SOCK_STREAM).value
    b.setsockopt(only, *V6ONLY, 1)
    assert b.bind(only, ("::", 7000)).ok


@BOTH
def test_udp_over_ipv6_both_ways_and_mapped_sources(profile):
    link = dual_link(profile)
    b, a = link.b, link.a
    fd = b.socket(AF_INET6, SOCK_DGRAM).value
    assert b.bind(fd, ("::", 5353)).ok
    out = a.socket(AF_INET6, SOCK_DGRAM).value
    link.call(a, "sendto", out, b"v6 datagram", ("2001:db8::b", 5353))
    link.call(a, "sendto", out, b"v4 datagram", ("::ffff:198.18.0.11", 5353))
    link.deliver()
    got6 = b.recvfrom(fd, 100).value
    got4 = b.recvfrom(fd, 100).value
    port = a.api.get(out).local[1]
    assert got6 == (b"v6 datagram", ("2001:db8::a", port, 0, 0))
    assert got4 == (b"v4 datagram", ("::ffff:198.18.0.10", port, 0, 0))
    link.call(b, "sendto", fd, b"reply", got6[1])
    link.deliver()
    assert a.recvfrom(out, 100).value == (b"reply", ("2001:db8::b", 5353, 0, 0))


def test_udp_zero_checksum_over_ipv6_is_not_delivered():
    """RFC 8200 8.1: an IPv6 receiver discards a UDP datagram with a zero checksum."""
    b = dual_link().b
    fd = b.socket(AF_INET6, SOCK_DGRAM).value
    b.bind(fd, ("::", 5353))
    udp = UdpRepr(4000, 5353, b"no sum", checksum=0)
    r = b.receive(build_frame_v6(MAC_A, MAC_B, Ipv6Repr(IP6_A, IP6_B, IPPROTO_UDP, b"", 64),
                                 udp), 0.0)
    assert "RFC8200-8.1-MUST-discard-zero-udp-checksum" in r.rules()
    assert b.recvfrom(fd, 100).errno == errno.EAGAIN


def test_ipv4_socket_refuses_an_ipv6_address():
    b = dual_link().b
    fd = b.socket(socket.AF_INET, SOCK_STREAM).value
    assert b.connect(fd, ("2001:db8::a", 80), 0.0).errno == errno.EAFNOSUPPORT


def test_no_ipv6_address_no_af_inet6_sockets():
    link = Link()
    assert link.a.socket(AF_INET6, SOCK_STREAM).errno == errno.EAFNOSUPPORT


def test_syn_options_over_ipv6_round_trip():
    """The tester's usual SYN options over IPv6 reach a SYN-ACK with the IPv6 MSS."""
    b = dual_link().b
    listening_fd = b.socket(AF_INET6, SOCK_STREAM).value
    b.bind(listening_fd, ("2001:db8::b", 8081))
    b.listen(listening_fd, 8)
    syn = TcpRepr(40001, 8081, seq=1, flags=SYN, window=65535, options=syn_options())
    r = b.receive(build_frame_v6(MAC_A, MAC_B, Ipv6Repr(IP6_A, IP6_B, IPPROTO_TCP, b"", 64),
                                 syn), 0.0)
    synack = tcp_of(r)[0]
    assert synack.flags == SYN | ACK and synack.mss == 1440
    assert "ipv6.flow_label" in r.predictions[0].variance


def _established_v6(profile):
    """b's accepted IPv6 connection from a (the tester's side crafted): (b, fd, a's seq)."""
    from reference_stack.wire.tcp import TcpOptMss

    link = dual_link(profile)
    b = link.b
    lfd = listening(link)
    syn = TcpRepr(40000, 8080, seq=100, flags=SYN, window=65535, options=(TcpOptMss(1440),))
    ip = Ipv6Repr(IP6_A, IP6_B, IPPROTO_TCP, b"", 64)
    synack = tcp_of(b.receive(build_frame_v6(MAC_A, MAC_B, ip, syn), 0.0))[0]
    ack = TcpRepr(40000, 8080, seq=101, ack=(synack.seq + 1) & 0xFFFFFFFF, flags=ACK,
                  window=65535)
    b.receive(build_frame_v6(MAC_A, MAC_B, ip, ack), 0.0)
    return b, b.accept(lfd).value[0]


def _too_big(b, segment_frame: bytes, mtu: int):
    from reference_stack.wire.icmpv6 import ICMP6_PACKET_TOO_BIG, Icmpv6Repr

    quoted = segment_frame[14:14 + 1232]
    msg = Icmpv6Repr(ICMP6_PACKET_TOO_BIG, 0, mtu, quoted)
    ip = Ipv6Repr(IP6_A, IP6_B, 58, b"", 64)
    return b.receive(build_frame_v6(MAC_A, MAC_B, ip, msg), 0.1)


@BOTH
def test_packet_too_big_shrinks_and_resends(profile):
    """RFC 8201 4, 5.2: MSS = 1300 - 60; what was in flight goes again in segments that fit."""
    b, fd = _established_v6(profile)
    frame = b.send(fd, bytes(1400), 0.0).reaction.frames[0]
    r = _too_big(b, frame, 1300)
    sizes = [len(s.payload) for s in tcp_of(r)]
    # (the rfc profile's Nagle holds the short tail until the first part is acknowledged)
    assert sizes == ([1240, 160] if profile is LINUX else [1240])
    assert "RFC8201-4-MUST-reduce-on-packet-too-big" in r.rules()


def test_packet_too_big_below_1280_rfc_takes_1280_linux_ignores():
    b, fd = _established_v6(RFC)
    frame = b.send(fd, bytes(1400), 0.0).reaction.frames[0]
    r = _too_big(b, frame, 1000)
    assert [len(s.payload) for s in tcp_of(r)][:1] == [1220]
    assert "RFC8201-4-MUST-NOT-below-minimum-mtu" in r.rules()
    b, fd = _established_v6(LINUX)
    frame = b.send(fd, bytes(1400), 0.0).reaction.frames[0]
    r = _too_big(b, frame, 1000)
    assert tcp_of(r) == [] and "LINUX-tcp_v6_err-below-minimum" in r.rules()


def test_packet_too_big_never_raises_and_linux_checks_the_quoted_sequence():
    b, fd = _established_v6(RFC)
    frame = b.send(fd, bytes(1400), 0.0).reaction.frames[0]
    r = _too_big(b, frame, 9000)
    assert tcp_of(r) == [] and "RFC8201-4-MUST-NOT-increase-on-packet-too-big" in r.rules()
    old = bytearray(frame)
    old[14 + 40 + 4:14 + 40 + 8] = (0).to_bytes(4, "big")  # a sequence number never sent
    for profile, sent_again in ((RFC, True), (LINUX, False)):
        b, fd = _established_v6(profile)
        b.send(fd, bytes(1400), 0.0)
        r = _too_big(b, bytes(old), 1300)
        assert bool(tcp_of(r)) is sent_again
        assert ("LINUX-tcp_v6_err-sequence-check" in r.rules()) is not sent_again


@pytest.mark.parametrize("profile", [LINUX, GVISOR], ids=["linux", "gvisor"])
def test_tail_loss_probe_after_packet_too_big_resends_the_last_piece(profile):
    """RFC 8985 7.3 probes with "the last segment"; a Packet Too Big's retransmission split the
    1400-octet segment in two (Linux __tcp_retransmit_skb -> tcp_fragment, gVisor
    snd.go maybeSendSegment -> splitSeg), so the probe is the 160-octet piece, never the
    1400 octets that no longer fit the path MTU (gVisor, seen on the wire: 1200 + 200, then
    the 200 again)."""
    from reference_stack.wire.tcp import TcpOptMss, TcpOptSackPermitted, TcpOptTimestamps

    link = dual_link(profile)
    b = link.b
    lfd = listening(link)
    syn = TcpRepr(40000, 8080, seq=100, flags=SYN, window=65535,
                  options=(TcpOptMss(1440), TcpOptSackPermitted(), TcpOptTimestamps(1, 0)))
    ip = Ipv6Repr(IP6_A, IP6_B, IPPROTO_TCP, b"", 64)
    synack = tcp_of(b.receive(build_frame_v6(MAC_A, MAC_B, ip, syn), 0.0))[0]
    ack = TcpRepr(40000, 8080, seq=101, ack=(synack.seq + 1) & 0xFFFFFFFF, flags=ACK,
                  window=65535, options=(TcpOptTimestamps(2, synack.timestamps[0]),))
    b.receive(build_frame_v6(MAC_A, MAC_B, ip, ack), 0.001)
    fd = b.accept(lfd).value[0]
    frame = b.send(fd, bytes(1400), 0.002).reaction.frames[0]
    first = dissect(frame).tcp
    pieces = tcp_of(_too_big(b, frame, 1300))
    head, tail = (len(s.payload) for s in pieces)
    assert head + tail == 1400 and tail > 0
    r = b.poll(b.poll_at())
    assert [(s.seq - first.seq, len(s.payload)) for s in tcp_of(r)] == [(head, tail)]
    assert "RFC8985-7.3-MAY-tail-loss-probe" in r.rules()
