"""results.json frame rows for IPv6 frames: the protocol column names ICMPv6 or IPv6, the
summary decodes the extension headers."""

from conformance.cli.frames import frame_row
from conformance.fabric.pcap import FrameRecord
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.frame import build_frame_v6
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_FRAGMENT, IPPROTO_ICMPV6, Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Fragment

A, B = ip6("2001:db8::1"), ip6("2001:db8::2")
MAC_A, MAC_B = mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02")


def test_icmpv6_row():
    frame = build_frame_v6(MAC_A, MAC_B, Ipv6Repr(A, B, IPPROTO_ICMPV6),
                           Icmpv6Repr.echo_request(1, 2, b"abc"))
    row = frame_row(0.0, FrameRecord(0.5, "out", frame))
    assert row["proto"] == "ICMPv6" and row["len"] == 3 and row["t"] == 0.5
    assert "ICMPv6 echo request id=1 seq=2" in row["summary"]


def test_later_fragment_row_is_ipv6():
    later = Ipv6Fragment(IPPROTO_ICMPV6, 10, False, 9).emit() + b"data"
    frame = build_frame_v6(MAC_A, MAC_B, Ipv6Repr(A, B, IPPROTO_FRAGMENT, later))
    row = frame_row(0.0, FrameRecord(0.0, "in", frame))
    assert row["proto"] == "IPv6" and "FRAG off 80" in row["summary"]
