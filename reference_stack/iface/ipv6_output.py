"""IPv6 output (RFC 8200 3): the header, our source address, the next hop's link-layer
address from the neighbour cache (RFC 4861 7.2.2: resolution by a Neighbor Solicitation to
the solicited-node group while the packet waits) or a group's (RFC 2464 7), then Ethernet."""

from __future__ import annotations

from reference_stack.iface import ipsec, link
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import REPLY, Trace
from reference_stack.variance import AnyValue, Range
from reference_stack.wire.ethernet import ETH_P_IPV6
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr, multicast_mac, solicited_node
from reference_stack.wire.ndp import OPT_SOURCE_LLADDR, NdOptLinkAddr, NeighborSolicit

ND_HOP_LIMIT = 255  # RFC 4861 6.1, 7.1: every ND message is sent with hop limit 255
PENDING_LIMIT = 3  # RFC 4861 7.2.2: SHOULD queue at least one packet per address


def variance(st: IfaceState, hop_limit_fixed: bool = False) -> dict:
    """IP-level latitude of IPv6 output: RFC 6437 2: the flow label is the source's choice
    (Linux hashes the flow, auto_flowlabels); RFC 8200 3: the hop limit is the sender's
    (fixed at 255 for Neighbor Discovery, RFC 4861)."""
    allowed: dict = {"ipv6.flow_label": AnyValue()}
    if not hop_limit_fixed and not st.profile.exact_choices:
        allowed["ipv6.hop_limit"] = Range(1, 255)
    return allowed


def send_ip6(st: IfaceState, dst: bytes, next_header: int, payload: bytes, rule: str,
             allowed: dict, trace: Trace, out: Output, hop_limit: int | None = None,
             src: bytes | None = None) -> None:
    """A packet from our address (or ``src``) to ``dst``; it waits for the next hop's
    link-layer address when the cache has none."""
    source = src if src is not None else st.ip6.ip
    hops = hop_limit if hop_limit is not None else st.profile.ipv6_hop_limit
    if st.ipsec is not None:  # RFC 4301 5.1 (iface/ipsec.py)
        sent = ipsec.output(st, source, dst, next_header, payload, lambda: Ipv6Repr(
            source, dst, next_header, payload, hops).emit(), trace)
        if sent is None:
            return
        dst, next_header, payload = sent
        allowed = {**allowed, **ipsec.ESP_VARIANCE} if next_header == ipsec.IPPROTO_ESP \
            else allowed
    packet = Ipv6Repr(source, dst, next_header, payload, hops)
    if dst[0] == 0xFF:
        link.emit_eth(st, multicast_mac(dst), ETH_P_IPV6, packet.emit(), rule, allowed, out)
        return
    mac = st.nd.lookup(dst)
    if mac is not None:
        link.emit_eth(st, mac, ETH_P_IPV6, packet.emit(), rule, allowed, out)
        return
    queue = st.nd_pending.setdefault(dst, [])
    if not queue:
        solicit(st, dst, trace, out)
    if len(queue) < PENDING_LIMIT:
        queue.append((packet, rule, allowed))


def solicit(st: IfaceState, target: bytes, trace: Trace, out: Output) -> None:
    """RFC 4861 7.2.2: a Neighbor Solicitation for ``target`` to its solicited-node group,
    with our link-layer address (we have a source address)."""
    rule = "RFC4861-7.2.2-MUST-solicit"
    trace.add("ndp", REPLY, rule, "resolve next hop")
    st.nd.incomplete(target)
    message = NeighborSolicit(target, (NdOptLinkAddr(OPT_SOURCE_LLADDR, st.mac),)).to_icmp()
    group = solicited_node(target)
    send_ip6(st, group, IPPROTO_ICMPV6, message.emit(st.ip6.ip, group), rule,
             variance(st, True), trace, out, ND_HOP_LIMIT)


def resolved(st: IfaceState, ip: bytes, out: Output) -> None:
    """Send what waited for ``ip``, now in the cache."""
    mac = st.nd.lookup(ip)
    if mac is None:
        return
    for packet, rule, allowed in st.nd_pending.pop(ip, []):
        link.emit_eth(st, mac, ETH_P_IPV6, packet.emit(), rule, allowed, out)
