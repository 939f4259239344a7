"""Delivery to TCP and TCP's segments out: the header and checksum checks of RFC 9293 3.1,
broadcast discarded (RFC 1122 4.2.3.10), then the TCP layer (header prediction first)."""

from __future__ import annotations

from reference_stack.iface import tcp6
from reference_stack.iface.ipv4_output import send_ip, with_ip_variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.tcp import fast_path
from reference_stack.tcp.output import OutSegment
from reference_stack.trace import DROP, Trace
from reference_stack.variance import lazy_prediction
from reference_stack.wire.checksum import pseudo_header_sum, verify
from reference_stack.wire.errors import WireError
from reference_stack.wire.ipv4 import IPPROTO_TCP
from reference_stack.wire.tcp import TcpRepr, common_fields


def receive(st: IfaceState, src: bytes, dst: bytes, payload: bytes, now: float,
            trace: Trace) -> None:
    # A segment in a common layout is read in place and offered to the fast path
    # (tcp/fast_path.py) before any TcpRepr is built; the checks below are the same.
    fields = common_fields(payload) if st.tcp_fast_path else None
    seg = None
    if fields is None:
        try:
            seg = TcpRepr.parse(payload)
        except WireError as e:
            trace.add("tcp", DROP, "RFC9293-3.1-MUST-header", e.reason)
            return
        if seg.data_offset is None or seg.data_offset < 5 or seg.data_offset * 4 > len(
                payload):
            trace.add("tcp", DROP, "RFC9293-3.1-MUST-data-offset", f"{seg.data_offset}")
            return
    rule = "RFC9293-3.1-MUST-checksum"
    # Verified on the received octets (RFC 9293 3.1: pseudo-header, header and data).
    if (not verify(payload, pseudo_header_sum(src, dst, IPPROTO_TCP, len(payload)))
            and not st.profile.breaks(rule)):
        trace.add("tcp", DROP, rule, "bad checksum")
        return
    addr = st.addr
    if addr.is_broadcast(dst) or addr.is_multicast(dst):
        trace.add("tcp", DROP, "RFC1122-4.2.3.10-MUST-discard-broadcast")
        return
    if seg is None:
        if fast_path.segment_arrives(st.tcp, src, dst, payload, now, *fields):
            return
        seg = TcpRepr.parse(payload)
    st.tcp.input(src, dst, seg, now)


def send(st: IfaceState, segs: list[OutSegment], now: float, trace: Trace,
         out: Output) -> None:
    df = st.profile.tcp_df
    # (What send_ip's first shortcut reads, read once for the call's segments; None: with
    # IPsec every datagram goes through send_ip, its SPD-O step first.)
    templates = st.ip_templates if st.ipsec is None else None
    ttl = st.profile.ttl
    for src, dst, seg, rule, variance, wire, seg_df in segs:
        if wire is None:
            wire = seg.emit(src, dst)
        if len(dst) == 16:  # a connection over IPv6 (iface/tcp6.py)
            tcp6.send(st, src, dst, wire, rule, variance, trace, out)
            continue
        # RFC 1191 3: DF as the profile's path MTU discovery has it, unless another socket
        # than the connection's sends the segment (tcp/dont_fragment.py)
        if seg_df is None:
            seg_df = df
        if templates is not None:
            # (send_ip's first shortcut, inline: every segment sent. A destination met
            # before, found unicast on our link, resolved, and a datagram that needs no
            # fragmenting: its header precomputed, one ident drawn as send_ip draws it.)
            template = templates.get((dst, IPPROTO_TCP, ttl, 0, seg_df))
            if template is not None:
                entry = st.arp.entries.get(dst)
                if entry is not None and len(wire) + 20 <= st.fit4:
                    frame = template.frame(entry.mac, st.mac, wire, st.rng.getrandbits(16))
                    out.append((frame, lazy_prediction(frame, rule, with_ip_variance,
                                                       (st.ip_variance, variance))))
                    continue
        send_ip(st, dst, IPPROTO_TCP, wire, rule, variance, now, trace, out, 0, seg_df)
