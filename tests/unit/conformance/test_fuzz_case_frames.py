"""Which frames the target sent belong to a fuzz case (fuzz/frames.py belongs_to_case): an
ICMPv6 error belongs to the case that sent the packet it quotes (RFC 4443 2.4(c)), so a
reassembly timeout of an earlier case's fragments (RFC 8200 4.5, 60 s later) is not taken for
the current case's answer."""

from __future__ import annotations

from fuzz.frames import belongs_to_case, icmpv6_error_quote
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.frame import build_frame_v6
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_FRAGMENT, IPPROTO_ICMPV6, Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Fragment

DUT, TESTER = ip6("2001:db8::1"), ip6("2001:db8::2")
DUT_MAC, TESTER_MAC = mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02")


def fragment(ident: int) -> bytes:
    header = Ipv6Fragment(IPPROTO_ICMPV6, 0, True, ident).emit()
    ip = Ipv6Repr(TESTER, DUT, IPPROTO_FRAGMENT, header + bytes(range(64)))
    return build_frame_v6(TESTER_MAC, DUT_MAC, ip, None)


def time_exceeded(quoted_frame: bytes) -> bytes:
    icmp = Icmpv6Repr.error(3, 1, quoted_frame[14:])
    return build_frame_v6(DUT_MAC, TESTER_MAC, Ipv6Repr(DUT, TESTER, IPPROTO_ICMPV6, b""), icmp)


def test_reassembly_timeout_belongs_to_the_case_that_sent_the_fragment():
    ours, earlier = fragment(0x4E430001), fragment(0x4E430002)
    assert icmpv6_error_quote(time_exceeded(ours))[:48] == ours[14:62]
    assert belongs_to_case(time_exceeded(ours), 40000, [ours])
    assert not belongs_to_case(time_exceeded(earlier), 40000, [ours])


def test_an_echo_reply_is_no_error():
    reply = build_frame_v6(DUT_MAC, TESTER_MAC, Ipv6Repr(DUT, TESTER, IPPROTO_ICMPV6, b""),
                           Icmpv6Repr(129, 0, 1, bytes(64)))
    assert icmpv6_error_quote(reply) is None
