"""Path MTU Discovery for IPv6 (RFC 8201): a Packet Too Big (RFC 4443 3.2) about a TCP segment
we sent lowers the connection's path MTU estimate and so its segment size (RFC 8201 5.2; the
TCP side is TcpLayer.packet_too_big). The quoted packet names the connection: our address as
its source, the TCP ports and sequence number of the segment (RFC 4443 3.2: as much of the
packet as fits)."""

from __future__ import annotations

from reference_stack.iface.icmpv6_quote import connection_key, quoted_own_packet
from reference_stack.iface.state import IfaceState
from reference_stack.trace import DROP, STATE, Trace
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, MIN_MTU

RULE_REDUCE = "RFC8201-4-MUST-reduce-on-packet-too-big"


def packet_too_big(st: IfaceState, icmp: Icmpv6Repr, now: float, trace: Trace) -> None:
    found = quoted_own_packet(st, icmp, trace, RULE_REDUCE)
    if found is None:
        return
    quoted, chain = found
    upper = chain.upper
    if chain.upper_protocol in (IPPROTO_UDP, IPPROTO_ICMPV6):
        # RFC 8201 4 (for any packet: the estimate is the destination's)
        datagram(st, quoted[24:40], chain.upper_protocol, upper, icmp.rest, trace)
        return
    if chain.upper_protocol != IPPROTO_TCP or len(upper) < 8:
        trace.add("icmpv6", DROP, RULE_REDUCE, f"about protocol {chain.upper_protocol}")
        return
    st.tcp.packet_too_big(connection_key(quoted, upper), int.from_bytes(upper[4:8], "big"),
                          icmp.rest, now)


def datagram(st: IfaceState, dst: bytes, protocol: int, upper: bytes, mtu: int,
             trace: Trace) -> None:
    """A Packet Too Big about a UDP datagram (from a socket of ours: Linux __udp6_lib_err
    finds it by its ports) or an ICMPv6 message (icmpv6_err): the path MTU to the quoted
    destination is lowered for every later packet to it (Linux ip6_update_pmtu: a route
    exception), which IPv6 output then fragments to fit (RFC 8200 5, iface/fragment6.py)."""
    if protocol == IPPROTO_UDP and (len(upper) < 4 or st.udp.lookup(
            st.ip6.ip, int.from_bytes(upper[0:2], "big")) is None):
        trace.add("icmpv6", DROP, RULE_REDUCE, "no socket sent that datagram")
        return
    if mtu < MIN_MTU:
        if st.profile.ptb_below_minimum_ignored:
            # Linux __ip6_rt_update_pmtu: an MTU below IPV6_MIN_MTU is ignored (measured on
            # 6.18 for a UDP datagram and an echo reply: nothing changes).
            trace.add("icmpv6", DROP, "LINUX-__ip6_rt_update_pmtu-below-minimum", f"mtu {mtu}")
            return
        mtu = MIN_MTU  # RFC 8201 4: never below the IPv6 minimum link MTU
        trace.add("icmpv6", STATE, "RFC8201-4-MUST-NOT-below-minimum-mtu", "1280")
    if mtu >= st.pmtu6.get(dst, st.mtu6):
        # RFC 8201 4: a Packet Too Big never increases the estimate.
        trace.add("icmpv6", DROP, "RFC8201-4-MUST-NOT-increase-on-packet-too-big", f"mtu {mtu}")
        return
    st.pmtu6[dst] = mtu
    trace.add("icmpv6", STATE, "RFC8201-4-MUST-reduce-for-datagrams", f"path MTU {mtu}")
