"""The judge's frame kinds of IPv6 frames (coverage cells and finding signatures): the header
after the fixed one names them, as the IPv4 kinds do."""

from conformance.judge.divergence import frame_kind
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.frame import build_frame_v6
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import Ipv6Repr
from reference_stack.wire.tcp import TcpRepr
from reference_stack.wire.udp import UdpRepr

A, B = ip6("2001:db8::2"), ip6("2001:db8::1")
MACS = (mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))


def _frame(nh, l4=None, payload=b""):
    return build_frame_v6(*MACS, Ipv6Repr(A, B, nh, payload), l4)


def test_ipv6_frame_kinds():
    assert frame_kind(_frame(6, TcpRepr(1, 2, flags=0x02))) == "tcp6:S"
    assert frame_kind(_frame(17, UdpRepr(1, 2, b"x"))) == "udp6"
    assert frame_kind(_frame(58, Icmpv6Repr(128, 0, 1, b""))) == "icmpv6:128"
    assert frame_kind(_frame(58, Icmpv6Repr(200, 0, 1, b""))) == "icmpv6:other"
    assert frame_kind(_frame(44, payload=bytes(16))) == "ipv6-frag"
    assert frame_kind(_frame(0, payload=bytes(16))) == "ipv6-ext"
    assert frame_kind(_frame(253, payload=bytes(16))) == "ipv6-other"
