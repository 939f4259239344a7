"""ARP (RFC 826), IPv4 input validation (RFC 1122 3.2.1), reassembly (RFC 791/815), ICMP error
rules (RFC 1122 3.2.2), echo, UDP (RFC 768, RFC 1122 4.1)."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import LINUX, OVERLAP_FIRST_WINS, OVERLAP_LAST_WINS, RFC
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.arp import ARP_REPLY, ARP_REQUEST, ArpRepr
from reference_stack.wire.ethernet import ETH_P_ARP, ETH_P_IP, EthernetRepr
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP, IPPROTO_UDP, Ipv4Repr
from reference_stack.wire.udp import UdpRepr
from tests.unit.refstack.harness import IP_A, IP_B, MAC_A, MAC_B, make_stack, udp_socket

BCAST = b"\xff" * 6
MAC_C, IP_C = mac("02:00:00:00:00:0c"), ip4("198.18.0.12")


def arp_frame(op: int, sha: bytes, spa: bytes, tpa: bytes, dst: bytes = BCAST,
              tha: bytes = b"\0" * 6) -> bytes:
    return EthernetRepr(dst, sha, ETH_P_ARP, payload=ArpRepr(op, sha, spa, tha, tpa).emit()).emit()


# -- ARP -------------------------------------------------------------------------------------

def test_arp_request_for_us_is_answered_and_learned() -> None:
    s = make_stack()
    r = s.receive(arp_frame(ARP_REQUEST, MAC_C, IP_C, IP_A), 0.0)
    d = dissect(r.frames[0])
    assert d.arp.op == ARP_REPLY and d.arp.sha == MAC_A and d.arp.spa == IP_A
    assert d.arp.tha == MAC_C and d.arp.tpa == IP_C and d.eth.dst == MAC_C
    assert s.iface.arp.lookup(IP_C) == MAC_C
    assert "RFC826-MUST-add-entry" in r.rules()


def test_arp_merge_rule_updates_only_known_senders() -> None:
    s = make_stack()
    other = ip4("198.18.0.99")
    # Not for us and unknown sender: nothing learned (no merge, not the target).
    r = s.receive(arp_frame(ARP_REQUEST, MAC_C, IP_C, other), 0.0)
    assert r.frames == () and s.iface.arp.lookup(IP_C) is None
    # Learn it, then a request for someone else with a new MAC merges the update.
    s.receive(arp_frame(ARP_REQUEST, MAC_C, IP_C, IP_A), 0.0)
    new_mac = mac("02:00:00:00:00:cc")
    r = s.receive(arp_frame(ARP_REQUEST, new_mac, IP_C, other), 1.0)
    assert "RFC826-MUST-merge" in r.rules() and r.frames == ()
    assert s.iface.arp.lookup(IP_C) == new_mac


def test_gratuitous_arp_refreshes_but_does_not_create() -> None:
    s = make_stack()
    s.receive(arp_frame(ARP_REQUEST, MAC_C, IP_C, IP_C), 0.0)
    assert s.iface.arp.lookup(IP_C) is None
    s.receive(arp_frame(ARP_REQUEST, MAC_C, IP_C, IP_A), 0.0)
    moved = mac("02:00:00:00:00:dd")
    s.receive(arp_frame(ARP_REPLY, moved, IP_C, IP_C), 0.0)
    assert s.iface.arp.lookup(IP_C) == moved


def test_static_neighbour_is_not_overwritten() -> None:
    s = make_stack()
    s.receive(arp_frame(ARP_REQUEST, MAC_C, IP_B, IP_A), 0.0)
    assert s.iface.arp.lookup(IP_B) == MAC_B


def test_announce_is_a_gratuitous_request() -> None:
    d = dissect(make_stack().announce(0.0).frames[0])
    assert d.arp.op == ARP_REQUEST and d.arp.spa == d.arp.tpa == IP_A and d.eth.dst == BCAST


def test_unresolved_next_hop_sends_arp_and_holds_the_packet() -> None:
    s = make_stack()
    fd = udp_socket(s, 5000)
    r = s.sendto(fd, b"hello", ("198.18.0.12", 7), 0.0).reaction
    assert [dissect(f).arp.tpa for f in r.frames] == [IP_C]
    r = s.receive(arp_frame(ARP_REPLY, MAC_C, IP_C, IP_A, dst=MAC_A, tha=MAC_A), 0.1)
    d = dissect(r.frames[0])
    assert d.udp.payload == b"hello" and d.eth.dst == MAC_C


# -- IPv4 validation --------------------------------------------------------------------------

def ping_ip(**kw) -> Ipv4Repr:
    icmp = Icmpv4Repr.echo_request(1, 1, b"abcdefgh").emit()
    fields = {"src": IP_B, "dst": IP_A, "protocol": IPPROTO_ICMP, "payload": icmp}
    fields.update(kw)
    return Ipv4Repr(**fields)


def eth(ip_bytes: bytes, dst: bytes = MAC_A) -> bytes:
    return EthernetRepr(dst, MAC_B, ETH_P_IP, payload=ip_bytes).emit()


@pytest.mark.parametrize("name,ip,rule", [
    ("version", ping_ip(version=6), "RFC1122-3.2.1.1-MUST-version"),
    ("ihl-small", ping_ip(ihl=4), "RFC791-3.1-MUST-ihl"),
    ("total-length-long", ping_ip(total_length=200), "RFC1812-5.2.2-MUST-total-length"),
    ("total-length-short", ping_ip(total_length=19), "RFC1812-5.2.2-MUST-total-length"),
    ("checksum", ping_ip(checksum=0x1234), "RFC1122-3.2.1.2-MUST-verify-checksum"),
    ("src-loopback", ping_ip(src=ip4("127.0.0.1")), "RFC1122-3.2.1.3-MUST-src-martian"),
    ("src-multicast", ping_ip(src=ip4("224.0.0.5")), "RFC1122-3.2.1.3-MUST-src-martian"),
    ("src-zero", ping_ip(src=ip4("0.0.0.0")), "RFC1122-3.2.1.3-MUST-src-martian"),
    ("src-bcast", ping_ip(src=ip4("198.18.0.255")), "RFC1122-3.2.1.3-MUST-src-martian"),
    ("src-own", ping_ip(src=IP_A), "RFC1122-3.2.1.3-MUST-src-martian"),
    ("dst-other", ping_ip(dst=ip4("198.18.0.77")), "RFC1122-3.2.1.3-MUST-dst-not-ours"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_ipv4_input_validation_drops(name, ip, rule) -> None:
    r = make_stack(RFC).receive(eth(ip.emit()), 0.0)
    assert r.frames == ()
    assert rule in r.rules()


def test_checksum_rule_can_be_broken_on_purpose() -> None:
    s = make_stack(LINUX.breaking("RFC1122-3.2.1.2-MUST-verify-checksum"))
    r = s.receive(eth(ping_ip(checksum=0x1234).emit()), 0.0)
    assert len(r.frames) == 1


def test_frame_for_another_mac_is_ignored() -> None:
    r = make_stack().receive(eth(ping_ip().emit(), dst=MAC_C), 0.0)
    assert r.frames == () and "IEEE802.3-4.2.4.1.2-MUST-dst-filter" in r.rules()


# -- ICMP echo and errors --------------------------------------------------------------------

def test_echo_reply_mirrors_the_request() -> None:
    r = make_stack().receive(eth(ping_ip(ident=77).emit()), 0.0)
    d = dissect(r.frames[0])
    assert d.icmpv4.type == 0 and d.icmpv4.ident == 1 and d.icmpv4.payload == b"abcdefgh"
    assert d.ipv4.src == IP_A and d.ipv4.dst == IP_B and d.ipv4.ttl == 64
    assert r.predictions[0].check(r.frames[0]) == []


@pytest.mark.parametrize("profile,answered", [(LINUX, False), (RFC, True)],
                         ids=["linux", "rfc"])
def test_broadcast_echo(profile, answered) -> None:
    r = make_stack(profile).receive(eth(ping_ip(dst=ip4("198.18.0.255")).emit(), BCAST), 0.0)
    assert bool(r.frames) is answered


def udp_ip(dport: int, data: bytes = b"payload!", **kw) -> Ipv4Repr:
    dgram = UdpRepr(4000, dport, data).emit(kw.get("src", IP_B), kw.get("dst", IP_A))
    fields = {"src": IP_B, "dst": IP_A, "protocol": IPPROTO_UDP, "payload": dgram}
    fields.update(kw)
    return Ipv4Repr(**fields)


def test_udp_port_unreachable_quotes_the_whole_datagram_linux() -> None:
    original = udp_ip(9, b"q" * 1000).emit()
    r = make_stack(LINUX).receive(eth(original), 0.0)
    d = dissect(r.frames[0])
    assert (d.icmpv4.type, d.icmpv4.code) == (3, 3)
    assert d.icmpv4.payload == original[:576 - 28]
    assert d.ipv4.total_length == 576 and d.ipv4.tos == 0xC0
    assert "RFC1122-4.1.3.1-SHOULD-port-unreachable" in r.rules()


def test_rfc_profile_allows_a_shorter_quote() -> None:
    original = udp_ip(9, b"q" * 100).emit()
    r = make_stack(RFC).receive(eth(original), 0.0)
    pred = r.predictions[0]
    short_icmp = Icmpv4Repr.dest_unreachable(3, original[:28]).emit()
    short = dissect(r.frames[0]).ipv4
    alt = EthernetRepr(MAC_B, MAC_A, ETH_P_IP, payload=dataclasses.replace(
        short, payload=short_icmp, total_length=None, checksum=None).emit()).emit()
    assert pred.check(alt) == []
    too_short = Icmpv4Repr.dest_unreachable(3, original[:27]).emit()
    alt2 = EthernetRepr(MAC_B, MAC_A, ETH_P_IP, payload=dataclasses.replace(
        short, payload=too_short, total_length=None, checksum=None).emit()).emit()
    assert {d.field for d in pred.check(alt2)} == {"icmpv4.payload", "ipv4.total_length"}


@pytest.mark.parametrize("name,frame_args,rule", [
    ("to-broadcast", ({"dst": ip4("198.18.0.255")}, BCAST),
     "RFC1122-3.2.2-MUST-NOT-error-to-broadcast"),
    ("link-broadcast", ({}, BCAST), "RFC1122-3.2.2-MUST-NOT-error-link-broadcast"),
    ("src-class-e", ({"src": ip4("240.0.0.1")}, MAC_A),
     "RFC1122-3.2.2-MUST-NOT-error-source-not-single-host"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_no_icmp_error_cases(name, frame_args, rule) -> None:
    kw, dst_mac = frame_args
    r = make_stack(RFC).receive(eth(udp_ip(9, **kw).emit(), dst_mac), 0.0)
    assert r.frames == () and rule in r.rules()


def test_no_icmp_error_about_an_icmp_error() -> None:
    from reference_stack.wire.ipv4 import Ipv4OptMalformed
    bad = (Ipv4OptMalformed(b"\x07\x01\x00\x00"),)  # would draw a Parameter Problem...
    echo = ping_ip(options=bad)
    assert make_stack().receive(eth(echo.emit()), 0.0).frames != ()
    error = Icmpv4Repr.dest_unreachable(3, udp_ip(9).emit()).emit()
    r = make_stack().receive(eth(Ipv4Repr(IP_B, IP_A, IPPROTO_ICMP, error,
                                          options=bad).emit()), 0.0)
    assert r.frames == ()  # ...but not about an ICMP error message
    assert "RFC1122-3.2.2-MUST-NOT-error-about-icmp-error" in r.rules()


def test_protocol_unreachable() -> None:
    r = make_stack().receive(eth(Ipv4Repr(IP_B, IP_A, 253, b"x" * 20).emit()), 0.0)
    d = dissect(r.frames[0])
    assert (d.icmpv4.type, d.icmpv4.code) == (3, 2)


# -- UDP --------------------------------------------------------------------------------------

def test_udp_delivery_and_zero_checksum() -> None:
    s = make_stack()
    fd = udp_socket(s, 5353)
    dgram = UdpRepr(4000, 5353, b"no-sum", checksum=0).emit(IP_B, IP_A)
    r = s.receive(eth(Ipv4Repr(IP_B, IP_A, IPPROTO_UDP, dgram).emit()), 0.0)
    assert "RFC768-MAY-zero-checksum" in r.rules()
    assert s.recvfrom(fd, 100).value == (b"no-sum", ("198.18.0.11", 4000))


def test_udp_bad_checksum_is_dropped() -> None:
    s = make_stack()
    fd = udp_socket(s, 5353)
    dgram = UdpRepr(4000, 5353, b"bad", checksum=0x1234).emit(IP_B, IP_A)
    r = s.receive(eth(Ipv4Repr(IP_B, IP_A, IPPROTO_UDP, dgram).emit()), 0.0)
    assert r.frames == () and "RFC1122-4.1.3.4-MUST-discard-bad-checksum" in r.rules()
    assert s.recvfrom(fd, 100).errno != 0


def test_udp_bad_length_is_dropped() -> None:
    s = make_stack()
    udp_socket(s, 5353)
    dgram = UdpRepr(4000, 5353, b"abc", length=50, checksum=0).emit(IP_B, IP_A)
    r = s.receive(eth(Ipv4Repr(IP_B, IP_A, IPPROTO_UDP, dgram).emit()), 0.0)
    assert "RFC768-MUST-length" in r.rules()


def test_udp_send_and_fragmentation() -> None:
    s = make_stack()
    fd = udp_socket(s, 5000)
    r = s.sendto(fd, b"x" * 3000, ("198.18.0.11", 9), 0.0).reaction
    frags = [dissect(f).ipv4 for f in r.frames]
    assert len(frags) == 3 and [f.mf for f in frags] == [True, True, False]
    assert sum(len(f.payload) for f in frags) == 3008
    # The peer stack reassembles them.
    peer = make_stack(which="b")
    pfd = udp_socket(peer, 9)
    for f in r.frames:
        peer.receive(f, 0.0)
    assert peer.recvfrom(pfd, 4000).value[0] == b"x" * 3000


# -- reassembly -------------------------------------------------------------------------------

def fragments(payload: bytes, cuts: list[tuple[int, int, bool]], ident: int = 9,
              protocol: int = IPPROTO_UDP) -> list[bytes]:
    return [eth(Ipv4Repr(IP_B, IP_A, protocol, payload[a:b], ident=ident, mf=mf,
                         frag_offset=a // 8).emit()) for a, b, mf in cuts]


def udp_payload(n: int = 40) -> bytes:
    return UdpRepr(4000, 7777, bytes(range(n))).emit(IP_B, IP_A)


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1], [1, 2, 0]])
def test_reassembly_in_and_out_of_order(order) -> None:
    s = make_stack()
    fd = udp_socket(s, 7777)
    data = udp_payload()
    frames = fragments(data, [(0, 16, True), (16, 32, True), (32, 48, False)])
    for i in order:
        s.receive(frames[i], 0.0)
    assert s.recvfrom(fd, 100).value[0] == bytes(range(40))
    assert s.iface.reasm.buffers == {}


@pytest.mark.parametrize("policy,expected", [
    (OVERLAP_LAST_WINS, b"B"), (OVERLAP_FIRST_WINS, b"A"), ("discard", None)])
def test_reassembly_overlap_policy(policy, expected) -> None:
    profile = dataclasses.replace(RFC, fragment_overlap=policy)
    s = make_stack(profile)
    fd = udp_socket(s, 7777)
    body = bytearray(udp_payload(40))
    first = bytes(body[:24])
    overlap_a = bytes(body[16:24])
    frames = [
        eth(Ipv4Repr(IP_B, IP_A, IPPROTO_UDP, first, ident=5, mf=True).emit()),
        eth(Ipv4Repr(IP_B, IP_A, IPPROTO_UDP, b"B" * 8 + bytes(body[24:32]), ident=5, mf=True,
                     frag_offset=2).emit()),
        eth(Ipv4Repr(IP_B, IP_A, IPPROTO_UDP, bytes(body[32:48]), ident=5,
                     frag_offset=4).emit()),
    ]
    assert overlap_a != b"B" * 8
    rules = []
    for f in frames:
        r = s.receive(f, 0.0)
        rules += r.rules()
    got = s.recvfrom(fd, 100)
    if expected is None:
        # The overlap kills the datagram; the last fragment starts a new, incomplete one.
        assert got.errno != 0 and "RFC5722-4-MUST-overlap-discard" in rules
        return
    # With a changed byte the UDP checksum fails unless the first copy won.
    if expected == b"A":
        assert got.value[0] == bytes(range(40))
    else:
        assert got.errno != 0 and "RFC1122-4.1.3.4-MUST-discard-bad-checksum" in r.rules()


def test_reassembly_timeout_sends_time_exceeded_for_first_fragment() -> None:
    s = make_stack(LINUX)
    udp_socket(s, 7777)
    frames = fragments(udp_payload(), [(0, 16, True), (16, 32, True), (32, 48, False)])
    s.receive(frames[0], 0.0)
    assert s.poll_at() == pytest.approx(LINUX.reassembly_timeout)
    assert s.poll(29.0).frames == ()
    r = s.poll(30.0)
    d = dissect(r.frames[0])
    assert (d.icmpv4.type, d.icmpv4.code) == (11, 1)
    assert "RFC1122-3.3.2-MUST-reassembly-timeout" in r.rules()


def test_reassembly_timeout_without_first_fragment_is_silent() -> None:
    s = make_stack(LINUX)
    frames = fragments(udp_payload(), [(0, 16, True), (16, 32, True), (32, 48, False)])
    s.receive(frames[2], 0.0)
    r = s.poll(100.0)
    assert r.frames == () and "RFC1122-3.3.2-MUST-reassembly-timeout" in r.rules()


def test_non_first_fragment_never_draws_an_icmp_error() -> None:
    from reference_stack.iface import icmp_messages as icmp_rules
    s = make_stack()
    ip = Ipv4Repr(IP_B, IP_A, IPPROTO_UDP, b"x" * 8, frag_offset=3)
    assert icmp_rules.error_forbidden(ip, False, s.iface.addr) == \
        "RFC1122-3.2.2-MUST-NOT-error-non-first-fragment"


def test_arp_probe_is_answered_without_learning() -> None:
    s = make_stack()
    r = s.receive(arp_frame(ARP_REQUEST, MAC_C, b"\0\0\0\0", IP_A), 0.0)
    d = dissect(r.frames[0])
    assert d.arp.op == ARP_REPLY and d.arp.tpa == b"\0\0\0\0" and d.eth.dst == MAC_C
    assert s.iface.arp.lookup(b"\0\0\0\0") is None
    assert "RFC5227-2.1.1-MUST-answer-probe" in r.rules()


def test_arp_resolution_retries_once_a_second_then_gives_up() -> None:
    s = make_stack()
    fd = udp_socket(s, 5000)
    s.sendto(fd, b"hello", ("198.18.0.12", 7), 0.0)
    assert s.sendto(fd, b"again", ("198.18.0.12", 7), 0.5).reaction.frames == ()  # queued
    times = []
    while (t := s.poll_at()) is not None:
        r = s.poll(t)
        times += [t] * len(r.frames)
        if "RFC1122-2.3.2.1-MUST-rate-limit-arp" in r.rules():
            break
    assert times == [1.0, 2.0]  # the first request went out at 0.0
    assert s.iface.pending == {}


def test_malformed_ip_option_draws_a_parameter_problem() -> None:
    from reference_stack.wire.ipv4 import Ipv4OptMalformed, Ipv4OptNop
    ip = ping_ip(options=(Ipv4OptNop(), Ipv4OptMalformed(b"\x07\x09\x04")))  # RR, bad length
    r = make_stack().receive(eth(ip.emit()), 0.0)
    d = dissect(r.frames[0])
    assert (d.icmpv4.type, d.icmpv4.pointer) == (12, 21)
    assert "RFC1122-3.2.2.5-SHOULD-parameter-problem" in r.rules()


@pytest.mark.parametrize("profile,answered", [(LINUX, False), (RFC, True)],
                         ids=["linux", "rfc"])
def test_source_routed_datagram(profile, answered) -> None:
    from reference_stack.wire.ipv4 import Ipv4OptLsrr, Ipv4OptNop
    ip = ping_ip(options=(Ipv4OptNop(), Ipv4OptLsrr(pointer=4, addresses=(IP_C,))))
    r = make_stack(profile).receive(eth(ip.emit()), 0.0)
    assert bool(r.frames) is answered


def test_linux_accepts_a_directed_broadcast_source() -> None:
    s = make_stack(LINUX)
    fd = udp_socket(s, 5353)
    s.receive(eth(udp_ip(5353, src=ip4("198.18.0.255")).emit()), 0.0)
    assert s.recvfrom(fd, 100).value[0] == b"payload!"


def test_all_hosts_multicast_is_delivered() -> None:
    s = make_stack(LINUX)
    fd = udp_socket(s, 5353)
    group = ip4("224.0.0.1")
    r = s.receive(eth(udp_ip(5353, dst=group).emit(), mac("01:00:5e:00:00:01")), 0.0)
    assert "RFC1122-3.2.1-MUST-validate" in r.rules()
    assert s.recvfrom(fd, 100).value[0] == b"payload!"
    r = s.receive(eth(udp_ip(9, dst=group).emit(), mac("01:00:5e:00:00:01")), 0.0)
    assert r.frames == ()  # no port unreachable about a multicast datagram


@pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])
def test_echo_reply_returns_record_route_and_timestamp(profile) -> None:
    """RFC 1122 3.2.2.6: this host's entry in the returned Record Route and Timestamp. Linux
    records it twice: on receipt (ip_options_compile) and again as the reply's sender
    (ip_options_echo, then ip_options_build); measured on 6.18."""
    from reference_stack.wire.ipv4 import Ipv4OptEol, Ipv4OptRecordRoute, Ipv4OptTimestamp
    rr = Ipv4OptRecordRoute(4, (b"\0" * 4,) * 3)
    ts_opt = Ipv4OptTimestamp(5, 0, 0, b"\0" * 8)
    r = make_stack(profile).receive(
        eth(ping_ip(options=(rr, ts_opt, Ipv4OptEol(b""))).emit()), 0.25)
    opts = dissect(r.frames[0]).ipv4.options
    got_rr = next(o for o in opts if isinstance(o, Ipv4OptRecordRoute))
    got_ts = next(o for o in opts if isinstance(o, Ipv4OptTimestamp))
    entries = 2 if profile is LINUX else 1
    assert got_rr.pointer == 4 + 4 * entries and got_rr.addresses[:entries] == (IP_A,) * entries
    assert got_ts.pointer == 5 + 4 * entries and got_ts.timestamps[:entries] == (250,) * entries


def test_option_pointer_below_minimum_draws_a_parameter_problem() -> None:
    from reference_stack.wire.ipv4 import Ipv4OptMalformed
    bad_rr = Ipv4OptMalformed(b"\x07\x07\x02\x00\x00\x00\x00\x00")  # pointer 2 < 4
    r = make_stack().receive(eth(ping_ip(options=(bad_rr,)).emit()), 0.0)
    d = dissect(r.frames[0])
    assert (d.icmpv4.type, d.icmpv4.pointer) == (12, 22)


@pytest.mark.parametrize("profile,learned", [(RFC, True), (LINUX, False)], ids=["rfc", "linux"])
def test_unsolicited_reply_from_unknown_sender(profile, learned) -> None:
    # RFC 826 adds the sender of any packet that targets us; Linux (arp_accept = 0) does not
    # learn from a reply it did not ask for, so the echo reply waits for an ARP request.
    s = make_stack(profile)
    r = s.receive(arp_frame(ARP_REPLY, MAC_C, IP_C, IP_A, dst=MAC_A, tha=MAC_A), 0.0)
    assert ("LINUX-arp_process-arp-accept" in r.rules()) is not learned
    assert (s.iface.arp.lookup(IP_C) == MAC_C) is learned
