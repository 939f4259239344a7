"""UDP over IPv6 (RFC 768 with RFC 8200 8.1): a zero checksum is not allowed, the checksum
covers the IPv6 pseudo-header; a valid datagram goes to the socket bound to its port, or
meets a closed port: Destination Unreachable code 4 (RFC 4443 3.1). Datagrams out."""

from __future__ import annotations

from reference_stack.iface import udp
from reference_stack.iface.icmpv6_error import send_error6
from reference_stack.iface.ipv6_output import send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import ACCEPT, DROP, REPLY, Trace
from reference_stack.wire.checksum import pseudo_header_sum, verify
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, UNREACH_PORT
from reference_stack.wire.ipv6 import IPPROTO_UDP, Ipv6Repr
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
    if dgram.length == 0 and st.profile.udp6_zero_length_whole:
        data = _zero_length(ip, chain.upper, dgram, trace)
    else:
        data = udp.validate(dgram, len(chain.upper), ip.src, ip.dst, trace,
                            not st.profile.breaks("RFC1122-4.1.3.4-MUST-discard-bad-checksum"))
    if data is None:
        return
    ep = st.udp.lookup(ip.dst, dgram.dst_port)
    if ep is None:
        trace.add("udp", DROP, RULE_PORT_UNREACHABLE, f"no socket on port {dgram.dst_port}")
        if st.profile.icmp_quote_udp_length and 0 < dgram.length < len(chain.upper):
            # Linux __udp6_lib_rcv trims the datagram to the UDP length first (as over IPv4,
            # iface/udp.py): the error quotes the trimmed packet.
            original = original[:len(original) - len(chain.upper) + dgram.length]
        send_error6(st, ip, original, chain, link_mcast, ICMP6_DST_UNREACH, UNREACH_PORT,
                    RULE_PORT_UNREACHABLE, trace, out)
        return
    udp.deliver(ep, ip.src, dgram.src_port, data, trace)


def _zero_length(ip: Ipv6Repr, raw: bytes, dgram: UdpRepr, trace: Trace) -> bytes | None:
    """Linux __udp6_lib_rcv reads a Length of 0 as the IPv6 payload's (RFC 2675 4's UDP
    jumbogram, for a packet of any size), the pseudo-header's length too; RFC 768 would
    discard the datagram (a length below 8)."""
    if not verify(raw, pseudo_header_sum(ip.src, ip.dst, IPPROTO_UDP, len(raw))):
        trace.add("udp", DROP, "RFC1122-4.1.3.4-MUST-discard-bad-checksum")
        return None
    trace.add("udp", ACCEPT, "LINUX-__udp6_lib_rcv-zero-length",
              f"length 0 read as {len(raw)}")
    return dgram.payload


def send(st: IfaceState, src_port: int, dst: bytes, dst_port: int, data: bytes,
         trace: Trace, out: Output) -> None:
    """A datagram from our IPv6 address (RFC 768; RFC 8200 8.1: the checksum is never zero,
    UdpRepr.emit writes 0xFFFF for a computed zero)."""
    src = st.ip6.ip
    rule = "RFC768-MUST-send"
    trace.add("udp", REPLY, rule, f"{len(data)} bytes to port {dst_port}")
    send_ip6(st, dst, IPPROTO_UDP, UdpRepr(src_port, dst_port, data).emit(src, dst), rule,
             variance(st), trace, out)
