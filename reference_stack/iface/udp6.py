"""UDP over IPv6 (RFC 768 with RFC 8200 8.1): a zero checksum is not allowed, the checksum
covers the IPv6 pseudo-header; the oracle has no IPv6 sockets yet, so a valid datagram
meets a closed port: Destination Unreachable code 4 (RFC 4443 3.1)."""

from __future__ import annotations

from reference_stack.iface import udp
from reference_stack.iface.icmpv6_error import send_error6
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, Trace
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, UNREACH_PORT
from reference_stack.wire.ipv6 import Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Chain
from reference_stack.wire.udp import UdpRepr

RULE_PORT_UNREACHABLE = "RFC4443-3.1-SHOULD-port-unreachable"


def receive(st: IfaceState, ip: Ipv6Repr, original: bytes, chain: Ipv6Chain,
            link_mcast: bool, trace: Trace, out: Output) -> None:
    try:
        dgram = UdpRepr.parse(chain.upper)
    except WireError as e:
        trace.add("udp", DROP, "RFC768-MUST-header", e.reason)
        return
    if dgram.checksum == 0:
        # RFC 8200 8.1: IPv6 receivers must discard UDP packets with a zero checksum.
        trace.add("udp", DROP, "RFC8200-8.1-MUST-discard-zero-udp-checksum")
        return
    data = udp.validate(dgram, len(chain.upper), ip.src, ip.dst, trace,
                        not st.profile.breaks("RFC1122-4.1.3.4-MUST-discard-bad-checksum"))
    if data is None:
        return
    trace.add("udp", DROP, RULE_PORT_UNREACHABLE, f"no IPv6 socket on port {dgram.dst_port}")
    send_error6(st, ip, original, chain, link_mcast, ICMP6_DST_UNREACH, UNREACH_PORT,
                RULE_PORT_UNREACHABLE, trace, out)
