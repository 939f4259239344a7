"""The oracle's IPv6 core (RFC 8200 input, RFC 4443 ICMPv6, RFC 4861 Neighbor Discovery), and
the `linux` profile's IPv6 choices against the `rfc` profile (ip6_parse_tlv's padding checks,
ipv6_srh_rcv, no esp6, ndisc_recv_ns's target link-layer address)."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.stack import ReferenceStack
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip4, ip6, mac
from reference_stack.wire.frame import build_frame_v6, dissect
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, ICMP6_PARAM_PROB, Icmpv6Repr
from reference_stack.wire.ipv6 import (
    IPPROTO_DSTOPTS,
    IPPROTO_FRAGMENT,
    IPPROTO_HOPOPTS,
    IPPROTO_ICMPV6,
    IPPROTO_ROUTING,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv6Repr,
    multicast_mac,
    solicited_node,
)
from reference_stack.wire.ipv6_ext import Ipv6Fragment, Ipv6OptionsHeader, Ipv6Routing
from reference_stack.wire.ipv6_options import Ipv6OptPadN, Ipv6OptUnknown
from reference_stack.wire.tcp import ACK, RST, SYN, TcpRepr
from reference_stack.wire.udp import UdpRepr

DUT = ip6("2001:db8::1")
TESTER = ip6("2001:db8::2")
SPARE = ip6("2001:db8::3")
ALL_NODES = ip6("ff02::1")
DUT_MAC = mac("02:00:00:00:00:01")
TESTER_MAC = mac("02:00:00:00:00:02")
BOTH = pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])


def stack(profile=LINUX) -> ReferenceStack:
    s = ReferenceStack(profile, DUT_MAC, ip4("198.18.0.1"), 24, ipv6=DUT)
    s.add_neighbor(TESTER, TESTER_MAC)
    return s


def frame(l4=None, nh=IPPROTO_ICMPV6, ext=b"", src=TESTER, dst=DUT, hop_limit=64,
          payload=b"", eth_dst=DUT_MAC) -> bytes:
    ip = Ipv6Repr(src, dst, nh, payload, hop_limit)
    return build_frame_v6(TESTER_MAC, eth_dst, ip, l4, ext)


def echo(rest=0x10001, data=b"ping") -> Icmpv6Repr:
    return Icmpv6Repr(128, 0, rest, data)


def opts(*options, next_header=IPPROTO_ICMPV6, protocol=IPPROTO_DSTOPTS) -> bytes:
    return Ipv6OptionsHeader(protocol, next_header, options).emit()


def only(reaction):
    (out,) = reaction.frames
    return dissect(out)


@BOTH
def test_echo_reply_mirrors_the_request(profile):
    r = stack(profile).receive(frame(echo()), 0.0)
    d = only(r)
    assert (d.ipv6.src, d.ipv6.dst, d.icmpv6.type, d.icmpv6.rest) == (DUT, TESTER, 129, 0x10001)
    assert d.icmpv6.payload == b"ping" and d.icmpv6.checksum_ok(DUT, TESTER)
    assert "RFC4443-4.2-MUST-echo-reply" in r.rules()
    assert r.predictions[0].check(r.frames[0]) == []


def test_echo_to_all_nodes_answered_from_our_unicast_address():
    r = stack().receive(frame(echo(), dst=ALL_NODES, eth_dst=multicast_mac(ALL_NODES)), 0.0)
    assert only(r).ipv6.src == DUT and "RFC4443-4.2-SHOULD-echo-multicast" in r.rules()


def test_hop_limit_zero_is_processed_at_the_destination():
    r = stack().receive(frame(echo(), hop_limit=0), 0.0)
    assert only(r).icmpv6.type == 129
    assert "RFC8200-3-SHOULD-process-hop-limit-zero" in r.rules()


@pytest.mark.parametrize("src,dst,rule", [
    (ip6("ff02::5"), DUT, "RFC4291-2.7-MUST-NOT-multicast-source"),
    (TESTER, ip6("2001:db8::99"), "RFC4291-2.8-MUST-dst-not-ours"),
])
def test_martians_are_dropped(src, dst, rule):
    r = stack().receive(frame(echo(), src=src, dst=dst), 0.0)
    assert r.frames == () and rule in r.rules()


def test_unrecognized_next_header_points_at_the_field():
    r = stack().receive(frame(nh=253, payload=b"12345678"), 0.0)
    d = only(r)
    assert (d.icmpv6.type, d.icmpv6.code, d.icmpv6.pointer) == (ICMP6_PARAM_PROB, 1, 6)
    # After a Destination Options header, the pointer is that header's Next Header field.
    r = stack().receive(frame(nh=IPPROTO_DSTOPTS, payload=opts(next_header=253)), 0.0)
    assert only(r).icmpv6.pointer == 40


def test_hop_by_hop_after_another_header_is_an_unrecognized_next_header():
    ext = opts(next_header=IPPROTO_HOPOPTS) + opts(protocol=IPPROTO_HOPOPTS)
    r = stack().receive(frame(echo(), nh=IPPROTO_DSTOPTS, ext=ext), 0.0)
    d = only(r)
    assert (d.icmpv6.code, d.icmpv6.pointer) == (1, 40)
    assert "RFC8200-4-SHOULD-hop-by-hop-only-first" in r.rules()


@pytest.mark.parametrize("opt_type,to_multicast,answer,rule", [
    (0x07, False, 129, "RFC8200-4.2-MUST-option-skip"),
    (0x47, False, None, "RFC8200-4.2-MUST-option-discard"),
    (0x87, False, ICMP6_PARAM_PROB, "RFC8200-4.2-MUST-option-param-problem"),
    (0xC7, False, ICMP6_PARAM_PROB, "RFC8200-4.2-MUST-option-param-problem-unicast"),
    (0x87, True, ICMP6_PARAM_PROB, "RFC8200-4.2-MUST-option-param-problem"),
    (0xC7, True, None, "RFC8200-4.2-MUST-option-param-problem-unicast"),
])
def test_unrecognized_option_actions(opt_type, to_multicast, answer, rule):
    dst = ALL_NODES if to_multicast else DUT
    ext = opts(Ipv6OptUnknown(opt_type, b"abcd"))
    r = stack().receive(frame(echo(), nh=IPPROTO_DSTOPTS, ext=ext, dst=dst,
                              eth_dst=multicast_mac(dst) if to_multicast else DUT_MAC), 0.0)
    assert rule in r.rules()
    if answer is None:
        assert r.frames == ()
        return
    d = only(r)
    assert d.icmpv6.type == answer
    if answer == ICMP6_PARAM_PROB:
        assert (d.icmpv6.code, d.icmpv6.pointer) == (2, 42)


def test_routing_header_type_0():
    left = Ipv6Routing(IPPROTO_ICMPV6, 0, 1, bytes(4) + DUT).emit()
    d = only(stack().receive(frame(echo(), nh=IPPROTO_ROUTING, ext=left), 0.0))
    assert (d.icmpv6.type, d.icmpv6.code, d.icmpv6.pointer) == (ICMP6_PARAM_PROB, 0, 42)
    done = Ipv6Routing(IPPROTO_ICMPV6, 0, 0, bytes(4) + DUT).emit()
    r = stack().receive(frame(echo(), nh=IPPROTO_ROUTING, ext=done), 0.0)
    assert only(r).icmpv6.type == 129
    assert "RFC8200-4.4-MUST-ignore-segments-left-zero" in r.rules()


def test_atomic_fragment_is_processed_in_isolation():
    ext = Ipv6Fragment(IPPROTO_ICMPV6, 0, False, 7).emit()
    r = stack().receive(frame(echo(), nh=IPPROTO_FRAGMENT, ext=ext), 0.0)
    assert only(r).icmpv6.type == 129
    assert "RFC6946-4-MUST-process-atomic-fragment" in r.rules()


def test_udp_closed_port_quotes_as_much_as_fits_in_1280():
    r = stack().receive(frame(UdpRepr(40000, 9, bytes(1400)), nh=IPPROTO_UDP), 0.0)
    d = only(r)
    assert (d.icmpv6.type, d.icmpv6.code) == (ICMP6_DST_UNREACH, 4)
    assert len(r.frames[0]) - 14 == 1280 and len(d.icmpv6.payload) == 1232
    assert "RFC4443-2.4-MUST-error-fit-minimum-mtu" in r.rules()


def test_udp_zero_checksum_is_dropped():
    r = stack().receive(frame(UdpRepr(40000, 9, b"x", checksum=0), nh=IPPROTO_UDP), 0.0)
    assert r.frames == () and "RFC8200-8.1-MUST-discard-zero-udp-checksum" in r.rules()


def test_no_error_about_an_error_or_an_unknown_informational():
    ext = opts(Ipv6OptUnknown(0x87, b"abcd"))
    pp = Icmpv6Repr(ICMP6_PARAM_PROB, 0, 0, bytes(48))
    r = stack().receive(frame(pp, nh=IPPROTO_DSTOPTS, ext=ext), 0.0)
    assert r.frames == () and "RFC4443-2.4-MUST-NOT-error-about-error" in r.rules()
    r = stack().receive(frame(Icmpv6Repr(200)), 0.0)
    assert r.frames == () and "RFC4443-2.4-MUST-discard-unknown-informational" in r.rules()


def test_tcp_to_a_closed_port_over_ipv6_gets_a_reset():
    syn = TcpRepr(40000, 80, seq=1000, flags=SYN, window=1000)
    d = only(stack().receive(frame(syn, nh=IPPROTO_TCP), 0.0))
    assert (d.tcp.flags, d.tcp.seq, d.tcp.ack) == (RST | ACK, 0, 1001)
    assert d.tcp.checksum_ok(DUT, TESTER)


def _ns(target=DUT, src=TESTER, dst=DUT, hop_limit=255, code=0, sll=True, eth_dst=DUT_MAC):
    options = (ndp.NdOptLinkAddr(ndp.OPT_SOURCE_LLADDR, TESTER_MAC),) if sll else ()
    return frame(ndp.NeighborSolicit(target, options).to_icmp(code), src=src, dst=dst,
                 hop_limit=hop_limit, eth_dst=eth_dst)


def test_multicast_solicitation_gets_a_solicited_override_advertisement_with_tlla():
    group = solicited_node(DUT)
    r = stack().receive(_ns(dst=group, eth_dst=multicast_mac(group)), 0.0)
    d = only(r)
    na = ndp.from_icmp(d.icmpv6)
    assert d.ipv6.hop_limit == 255 and d.ipv6.dst == TESTER
    assert (na.target, na.solicited, na.override, na.router) == (DUT, True, True, False)
    assert ndp.lladdr_option(na.options, ndp.OPT_TARGET_LLADDR) == DUT_MAC


@BOTH
def test_unicast_solicitation_tlla_is_linux_s_choice(profile):
    r = stack(profile).receive(_ns(), 0.0)
    na = ndp.from_icmp(only(r).icmpv6)
    assert na.solicited
    if profile is LINUX:  # ndisc_recv_ns: inc_opt only for a multicast solicitation
        assert na.options == () and not na.override
        assert "LINUX-ndisc_recv_ns-tlla-multicast-only" in r.rules()
    else:
        assert ndp.lladdr_option(na.options, ndp.OPT_TARGET_LLADDR) == DUT_MAC and na.override


def test_dad_solicitation_answered_to_all_nodes_unsolicited():
    group = solicited_node(DUT)
    d = only(stack().receive(_ns(src=bytes(16), dst=group, sll=False,
                                 eth_dst=multicast_mac(group)), 0.0))
    na = ndp.from_icmp(d.icmpv6)
    assert d.ipv6.dst == ALL_NODES and d.eth.dst == multicast_mac(ALL_NODES)
    assert not na.solicited and na.override


@pytest.mark.parametrize("kwargs,rule", [
    ({"hop_limit": 254}, "RFC4861-7.1.1-MUST-validate-hop-limit"),
    ({"code": 1}, "RFC4861-7.1.1-MUST-validate-code"),
    ({"target": SPARE}, "RFC4861-7.2.3-MUST-target-not-ours"),
    ({"target": ALL_NODES}, "RFC4861-7.1.1-MUST-validate-target-not-multicast"),
])
def test_invalid_solicitations_are_silently_discarded(kwargs, rule):
    r = stack().receive(_ns(**kwargs), 0.0)
    assert r.frames == () and rule in r.rules()


def test_solicitation_from_a_new_neighbor_creates_its_entry_and_is_answered_there():
    s = stack()
    r = s.receive(_ns(src=SPARE), 0.0)
    d = only(r)
    assert d.ipv6.dst == SPARE and d.eth.dst == TESTER_MAC
    # STALE (7.2.3), then DELAY as the advertisement goes out through it (7.3.3)
    assert s.iface.nd.state(SPARE) == "DELAY"
    assert "RFC4861-7.2.3-SHOULD-update-cache" in r.rules()
    assert "RFC4861-7.3.3-MUST-stale-to-delay" in r.rules()


def test_address_resolution_then_advertisement_releases_the_packet():
    s = stack()
    other = ip6("2001:db8::4")
    r = s.receive(frame(echo(), src=other), 0.0)
    d = only(r)
    assert d.icmpv6.type == 135 and d.ipv6.dst == solicited_node(other)
    assert s.iface.nd.state(other) == "INCOMPLETE"
    na = ndp.NeighborAdvert(other, solicited=True, override=True, options=(
        ndp.NdOptLinkAddr(ndp.OPT_TARGET_LLADDR, TESTER_MAC),)).to_icmp()
    r = s.receive(frame(na, src=other, hop_limit=255), 0.0)
    d = only(r)
    assert d.icmpv6.type == 129 and d.ipv6.dst == other
    assert s.iface.nd.state(other) == "REACHABLE"


def test_router_solicitation_is_discarded_by_a_host():
    rs = ndp.RouterSolicit().to_icmp()
    r = stack().receive(frame(rs, hop_limit=255), 0.0)
    assert r.frames == () and "RFC4861-6.2.6-MUST-host-discard-rs" in r.rules()


@BOTH
@pytest.mark.parametrize("padding", [Ipv6OptPadN(b"\1\2\3\4"), Ipv6OptPadN(bytes(12))],
                         ids=["nonzero", "long"])
def test_padding_checks_are_linux_s(profile, padding):
    r = stack(profile).receive(frame(echo(), nh=IPPROTO_DSTOPTS, ext=opts(padding)), 0.0)
    if profile is LINUX:  # ip6_parse_tlv (RFC 4942 2.1.9.5)
        assert r.frames == ()
        assert any(rule.startswith("LINUX-ip6_parse_tlv-") for rule in r.rules())
    else:  # RFC 8200 4.2: padding is skipped
        assert only(r).icmpv6.type == 129


@BOTH
def test_segment_routing_header_is_dropped_by_linux(profile):
    srh = Ipv6Routing(IPPROTO_ICMPV6, 4, 1, bytes((1, 0, 0, 0)) + DUT + DUT).emit()
    r = stack(profile).receive(frame(echo(), nh=IPPROTO_ROUTING, ext=srh), 0.0)
    if profile is LINUX:  # ipv6_srh_rcv with seg6_enabled = 0
        assert r.frames == () and "LINUX-ipv6_srh_rcv-seg6-disabled" in r.rules()
    else:
        assert (only(r).icmpv6.code, only(r).icmpv6.pointer) == (0, 42)


@BOTH
def test_esp_without_the_module_is_an_unknown_next_header_to_linux(profile):
    r = stack(profile).receive(frame(nh=50, payload=b"12345678abcdefgh"), 0.0)
    if profile is LINUX:
        assert only(r).icmpv6.code == 1
        assert "LINUX-ip6_protocol_deliver_rcu-no-ipsec" in r.rules()
    else:  # RFC 4303 3.4.2: no Security Association: discarded
        assert r.frames == () and "RFC4303-3.4.2-MUST-discard-no-sa" in r.rules()


def test_a_stack_without_ipv6_ignores_ipv6_frames():
    s = ReferenceStack(LINUX, DUT_MAC, ip4("198.18.0.1"), 24)
    r = s.receive(frame(echo()), 0.0)
    assert r.frames == () and "RFC894-MUST-ethertype-unknown" in r.rules()


def _fragments(s, pieces, ident=9):
    """Send (start, data, more) fragments of one packet; the reactions."""
    return [s.receive(frame(nh=IPPROTO_FRAGMENT, payload=Ipv6Fragment(
        IPPROTO_ICMPV6, start // 8, more, ident).emit() + data), 0.0) for start, data, more in
        pieces]


def test_reassembly_in_any_order_then_echo():
    message = echo(data=bytes(100)).emit(TESTER, DUT)
    s = stack()
    *_, last = _fragments(s, [(56, message[56:], False), (0, message[:56], True)])
    d = only(last)
    assert d.icmpv6.type == 129 and d.icmpv6.payload == bytes(100)
    assert s.iface.reasm6.datagrams == {}


def test_overlap_discards_the_whole_packet_and_a_duplicate_does_not():
    message = echo(data=bytes(100)).emit(TESTER, DUT)
    s = stack()
    rs = _fragments(s, [(0, message[:64], True), (32, message[32:96], True),
                        (64, message[64:], False)])
    assert "RFC5722-4-MUST-overlap-discard" in rs[1].rules()
    assert all(r.frames == () for r in rs)
    rs = _fragments(stack(), [(0, message[:64], True), (0, message[:64], True),
                              (64, message[64:], False)], ident=10)
    assert "RFC8200-4.5-MAY-drop-exact-duplicate" in rs[1].rules()
    assert only(rs[2]).icmpv6.type == 129


def test_timeout_sends_time_exceeded_only_with_the_first_fragment():
    message = echo(data=bytes(100)).emit(TESTER, DUT)
    s = stack()
    _fragments(s, [(0, message[:64], True)])
    _fragments(s, [(64, message[64:], False)], ident=11)
    assert s.poll_at() == 60.0
    r = s.poll(60.0)
    (error,) = r.frames
    d = dissect(error)
    assert (d.icmpv6.type, d.icmpv6.code) == (3, 1)
    assert r.rules().count("RFC8200-4.5-MUST-reassembly-timeout") == 2


def test_later_fragment_with_zero_octets_is_no_icmpv6_error():
    """A fragment past offset 0 shows no upper-layer header: its errors are allowed."""
    r = _fragments(stack(), [(65528, bytes(16), False)])[0]
    d = only(r)
    assert (d.icmpv6.type, d.icmpv6.code, d.icmpv6.pointer) == (ICMP6_PARAM_PROB, 0, 42)


def test_mld_query_is_answered_by_a_report_after_a_random_delay():
    from reference_stack.wire import mld

    s = stack()
    query = mld.MldV2Query(bytes(16), max_resp_code=1000).to_icmp()
    r = s.receive(frame(query, src=ip6("fe80::1"), dst=ALL_NODES, hop_limit=1,
                        eth_dst=multicast_mac(ALL_NODES)), 0.0)
    assert r.frames == () and "RFC3810-6.2-MUST-respond-to-query" in r.rules()
    due = s.poll_at()
    assert due is not None and 0.0 <= due <= 1.0
    (report,) = s.poll(due).frames
    d = dissect(report)
    assert (d.ipv6.src, d.ipv6.dst, d.ipv6.hop_limit) == (bytes(16), ip6("ff02::16"), 1)
    records = mld.from_icmp(d.icmpv6).records
    assert [rec.group for rec in records] == [solicited_node(DUT)]
    assert d.icmpv6.checksum_ok(d.ipv6.src, d.ipv6.dst)
