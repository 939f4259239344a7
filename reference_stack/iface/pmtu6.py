"""Path MTU Discovery for IPv6 (RFC 8201): a Packet Too Big (RFC 4443 3.2) about a TCP segment
we sent lowers the connection's path MTU estimate and so its segment size (RFC 8201 5.2; the
TCP side is TcpLayer.packet_too_big). The quoted packet names the connection: our address as
its source, the TCP ports and sequence number of the segment (RFC 4443 3.2: as much of the
packet as fits)."""

from __future__ import annotations

from reference_stack.iface.state import IfaceState
from reference_stack.trace import DROP, Trace
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import HEADER_LEN, IPPROTO_TCP
from reference_stack.wire.ipv6_ext import parse_chain

RULE_REDUCE = "RFC8201-4-MUST-reduce-on-packet-too-big"


def packet_too_big(st: IfaceState, icmp: Icmpv6Repr, now: float, trace: Trace) -> None:
    quoted = icmp.payload
    if len(quoted) < HEADER_LEN or quoted[8:24] != st.ip6.ip:
        trace.add("icmpv6", DROP, RULE_REDUCE, "not about a packet of ours")
        return
    chain = parse_chain(quoted[6], quoted[HEADER_LEN:])
    upper = chain.upper
    if chain.upper_protocol != IPPROTO_TCP or len(upper) < 8:
        # Only TCP connections keep a path MTU here (datagrams of other protocols are not
        # sent above 1280 by the oracle's users).
        trace.add("icmpv6", DROP, RULE_REDUCE, f"about protocol {chain.upper_protocol}")
        return
    key = (quoted[8:24], int.from_bytes(upper[0:2], "big"), quoted[24:40],
           int.from_bytes(upper[2:4], "big"))
    st.tcp.packet_too_big(key, int.from_bytes(upper[4:8], "big"), icmp.rest, now)
