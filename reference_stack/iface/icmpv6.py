"""ICMPv6 input (RFC 4443): the checksum (2.3), echo (4.1, 4.2), messages of unknown type
(2.4(a), (b)), errors, and Neighbor Discovery (iface/ndp.py)."""

from __future__ import annotations

from reference_stack.iface import icmpv6_notify, mld, ndp, pmtu6
from reference_stack.iface.ipv6_output import send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import ACCEPT, DROP, REPLY, Trace
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv6 import (
    ICMP6_ECHO_REPLY,
    ICMP6_ECHO_REQUEST,
    ICMP6_PACKET_TOO_BIG,
    MLD_LISTENER_DONE,
    MLD_LISTENER_QUERY,
    MLD_LISTENER_REPORT,
    MLDV2_LISTENER_REPORT,
    Icmpv6Repr,
    is_error,
)
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Chain

MLD_TYPES = frozenset((MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_DONE,
                       MLDV2_LISTENER_REPORT))


def receive(st: IfaceState, ip: Ipv6Repr, original: bytes, chain: Ipv6Chain,
            link_mcast: bool, now: float, trace: Trace, out: Output) -> None:
    try:
        icmp = Icmpv6Repr.parse(chain.upper)
    except WireError as e:
        trace.add("icmpv6", DROP, "RFC4443-2.1-MUST-header", e.reason)
        return
    if not icmp.checksum_ok(ip.src, ip.dst) and not st.profile.breaks(
            "RFC4443-2.3-MUST-checksum"):
        # RFC 4443 2.3: the checksum covers the pseudo-header and the whole message.
        trace.add("icmpv6", DROP, "RFC4443-2.3-MUST-checksum", "bad checksum")
        return
    t = icmp.type
    if t == ICMP6_ECHO_REQUEST:
        _echo(st, ip, icmp, trace, out)
    elif t in ndp.ND_TYPES:
        ndp.receive(st, ip, chain, icmp, now, trace, out)
    elif t == MLD_LISTENER_QUERY:
        # RFC 3810 6.2: a listener answers a query for its groups after a random delay (when
        # is the host's choice: the judge treats reports as background traffic,
        # conformance/author/background.py).
        mld.query(st, icmp, now, trace)
    elif t in MLD_TYPES:
        # RFC 3810 6: an MLDv2 listener does not act on other listeners' reports.
        trace.add("icmpv6", DROP, "RFC3810-6-MUST-ignore-other-reports", f"MLD type {t}")
    elif t == ICMP6_ECHO_REPLY:
        trace.add("icmpv6", DROP, "RFC4443-4.2-MUST-echo-reply-to-process",
                  "no echo request outstanding")
    elif t == ICMP6_PACKET_TOO_BIG:
        pmtu6.packet_too_big(st, icmp, now, trace)
    elif is_error(t):
        # RFC 4443 2.4(a), 3.1: an error (of a known type or not) goes to the upper layer
        # process it quotes: a TCP connection (iface/icmpv6_notify.py).
        trace.add("icmpv6", ACCEPT, "RFC4443-2.4-MUST-pass-error-to-upper-layer",
                  f"error type {t}")
        icmpv6_notify.to_tcp(st, icmp, trace)
    else:
        # RFC 4443 2.4(b): an informational message of unknown type is silently discarded.
        trace.add("icmpv6", DROP, "RFC4443-2.4-MUST-discard-unknown-informational",
                  f"type {t}")


def _echo(st: IfaceState, ip: Ipv6Repr, request: Icmpv6Repr, trace: Trace,
          out: Output) -> None:
    """RFC 4443 4.2: an Echo Reply with the request's identifier, sequence number and data,
    from a unicast address of ours even when the request went to a group (SHOULD answer)."""
    if st.profile.echo6_ignore_all:
        # RFC 4443 4.2 MUST answer; Linux icmpv6_rcv: net.ipv6.icmp.echo_ignore_all
        trace.add("icmpv6", DROP, "LINUX-icmpv6_rcv-echo-ignore-all")
        return
    rule = "RFC4443-4.2-MUST-echo-reply"
    if ip.dst[0] == 0xFF:
        rule = "RFC4443-4.2-SHOULD-echo-multicast"
    code = request.code if st.profile.echo_reply_copies_code else 0
    reply = Icmpv6Repr(ICMP6_ECHO_REPLY, code, request.rest, request.payload)
    trace.add("icmpv6", REPLY, rule, f"id={request.ident} seq={request.seq}")
    src = st.ip6.ip if ip.dst[0] == 0xFF else ip.dst  # the address the request went to
    send_ip6(st, ip.src, IPPROTO_ICMPV6, reply.emit(src, ip.src), rule, variance(st),
             trace, out, src=src)
