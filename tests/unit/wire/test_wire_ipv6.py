"""IPv6, its extension headers and options, ICMPv6, NDP and MLD: round trips and agreement
with an independent decoder (scapy), checksums over the RFC 8200 8.1 pseudo-header."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6MLDMultAddrRec,
    ICMPv6MLReport,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6PacketTooBig,
    ICMPv6ParamProblem,
    ICMPv6TimeExceeded,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    Jumbo,
    PadN,
    RouterAlert,
)
from scapy.layers.ipsec import AH
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from reference_stack.wire import mld, ndp
from reference_stack.wire.addr import ip6, ip6_str
from reference_stack.wire.checksum import pseudo_header_sum
from reference_stack.wire.frame import build_frame_v6, dissect
from reference_stack.wire.icmpv6 import (
    ICMP6_DST_UNREACH,
    ICMP6_PACKET_TOO_BIG,
    ICMP6_PARAM_PROB,
    ICMP6_TIME_EXCEEDED,
    Icmpv6Repr,
)
from reference_stack.wire.ipv6 import (
    IPPROTO_DSTOPTS,
    IPPROTO_FRAGMENT,
    IPPROTO_HOPOPTS,
    IPPROTO_ICMPV6,
    IPPROTO_NONE,
    IPPROTO_ROUTING,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv6Repr,
    multicast_mac,
    solicited_node,
)
from reference_stack.wire.ipv6_ext import (
    Ipv6Ah,
    Ipv6Esp,
    Ipv6Fragment,
    Ipv6OptionsHeader,
    Ipv6Routing,
    emit_chain,
    parse_chain,
)
from reference_stack.wire.ipv6_options import (
    ACTION_PARAM_PROBLEM,
    Ipv6OptJumbo,
    Ipv6OptMalformed,
    Ipv6OptPad1,
    Ipv6OptPadN,
    Ipv6OptRouterAlert,
    Ipv6OptUnknown,
    action,
    parse_options,
)
from reference_stack.wire.tcp import TcpRepr
from reference_stack.wire.udp import UdpRepr

A = ip6("2001:db8::1")
B = ip6("2001:db8::2")
MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
SCAPY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
addrs = st.binary(min_size=16, max_size=16)


def test_address_text():
    assert ip6_str(A) == "2001:db8::1"
    assert solicited_node(A) == ip6("ff02::1:ff00:1")
    assert multicast_mac(ip6("ff02::1:ff00:1")) == bytes.fromhex("3333ff000001")


@SCAPY
@given(addrs, addrs, st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFFF),
       st.integers(0, 255), st.binary(max_size=80))
def test_ipv6_header_agrees_with_scapy(src, dst, tc, hlim, fl, nh, payload):
    r = Ipv6Repr(src, dst, nh, payload, hlim, tc, fl)
    raw = r.emit()
    # the fixed header alone: scapy would dissect the payload as the Next Header says and
    # raises on a truncated extension header (nh 43 with one octet)
    p = IPv6(raw[:40])
    assert (p.tc, p.fl, p.hlim, p.nh, p.plen) == (tc, fl, hlim, nh, len(payload))
    assert (ip6(p.src), ip6(p.dst)) == (src, dst)
    jumbogram = nh == IPPROTO_HOPOPTS and not payload  # RFC 2675 3: length 0, no padding
    parsed = Ipv6Repr.parse(raw + (b"" if jumbogram else b"pad"))
    assert parsed.payload == payload and parsed.emit() == raw


def test_payload_length_past_buffer_keeps_the_rest():
    raw = Ipv6Repr(A, B, IPPROTO_NONE, b"abc", payload_length=100).emit()
    assert Ipv6Repr.parse(raw).payload == b"abc"
    assert Ipv6Repr.parse(raw).emit() == raw


def test_options_each_kind_round_trip_and_action():
    opts = (Ipv6OptPad1(), Ipv6OptPadN(b"\0\0"), Ipv6OptRouterAlert(0),
            Ipv6OptJumbo(70000), Ipv6OptUnknown(0x87, b"xy"))
    area = b"".join(o.emit() for o in opts)
    assert parse_options(area) == opts
    assert parse_options(b"\x01\x05ab") == (Ipv6OptMalformed(b"\x01\x05ab"),)
    assert [action(t) for t in (0x07, 0x47, 0x87, 0xC7)] == [0, 1, 2, 3]
    assert action(0x87) == ACTION_PARAM_PROBLEM


def test_hop_by_hop_and_destination_options_agree_with_scapy():
    hbh = Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, (Ipv6OptRouterAlert(0),))
    dst = Ipv6OptionsHeader(IPPROTO_DSTOPTS, IPPROTO_NONE, (Ipv6OptUnknown(0x1E, b"abcd"),))
    raw = Ipv6Repr(A, B, IPPROTO_HOPOPTS, emit_chain((hbh, dst))).emit()
    p = IPv6(raw)
    assert isinstance(p.options[0], RouterAlert) if hasattr(p, "options") else True
    s_hbh = p[IPv6ExtHdrHopByHop]
    assert s_hbh.nh == IPPROTO_DSTOPTS and s_hbh.len == 0
    assert any(isinstance(o, RouterAlert) for o in s_hbh.options)
    s_dst = p[IPv6ExtHdrDestOpt]
    assert s_dst.nh == IPPROTO_NONE and s_dst.len == 0
    chain = parse_chain(IPPROTO_HOPOPTS, raw[40:])
    assert [h.emit() for _, _, h in chain.headers] == [hbh.emit(), dst.emit()]
    assert chain.upper_protocol == IPPROTO_NONE and chain.upper_offset == 56
    assert chain.next_header_at == 48  # the Destination Options header's Next Header


def test_scapy_built_options_parse():
    built = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop(
        options=[Jumbo(jumboplen=70000), PadN(optdata=b"\0\0")]) / Raw(b"x" * 8))
    ip = Ipv6Repr.parse(built)
    chain = parse_chain(ip.next_header, ip.payload)
    hbh = chain.headers[0][2]
    assert Ipv6OptJumbo(70000) in hbh.options
    assert hbh.emit() == built[40:48 + 8 * (built[41] if False else hbh.hdr_ext_len)]


def test_routing_types_parsed():
    rh0 = Ipv6Routing(IPPROTO_NONE, 0, 1, bytes(4) + A + B)
    assert rh0.addresses == (A, B)
    s = IPv6ExtHdrRouting(bytes(rh0.emit()))
    assert (s.type, s.segleft, s.len) == (0, 1, 4)
    assert [ip6(a) for a in s.addresses] == [A, B]
    rh2 = Ipv6Routing(IPPROTO_NONE, 2, 1, bytes(4) + A)
    assert Ipv6Routing.parse(rh2.emit()).addresses == (A,)
    rpl = Ipv6Routing(IPPROTO_NONE, 3, 1, bytes((0xFF, 0x40, 0, 0)) + b"\x01\x02\x03\x04")
    assert rpl.rpl == (15, 15, 4, b"")
    srh_s = IPv6ExtHdrSegmentRouting(addresses=["2001:db8::1", "2001:db8::2"], segleft=1,
                                     nh=IPPROTO_NONE)
    srh = Ipv6Routing.parse(bytes(srh_s))
    assert srh.routing_type == 4 and srh.segments_left == 1
    last, _, _, segments, tlvs = srh.srh
    assert last == 1 and set(segments) == {A, B} and tlvs == b""
    assert srh.emit() == bytes(srh_s)


@SCAPY
@given(st.integers(0, 0x1FFF), st.booleans(), st.integers(0, 2**32 - 1), st.integers(0, 255))
def test_fragment_header_agrees_with_scapy(offset, m, ident, nh):
    f = Ipv6Fragment(nh, offset, m, ident)
    s = IPv6ExtHdrFragment(f.emit())
    assert (s.nh, s.offset, s.m, s.id) == (nh, offset, int(m), ident)
    assert Ipv6Fragment.parse(f.emit()) == f
    assert f.atomic == (offset == 0 and not m)


def test_ah_and_esp_recognised():
    ah = Ipv6Ah(IPPROTO_ICMPV6, 0x100, 7, bytes(12))
    s = AH(ah.emit())
    assert (s.nh, s.spi, s.seq, s.payloadlen) == (IPPROTO_ICMPV6, 0x100, 7, 4)
    chain = parse_chain(51, ah.emit() + Ipv6Esp(5, 9, b"secret").emit())
    assert chain.headers[0][2].emit() == ah.emit() and chain.upper_protocol == 58
    esp_chain = parse_chain(50, Ipv6Esp(5, 9, b"secret").emit())
    assert esp_chain.headers[0][2] == Ipv6Esp(5, 9, b"secret")
    assert esp_chain.upper_protocol == IPPROTO_NONE


def test_truncated_header_ends_the_walk():
    chain = parse_chain(IPPROTO_FRAGMENT, b"\x3a\x00\x00")
    assert chain.error == "truncated fragment header" and chain.headers == ()
    assert chain.upper_protocol == IPPROTO_FRAGMENT and chain.upper_offset == 40


@SCAPY
@given(addrs, addrs, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=60))
def test_echo_checksum_agrees_with_scapy(src, dst, ident, seq, data):
    for r, cls in ((Icmpv6Repr.echo_request(ident, seq, data), ICMPv6EchoRequest),
                   (Icmpv6Repr.echo_reply(ident, seq, data), ICMPv6EchoReply)):
        raw = Ipv6Repr(src, dst, IPPROTO_ICMPV6, r.emit(src, dst)).emit()
        p = IPv6(raw)[cls]
        assert (p.id, p.seq, bytes(p.data)) == (ident, seq, data)
        fresh = IPv6(raw)
        del fresh[cls].cksum
        assert IPv6(bytes(fresh))[cls].cksum == p.cksum
        assert Icmpv6Repr.parse(raw[40:]).checksum_ok(src, dst)


def test_error_messages_agree_with_scapy():
    quoted = Ipv6Repr(B, A, IPPROTO_UDP, bytes(8)).emit()
    cases = ((ICMP6_DST_UNREACH, 4, 0, ICMPv6DestUnreach),
             (ICMP6_PACKET_TOO_BIG, 0, 1280, ICMPv6PacketTooBig),
             (ICMP6_TIME_EXCEEDED, 1, 0, ICMPv6TimeExceeded),
             (ICMP6_PARAM_PROB, 1, 40, ICMPv6ParamProblem))
    for icmp_type, code, rest, cls in cases:
        r = Icmpv6Repr.error(icmp_type, code, quoted, rest)
        raw = Ipv6Repr(A, B, IPPROTO_ICMPV6, r.emit(A, B)).emit()
        p = IPv6(raw)[cls]
        assert (p.type, p.code) == (icmp_type, code)
        if cls is ICMPv6PacketTooBig:
            assert p.mtu == rest
        if cls is ICMPv6ParamProblem:
            assert p.ptr == rest
        fresh = IPv6(raw)
        del fresh[cls].cksum
        assert IPv6(bytes(fresh))[cls].cksum == p.cksum


def _nd_round_trip(message, scapy_cls):
    icmp = message.to_icmp()
    raw = Ipv6Repr(A, B, IPPROTO_ICMPV6, icmp.emit(A, B), hop_limit=255).emit()
    p = IPv6(raw)
    assert scapy_cls in p
    fresh = IPv6(raw)
    del fresh[scapy_cls].cksum
    assert IPv6(bytes(fresh))[scapy_cls].cksum == p[scapy_cls].cksum
    assert ndp.from_icmp(Icmpv6Repr.parse(raw[40:])) == message
    return p


def test_neighbor_solicitation_and_advertisement():
    ns = ndp.NeighborSolicit(A, (ndp.NdOptLinkAddr(ndp.OPT_SOURCE_LLADDR, MAC_B),))
    p = _nd_round_trip(ns, ICMPv6ND_NS)
    assert ip6(p[ICMPv6ND_NS].tgt) == A and p[ICMPv6NDOptSrcLLAddr].lladdr == "02:00:00:00:00:02"
    na = ndp.NeighborAdvert(A, solicited=True, override=True,
                            options=(ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, MAC_A),))
    p = _nd_round_trip(na, ICMPv6ND_NA)
    assert (p[ICMPv6ND_NA].R, p[ICMPv6ND_NA].S, p[ICMPv6ND_NA].O) == (0, 1, 1)
    assert p[ICMPv6NDOptDstLLAddr].lladdr == "02:00:00:00:00:01"


def test_router_messages_and_redirect():
    _nd_round_trip(ndp.RouterSolicit((ndp.NdOptLinkAddr(1, MAC_B),)), ICMPv6ND_RS)
    ra = ndp.RouterAdvert(64, True, False, 0, 1800, 30000, 1000, (
        ndp.NdOptPrefixInfo(64, ip6("2001:db8:1::"), valid_lifetime=86400,
                            preferred_lifetime=14400),
        ndp.NdOptMtu(1500), ndp.NdOptUnknown(200, bytes(6))))
    p = _nd_round_trip(ra, ICMPv6ND_RA)
    assert (p[ICMPv6ND_RA].M, p[ICMPv6ND_RA].routerlifetime) == (1, 1800)
    assert p[ICMPv6NDOptPrefixInfo].prefix == "2001:db8:1::"
    assert p[ICMPv6NDOptPrefixInfo].validlifetime == 86400 and p[ICMPv6NDOptMTU].mtu == 1500
    redirect = ndp.Redirect(A, ip6("2001:db8:9::1"),
                            (ndp.NdOptRedirected(Ipv6Repr(B, A, IPPROTO_NONE).emit()),))
    p = _nd_round_trip(redirect, ICMPv6ND_Redirect)
    assert ip6(p[ICMPv6ND_Redirect].dst) == ip6("2001:db8:9::1")


def test_nd_option_length_zero_is_malformed():
    assert ndp.parse_nd_options(b"\x01\x00" + bytes(6)) == (ndp.NdOptMalformed(b"\x01\x00"
                                                                               + bytes(6)),)


def test_mld_reports():
    group = ip6("ff02::1:ff00:1")
    v1 = mld.MldV1(131, group)
    raw = Ipv6Repr(A, group, IPPROTO_ICMPV6, v1.to_icmp().emit(A, group)).emit()
    assert ip6(IPv6(raw)[ICMPv6MLReport].mladdr) == group
    assert mld.from_icmp(Icmpv6Repr.parse(raw[40:])) == v1
    v2 = mld.MldV2Report((mld.MldRecord(mld.CHANGE_TO_EXCLUDE_MODE, group),
                          mld.MldRecord(mld.MODE_IS_INCLUDE, group, (A, B))))
    raw = Ipv6Repr(A, ip6("ff02::16"), IPPROTO_ICMPV6, v2.to_icmp().emit(A, ip6("ff02::16"))
                   ).emit()
    p = IPv6(raw)[ICMPv6MLReport2]
    assert p.records_number == 2
    recs = p[ICMPv6MLDMultAddrRec]
    assert recs.rtype == mld.CHANGE_TO_EXCLUDE_MODE
    assert mld.from_icmp(Icmpv6Repr.parse(raw[40:])) == v2


@SCAPY
@given(addrs, addrs, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=60))
def test_udp_and_tcp_over_ipv6_checksums_agree_with_scapy(src, dst, sport, dport, data):
    udp = UdpRepr(sport, dport, data).emit(src, dst)
    p = IPv6(Ipv6Repr(src, dst, IPPROTO_UDP, udp).emit())[UDP]
    fresh = p.copy()
    del fresh.chksum
    assert IPv6(bytes(IPv6(src=ip6_str(src), dst=ip6_str(dst)) / fresh))[UDP].chksum == p.chksum
    assert UdpRepr.parse(udp).checksum_ok(src, dst)
    tcp = TcpRepr(sport, dport, 1, 2, 0x12, 1000, data).emit(src, dst)
    p = IPv6(Ipv6Repr(src, dst, IPPROTO_TCP, tcp).emit())[TCP]
    fresh = p.copy()
    del fresh.chksum
    assert IPv6(bytes(IPv6(src=ip6_str(src), dst=ip6_str(dst)) / fresh))[TCP].chksum == p.chksum
    assert TcpRepr.parse(tcp).checksum_ok(src, dst)


def test_pseudo_header_ipv6_words():
    # RFC 8200 8.1: addresses, a 32-bit length, zeros and the next header.
    total = sum(int.from_bytes(w, "big") for w in (A[i:i + 2] for i in range(0, 16, 2)))
    total += sum(int.from_bytes(w, "big") for w in (B[i:i + 2] for i in range(0, 16, 2)))
    assert pseudo_header_sum(A, B, 58, 0x10008) % 0xFFFF == (total + 1 + 8 + 58) % 0xFFFF


def test_dissect_ipv6_frames():
    icmp = Icmpv6Repr.echo_request(1, 2, b"hi")
    frame = build_frame_v6(MAC_A, MAC_B, Ipv6Repr(A, B, IPPROTO_ICMPV6), icmp)
    d = dissect(frame)
    assert d.ipv6.src == A and d.icmpv6.ident == 1 and d.l4 is d.icmpv6 and d.ip is d.ipv6
    assert "ICMPv6 echo request" in d.summary()
    frag = Ipv6Fragment(IPPROTO_UDP, 0, True, 5).emit()
    frame = build_frame_v6(MAC_A, MAC_B, Ipv6Repr(A, B, IPPROTO_FRAGMENT), UdpRepr(1, 2, b"x"),
                           ext=frag)
    d = dissect(frame)
    assert d.udp is not None and d.ipv6_ext.fragment.m
    later = Ipv6Fragment(IPPROTO_UDP, 2, False, 5).emit()
    raw = Ether(bytes(build_frame_v6(MAC_A, MAC_B, Ipv6Repr(A, B, IPPROTO_FRAGMENT,
                                                           later + b"data"))))
    d = dissect(bytes(raw))
    assert d.udp is None and d.error is None and d.ipv6_ext.upper == b"data"
    routed = Ipv6Routing(IPPROTO_NONE, 0, 0, bytes(4)).emit()
    d = dissect(build_frame_v6(MAC_A, MAC_B, Ipv6Repr(A, B, IPPROTO_ROUTING, routed)))
    assert d.ipv6_ext.headers[0][1] == IPPROTO_ROUTING
