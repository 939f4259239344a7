"""The `linux` profile's IPv6 choices the hypothesis engine found over IPv6, against the
`rfc` profile: ipv6_rpl_srh_rcv (an RPL Source Route Header dropped whatever its Segments
Left), ipv6_srh_rcv (the same for a Segment Routing Header), ipv6_hop_jumbo (a misaligned
Jumbo Payload option dropped); and RFC 2675 3's errors, which both profiles apply."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY, ICMP6_PARAM_PROB, Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6, IPPROTO_ROUTING
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader, Ipv6Routing
from reference_stack.wire.ipv6_options import Ipv6OptJumbo, Ipv6OptPadN

from .test_ipv6_oracle import frame, stack

ECHO = Icmpv6Repr(128, 0, 7, b"")
BOTH = pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])


def _answer(profile, nh, ext):
    r = stack(profile).receive(frame(ECHO, nh=nh, ext=ext), 0.0)
    icmp = [dissect(f).icmpv6 for f in r.frames]
    return (icmp[0] if icmp else None), r.rules()


@pytest.mark.parametrize("routing_type,rule", [
    (3, "LINUX-ipv6_rpl_srh_rcv-rpl-disabled"), (4, "LINUX-ipv6_srh_rcv-seg6-disabled")])
def test_rpl_and_srh_with_segments_left_zero(routing_type, rule):
    ext = Ipv6Routing(IPPROTO_ICMPV6, routing_type, 0).emit()
    answer, _ = _answer(RFC, IPPROTO_ROUTING, ext)
    assert answer.type == ICMP6_ECHO_REPLY  # RFC 8200 4.4: ignored
    answer, rules = _answer(LINUX, IPPROTO_ROUTING, ext)
    assert answer is None and rule in rules


@BOTH
@pytest.mark.parametrize("length,pointer,rule", [
    (100, 46 + 2, "RFC2675-3-MUST-jumbo-length-too-small"),
    (70000, 46, "RFC2675-3-MUST-jumbo-with-payload-length")])
def test_jumbo_option_errors(profile, length, pointer, rule):
    ext = Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6,
                            (Ipv6OptPadN(bytes(2)), Ipv6OptJumbo(length))).emit()
    answer, rules = _answer(profile, IPPROTO_HOPOPTS, ext)
    assert (answer.type, answer.code, answer.rest) == (ICMP6_PARAM_PROB, 0, pointer)
    assert rule in rules


def test_misaligned_jumbo_option_linux_drops():
    ext = Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6,
                            (Ipv6OptPadN(b""), Ipv6OptJumbo(70000))).emit()  # at 44: 4n
    answer, _ = _answer(RFC, IPPROTO_HOPOPTS, ext)
    assert answer.type == ICMP6_PARAM_PROB
    answer, rules = _answer(LINUX, IPPROTO_HOPOPTS, ext)
    assert answer is None and "LINUX-ipv6_hop_jumbo-length-alignment" in rules


def test_port_unreachable_quotes_the_datagram_trimmed_to_its_udp_length():
    """Linux __udp6_lib_rcv trims octets beyond the UDP length before the port lookup (the
    profile's icmp_quote_udp_length, as over IPv4); the rfc profile quotes what arrived."""
    from reference_stack.wire.ipv6 import IPPROTO_UDP
    from reference_stack.wire.udp import UdpRepr

    udp = UdpRepr(1024, 5353, b"\0", length=8)
    quotes = {}
    for profile in (RFC, LINUX):
        r = stack(profile).receive(frame(udp, nh=IPPROTO_UDP), 0.0)
        quotes[profile.name] = len(dissect(r.frames[0]).icmpv6.payload)
    assert quotes == {"rfc": 40 + 9, "linux": 40 + 8}


def test_second_fragment_header_linux_parameter_problem():
    from reference_stack.wire.ipv6 import IPPROTO_FRAGMENT
    from reference_stack.wire.ipv6_ext import Ipv6Fragment

    ext = Ipv6Fragment(IPPROTO_FRAGMENT, 0, False, 1).emit() + Ipv6Fragment(
        IPPROTO_ICMPV6, 0, False, 2).emit()
    answer, _ = _answer(RFC, IPPROTO_FRAGMENT, ext)
    assert answer.type == ICMP6_ECHO_REPLY  # two atomic fragments, each processed
    answer, rules = _answer(LINUX, IPPROTO_FRAGMENT, ext)
    assert (answer.type, answer.code, answer.rest) == (ICMP6_PARAM_PROB, 0, 48)
    assert "LINUX-ipv6_frag_rcv-fragment-header-twice" in rules


def test_router_alert_of_the_wrong_length_linux_drops():
    from reference_stack.wire.ipv6_options import Ipv6OptUnknown

    ext = Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6, (Ipv6OptUnknown(5, b""),)).emit()
    answer, _ = _answer(RFC, IPPROTO_HOPOPTS, ext)
    assert answer.type == ICMP6_ECHO_REPLY
    answer, rules = _answer(LINUX, IPPROTO_HOPOPTS, ext)
    assert answer is None and "LINUX-ipv6_hop_ra-wrong-length" in rules


def _udp_raw(length_field: int, payload: bytes, protocol: int = 17) -> bytes:
    from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum

    from .test_ipv6_oracle import DUT, TESTER

    raw = bytearray((40001).to_bytes(2, "big") + (9).to_bytes(2, "big")
                    + length_field.to_bytes(2, "big") + bytes(2) + payload)
    raw[6:8] = internet_checksum(bytes(raw), pseudo_header_sum(TESTER, DUT, protocol,
                                                              len(raw))).to_bytes(2, "big")
    return bytes(raw)


def test_udp_length_zero_linux_reads_the_ipv6_payload_length():
    from reference_stack.wire.ipv6 import IPPROTO_UDP

    f = frame(nh=IPPROTO_UDP, payload=_udp_raw(0, b"netconform"))
    assert stack(RFC).receive(f, 0.0).frames == ()  # RFC 768: length below 8
    r = stack(LINUX).receive(f, 0.0)
    assert "LINUX-__udp6_lib_rcv-zero-length" in r.rules()
    assert dissect(r.frames[0]).icmpv6.code == 4  # port unreachable: the datagram was taken


@BOTH
def test_udplite_over_ipv6(profile):
    """Linux speaks UDP-Lite over IPv6 too (udplitev6): Port Unreachable, where a host that
    does not answers an unrecognised Next Header."""
    r = stack(profile).receive(frame(nh=136, payload=_udp_raw(0, b"lite", 136)), 0.0)
    icmp = dissect(r.frames[0]).icmpv6
    assert (icmp.type, icmp.code) == ((1, 4) if profile.udplite else (4, 1))


@pytest.mark.parametrize("options,rule", [
    ((Ipv6OptPadN(b"\0"), "ioam"), "LINUX-ipv6_hop_ioam-alignment"),  # IOAM at 43: not 4n
    (("calipso",), "LINUX-ipv6_hop_calipso-invalid")])
def test_ioam_and_calipso_hop_options_linux_drops(options, rule):
    from reference_stack.wire.ipv6_options import Ipv6OptUnknown

    made = {"ioam": Ipv6OptUnknown(0x31, b""), "calipso": Ipv6OptUnknown(0x07, bytes(4))}
    opts = tuple(made.get(o, o) if isinstance(o, str) else o for o in options)
    ext = Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6, opts).emit()
    answer, _ = _answer(RFC, IPPROTO_HOPOPTS, ext)
    assert answer.type == ICMP6_ECHO_REPLY  # action 00: skipped
    answer, rules = _answer(LINUX, IPPROTO_HOPOPTS, ext)
    assert answer is None and rule in rules
