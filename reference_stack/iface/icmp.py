"""ICMPv4 input: Echo (RFC 792, RFC 1122 3.2.2.6), Timestamp (RFC 1122 3.2.2.8) and errors
handed to the transport they quote (RFC 1122 3.2.2, 4.1.3.3, 4.2.3.9)."""

from __future__ import annotations

from reference_stack.iface import icmp_messages, ip_options, linux_options
from reference_stack.iface.ipv4_output import send_ip
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import ACCEPT, DROP, EVENT, REPLY, Trace
from reference_stack.variance import AnyValue
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv4 import ICMP_ECHO_REQUEST, ICMP_TIMESTAMP, Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4Repr


def receive(st: IfaceState, ip: Ipv4Repr, link_bcast: bool, now: float, trace: Trace,
            out: Output) -> None:
    try:
        msg = Icmpv4Repr.parse(ip.payload)
    except WireError as e:
        trace.add("icmp", DROP, "RFC792-MUST-message-format", e.reason)
        return
    if not msg.checksum_ok():
        trace.add("icmp", DROP, "RFC792-MUST-checksum", "bad ICMP checksum")
        return
    if msg.type == ICMP_ECHO_REQUEST:
        _echo(st, ip, msg, link_bcast, now, trace, out)
    elif msg.type == ICMP_TIMESTAMP and st.profile.icmp_timestamp_reply:
        _timestamp(st, ip, msg, link_bcast, now, trace, out)
    elif msg.type in icmp_messages.ERROR_TYPES:
        _error(st, msg, trace)
    else:
        trace.add("icmp", DROP, "RFC1122-3.2.2-MUST-silently-discard-unknown",
                  f"type {msg.type}")


def _to_broadcast(st: IfaceState, ip: Ipv4Repr, link_bcast: bool) -> bool:
    return st.addr.is_broadcast(ip.dst) or st.addr.is_multicast(ip.dst) or link_bcast


def _echo(st: IfaceState, ip: Ipv4Repr, msg: Icmpv4Repr, link_bcast: bool, now: float,
          trace: Trace, out: Output) -> None:
    profile = st.profile
    if profile.echo_ignore_all:
        # RFC 1122 3.2.2.6 MUST answer; Linux icmp_echo: net.ipv4.icmp_echo_ignore_all
        trace.add("icmp", DROP, "LINUX-icmp_echo-ignore-all")
        return
    if profile.echo_ignore_broadcasts and _to_broadcast(st, ip, link_bcast):
        trace.add("icmp", DROP, "RFC1122-3.2.2.6-MAY-ignore-broadcast-echo")
        return
    # RFC 1122 3.2.2.6: the reply's source is the request's specific destination,
    # or one of our addresses when the request went to a broadcast address.
    reply_to = _reply_options(st, ip, now, trace)
    if reply_to is None:
        return
    copy_code = profile.echo_reply_copies_code
    if copy_code and msg.code:
        # RFC 792 asks for code 0 in an Echo Reply; Linux's icmp_echo echoes the request's.
        trace.add("icmp", ACCEPT, "LINUX-icmp_echo-code-copied", f"code {msg.code}")
    reply = icmp_messages.echo_reply(msg, copy_code)
    rule = "RFC1122-3.2.2.6-MUST-echo-reply"
    trace.add("icmp", REPLY, rule)
    options, dst = reply_to
    # Recorded routes and timestamps are the host's own (RFC 791 3.1): any values.
    variance = {"ipv4.options": AnyValue()} if options else {}
    tos = ip.tos if profile.echo_reply_keeps_tos else 0  # RFC 1349 5.1 (SHOULD)
    send_ip(st, dst, IPPROTO_ICMP, reply.emit(), rule, variance, now, trace, out,
            tos=tos, df=profile.icmp_df, options=options)


def _timestamp(st: IfaceState, ip: Ipv4Repr, msg: Icmpv4Repr, link_bcast: bool, now: float,
               trace: Trace, out: Output) -> None:
    """RFC 1122 3.2.2.8 (MAY implement; Linux icmp_timestamp does): a Timestamp Reply
    with the request's options echoed like an echo reply's; to a broadcast it MAY be
    discarded, as Linux does with icmp_echo_ignore_broadcasts."""
    rule = "RFC1122-3.2.2.8-MAY-timestamp-reply"
    if _to_broadcast(st, ip, link_bcast) and st.profile.echo_ignore_broadcasts:
        trace.add("icmp", DROP, rule, "timestamp request to a broadcast address")
        return
    reply = icmp_messages.timestamp_reply(msg, now)
    if reply is None:
        trace.add("icmp", DROP, rule, "fewer than 4 data octets")
        return
    reply_to = _reply_options(st, ip, now, trace)
    if reply_to is None:
        return
    trace.add("icmp", REPLY, rule)
    options, dst = reply_to
    # Receive and transmit timestamps are the host's clock (RFC 792): any value.
    variance = {"icmpv4.payload": AnyValue()}
    if options:
        variance["ipv4.options"] = AnyValue()
    send_ip(st, dst, IPPROTO_ICMP, reply.emit(), rule, variance, now, trace, out,
            tos=ip.tos, df=st.profile.icmp_df, options=options)


def _reply_options(st: IfaceState, ip: Ipv4Repr, now: float, trace: Trace
                   ) -> tuple[tuple, bytes] | None:
    """The options of a reply to `ip` and where it goes, or None (nothing is sent). RFC 1122
    3.2.2.6: Record Route and Timestamp returned, updated with this host; with the profile's
    ``ip_options_compile``, Linux's ``ip_options_echo`` (linux_options.py): a source route
    reversed, the reply sent to its first hop; options it cannot echo mean no reply."""
    if not ip.options:
        return (), ip.src
    if st.profile.echo_reply_option_area:
        return ip_options.echo_option_area(ip, st.ip, now), ip.src
    if not st.profile.ip_options_compile:
        return ip_options.echo_options(ip, st.ip, now), ip.src
    echoed = linux_options.echo(ip, st.addr, now)
    if echoed is None:
        trace.add("icmp", DROP, "LINUX-ip_options_echo", "options cannot be echoed")
        return None
    return echoed.options, echoed.dst


def _error(st: IfaceState, msg: Icmpv4Repr, trace: Trace) -> None:
    """RFC 1122 3.2.2.1, 4.1.3.3, 4.2.3.9: pass the error to the transport it quotes."""
    try:
        inner = Ipv4Repr.parse(msg.payload)
    except WireError:
        trace.add("icmp", DROP, "RFC1122-3.2.2-MUST-quoted-header", "quote unreadable")
        return
    l4 = inner.payload
    if len(l4) < 4 or inner.src != st.ip:
        trace.add("icmp", DROP, "RFC1122-3.2.2-MUST-quoted-header", "not about our datagram")
        return
    sport, dport = int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big")
    err, hard = icmp_messages.error_errno(msg.type, msg.code)
    if inner.protocol == IPPROTO_TCP:
        st.tcp.icmp_error((st.ip, sport, inner.dst, dport), msg.type, msg.code, err, hard)
    elif inner.protocol == IPPROTO_UDP:
        st.udp.icmp_error((st.ip, sport), (inner.dst, dport), err if hard else None)
        trace.add("udp", EVENT, "RFC1122-4.1.3.3-MUST-pass-icmp-to-application",
                  f"ICMP type {msg.type} code {msg.code}")
    else:
        trace.add("icmp", EVENT, "RFC1122-3.2.2-MUST-pass-to-transport")
