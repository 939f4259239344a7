"""Path MTU for datagrams in the oracle (RFC 8201 4: iface/pmtu6.py datagram; RFC 8200 5:
iface/fragment6.py), and the `linux` profile's choice against the `rfc` profile (an MTU
below 1280 ignored: __ip6_rt_update_pmtu)."""

from __future__ import annotations

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.stack import ReferenceStack
from reference_stack.wire.addr import ip4, ip6, mac
from reference_stack.wire.frame import build_frame_v6, dissect
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_FRAGMENT, IPPROTO_ICMPV6, Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Fragment

DUT = ip6("2001:db8::1")
TESTER = ip6("2001:db8::2")
DUT_MAC = mac("02:00:00:00:00:01")
TESTER_MAC = mac("02:00:00:00:00:02")
DATA = bytes(range(256)) * 5 + bytes(120)  # 1400 octets
BOTH = pytest.mark.parametrize("profile", [RFC, LINUX], ids=["rfc", "linux"])


def stack(profile):
    s = ReferenceStack(profile, DUT_MAC, ip4("198.18.0.1"), 24, ipv6=DUT)
    s.add_neighbor(TESTER, TESTER_MAC)
    return s


def to_dut(icmp):
    return build_frame_v6(TESTER_MAC, DUT_MAC, Ipv6Repr(TESTER, DUT, IPPROTO_ICMPV6, b""), icmp)


def echo(s, now):
    return s.receive(to_dut(Icmpv6Repr(128, 0, 1, DATA)), now)


def too_big(s, reply_frame, mtu, now):
    return s.receive(to_dut(Icmpv6Repr(2, 0, mtu, reply_frame[14:14 + 1232])), now)


@BOTH
def test_echo_reply_fragmented_after_packet_too_big(profile):
    s = stack(profile)
    (whole,) = echo(s, 0.0).frames
    r = too_big(s, whole, 1300, 0.1)
    assert "RFC8201-4-MUST-reduce-for-datagrams" in r.rules()
    r = echo(s, 0.2)
    assert "RFC8200-5-MUST-fragment-to-path-mtu" in r.rules()
    sizes, data = [], b""
    for f, p in zip(r.frames, r.predictions, strict=True):
        d = dissect(f)
        assert d.ipv6.next_header == IPPROTO_FRAGMENT and len(f) - 14 <= 1300
        header = Ipv6Fragment.parse(d.ipv6.payload[:8])
        assert header.frag_offset * 8 == len(data)
        data += d.ipv6.payload[8:]
        sizes.append(len(d.ipv6.payload) - 8)
        other = bytearray(f)
        other[14 + 40 + 4:14 + 40 + 8] = b"\x4e\x43\x00\x01"  # another identification
        assert p.check(bytes(other)) == []
    assert sizes == [1248, 160] and data[8:] == DATA


@BOTH
def test_packet_too_big_below_1280(profile):
    s = stack(profile)
    (whole,) = echo(s, 0.0).frames
    r = too_big(s, whole, 600, 0.1)
    frames = echo(s, 0.2).frames
    if profile is LINUX:
        assert "LINUX-__ip6_rt_update_pmtu-below-minimum" in r.rules() and len(frames) == 1
    else:
        assert "RFC8201-4-MUST-NOT-below-minimum-mtu" in r.rules()
        assert len(frames) == 2 and max(len(f) - 14 for f in frames) <= 1280


def test_never_increased():
    s = stack(LINUX)
    (whole,) = echo(s, 0.0).frames
    too_big(s, whole, 1300, 0.1)
    r = too_big(s, whole, 1400, 0.2)
    assert "RFC8201-4-MUST-NOT-increase-on-packet-too-big" in r.rules()
