"""TCP over IPv6 (RFC 9293 with the RFC 8200 8.1 pseudo-header). The oracle has no IPv6
sockets yet, so every port is closed: a segment is checked and answered as RFC 9293
3.10.7.1 answers one for a CLOSED connection, with the same rules as over IPv4."""

from __future__ import annotations

from reference_stack.iface.ipv6_output import send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.tcp.seq import seq_add
from reference_stack.tcp.variance import segment_variance
from reference_stack.trace import DROP, REPLY, Trace
from reference_stack.wire.errors import WireError
from reference_stack.wire.ipv6 import IPPROTO_TCP, Ipv6Repr
from reference_stack.wire.tcp import ACK, RST, TcpRepr


def receive(st: IfaceState, ip: Ipv6Repr, segment: bytes, trace: Trace, out: Output) -> None:
    try:
        seg = TcpRepr.parse(segment)
    except WireError as e:
        trace.add("tcp", DROP, "RFC9293-3.1-MUST-header", e.reason)
        return
    if not seg.checksum_ok(ip.src, ip.dst) and not st.profile.breaks(
            "RFC9293-3.1-MUST-checksum"):
        # RFC 9293 3.1, RFC 8200 8.1: the checksum covers the IPv6 pseudo-header.
        trace.add("tcp", DROP, "RFC9293-3.1-MUST-checksum", "bad checksum")
        return
    if seg.flags & RST:
        trace.add("tcp", DROP, "RFC9293-3.10.7.1-MUST-closed-rst-drop",
                  "An incoming segment containing a RST is discarded.")
        return
    if seg.flags & ACK:
        rule = "RFC9293-3.10.7.1-MUST-closed-ack-rst"
        rst = TcpRepr(seg.dst_port, seg.src_port, seq=seg.ack, flags=RST)
    else:
        rule = "RFC9293-3.10.7.1-MUST-closed-rst-ack"
        rst = TcpRepr(seg.dst_port, seg.src_port, seq=0,
                      ack=seq_add(seg.seq, seg.segment_len), flags=RST | ACK)
    trace.add("tcp", REPLY, rule, "no IPv6 socket on the port")
    allowed = {**variance(st), **segment_variance(st.profile, None, rst)}
    send_ip6(st, ip.src, IPPROTO_TCP, rst.emit(ip.dst, ip.src), rule, allowed, trace, out)
