"""TCP over IPv6 (RFC 9293 with the RFC 8200 8.1 pseudo-header): a segment is checked as over
IPv4 (RFC 9293 3.1) and handed to the one TCP layer, whose connections and listeners hold
16-octet addresses; their segments go out through IPv6 output."""

from __future__ import annotations

from collections.abc import Callable

from reference_stack.iface.ipv6_output import send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, Trace
from reference_stack.wire.errors import WireError
from reference_stack.wire.ipv6 import IPPROTO_TCP, Ipv6Repr
from reference_stack.wire.tcp import TcpRepr


def receive(st: IfaceState, ip: Ipv6Repr, segment: bytes, now: float, trace: Trace) -> None:
    try:
        seg = TcpRepr.parse(segment)
    except WireError as e:
        trace.add("tcp", DROP, "RFC9293-3.1-MUST-header", e.reason)
        return
    if seg.data_offset is None or seg.data_offset < 5 or seg.data_offset * 4 > len(segment):
        trace.add("tcp", DROP, "RFC9293-3.1-MUST-data-offset", f"{seg.data_offset}")
        return
    if not seg.checksum_ok(ip.src, ip.dst) and not st.profile.breaks(
            "RFC9293-3.1-MUST-checksum"):
        # RFC 9293 3.1, RFC 8200 8.1: the checksum covers the IPv6 pseudo-header.
        trace.add("tcp", DROP, "RFC9293-3.1-MUST-checksum", "bad checksum")
        return
    if ip.dst[0] == 0xFF:
        # RFC 1122 4.2.3.10 (and RFC 9293 3.9.1.1): TCP is unicast; a segment to a group is
        # discarded.
        trace.add("tcp", DROP, "RFC1122-4.2.3.10-MUST-discard-broadcast", "multicast")
        return
    st.tcp.input(ip.src, ip.dst, seg, now)


def send(st: IfaceState, src: bytes, dst: bytes, wire: bytes, rule: str,
         seg_variance: dict | tuple[Callable, tuple], trace: Trace, out: Output) -> None:
    """A segment of an IPv6 connection: the IPv6 output's latitude (flow label, hop limit)
    and the segment's own (a dict, or the (function, args) that builds it: tcp/output.py)."""
    if type(seg_variance) is tuple:
        make, args = seg_variance
        seg_variance = make(*args)
    allowed = {**variance(st), **seg_variance}
    send_ip6(st, dst, IPPROTO_TCP, wire, rule, allowed, trace, out, src=src)
