"""Sending ICMP errors (RFC 792; when, RFC 1122 3.2.2; what to quote, RFC 1812 4.3.2.3): Time
Exceeded, Parameter Problem, Protocol and Port Unreachable."""

from __future__ import annotations

from reference_stack.iface import icmp_messages, ip_options
from reference_stack.iface.ipv4_output import send_ip
from reference_stack.iface.linux_options import echo
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, REPLY, Trace
from reference_stack.variance import AnyValue, Masked
from reference_stack.wire.icmpv4 import (
    ICMP_PARAM_PROBLEM,
    ICMP_PORT_UNREACH,
    ICMP_TIME_EXCEEDED,
    Icmpv4Repr,
)
from reference_stack.wire.ipv4 import IPPROTO_ICMP, Ipv4Repr
from reference_stack.wire.ipv4_options import emit_ipv4_options


def _message(icmp_type: int, code: int, pointer: int, quoted: bytes) -> tuple[Icmpv4Repr, str]:
    """The error and the rule that asks for it."""
    if icmp_type == ICMP_TIME_EXCEEDED:
        return (Icmpv4Repr.time_exceeded(code, quoted),
                "RFC1122-3.3.2-SHOULD-time-exceeded-reassembly")
    if icmp_type == ICMP_PARAM_PROBLEM:
        return Icmpv4Repr.param_problem(pointer, quoted), "RFC1122-3.2.2.5-SHOULD-parameter-problem"
    return (Icmpv4Repr.dest_unreachable(code, quoted),
            "RFC1122-4.1.3.1-SHOULD-port-unreachable" if code == ICMP_PORT_UNREACH
            else "RFC1122-3.2.2.1-SHOULD-protocol-unreachable")


def send_error(st: IfaceState, original: Ipv4Repr, original_bytes: bytes, icmp_type: int,
               code: int, link_bcast: bool, now: float, trace: Trace, out: Output,
               pointer: int = 0) -> None:
    """An ICMP error about `original` (`original_bytes` as received), unless RFC 1122 3.2.2
    forbids one."""
    profile = st.profile
    linux_echo = profile.icmp_error_echo_options
    forbidden = icmp_messages.error_forbidden(original, link_bcast, st.addr, linux_echo)
    if forbidden is not None:
        trace.add("icmp", DROP, forbidden, "no ICMP error")
        return
    # Linux icmp_send echoes the datagram's options (ip_options_echo, linux_options.py: record
    # route and timestamp updated with this host, RFC 791 3.1; a source route reversed, the
    # error going to its first hop), room for the quote shrinking; of a datagram whose options
    # failed to compile, those noted before the fault.
    options, dst, changed = (), original.src, False
    if linux_echo and original.options:
        echoed = echo(original, st.addr, now)
        if echoed is None:
            trace.add("icmp", DROP, "LINUX-ip_options_echo", "options cannot be echoed")
            return
        options, dst, changed = echoed.options, echoed.dst, echoed.changed
    if (profile.icmp_quote_recorded_route and original.options
            and icmp_type != ICMP_PARAM_PROBLEM):
        # gVisor: the route recorded on receipt is in the quoted header (ip_options.py). Not
        # in a Parameter Problem about the options: processIPOptions builds the recorded
        # options in a replacement buffer, copied over the header only when every option
        # passed (ipv4.go handlePacket), so that error quotes the header as received.
        original_bytes, stamped = ip_options.recorded_on_receive(original, original_bytes,
                                                                 st.ip, now)
    else:
        stamped = ()
    options_len = len(emit_ipv4_options(options))
    quoted = icmp_messages.quote(original_bytes, profile, options_len)
    msg, rule = _message(icmp_type, code, pointer, quoted)
    if profile.breaks(rule):
        return
    variance = icmp_messages.quote_variance(original_bytes, len(original_bytes) -
                                            len(original.payload), profile, options_len)
    if not profile.exact_choices:
        variance["ipv4.tos"] = AnyValue()
    if options:
        variance["ipv4.options"] = AnyValue()  # our recorded address and clock
    if stamped:
        # gVisor: its own clock in the Timestamp option it stamped on receipt (quoted whole).
        variance["icmpv4.payload"] = Masked(quoted, tuple(
            span for span in stamped if span[1] <= len(quoted)))
    if changed:
        # The option area as written on receipt (ip_options_compile's is_changed: entries
        # recorded, octets after End of Option List cleared) is what the quote shows.
        variance["icmpv4.payload"] = AnyValue()
    trace.add("icmp", REPLY, rule, f"type {icmp_type} code {code}")
    send_ip(st, dst, IPPROTO_ICMP, msg.emit(), rule, variance, now, trace, out,
            tos=icmp_messages.error_tos(original), df=profile.icmp_df, options=options)
