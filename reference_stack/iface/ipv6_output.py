"""IPv6 output (RFC 8200 3): the header, our source address, the next hop's link-layer
address from the neighbour cache (RFC 4861 7.2.2: resolution by a Neighbor Solicitation to
the solicited-node group while the packet waits) or a group's (RFC 2464 7), then Ethernet."""

from __future__ import annotations

from reference_stack.iface import fragment6, ipsec, link
from reference_stack.iface.ipv6_addressing import DELAY, PROBE, STALE, Neighbor
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import REPLY, STATE, Trace
from reference_stack.variance import AnyValue, Range
from reference_stack.wire.ethernet import ETH_P_IPV6
from reference_stack.wire.ipv6 import (
    HEADER_LEN,
    IPPROTO_ICMPV6,
    Ipv6Repr,
    multicast_mac,
    solicited_node,
)
from reference_stack.wire.ndp import OPT_SOURCE_LLADDR, NdOptLinkAddr, NeighborSolicit

ND_HOP_LIMIT = 255  # RFC 4861 6.1, 7.1: every ND message is sent with hop limit 255
PENDING_LIMIT = 3  # RFC 4861 7.2.2: SHOULD queue at least one packet per address
USED_STATES = frozenset((STALE, DELAY, PROBE))  # (not REACHABLE, INCOMPLETE or PERMANENT)


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
    entry = st.nd.entries.get(dst)
    if entry is not None and entry.mac is not None:
        if entry.state in USED_STATES:
            used(st, dst, entry, trace)
        emit(st, entry.mac, packet, rule, allowed, out, trace)
        return
    queue = st.nd_pending.setdefault(dst, [])
    if not queue:
        solicit(st, dst, trace, out)
    if len(queue) < PENDING_LIMIT:
        queue.append((packet, rule, allowed))


def emit(st: IfaceState, mac: bytes, packet: Ipv6Repr, rule: str, allowed: dict, out: Output,
         trace: Trace | None = None) -> None:
    """The packet to a unicast next hop: whole, or in fragments when it exceeds the path MTU
    (RFC 8200 5, iface/fragment6.py)."""
    fragments = fragment6.split(st, packet, allowed)
    if fragments is None:
        if link.fits_link(st, HEADER_LEN + len(packet.payload), trace):
            link.emit_eth(st, mac, ETH_P_IPV6, packet.emit(), rule, allowed, out)
        return
    if trace is not None:
        trace.add("ipv6", REPLY, fragment6.RULE, f"{len(fragments)} fragments")
    for frame, fragment_allowed in fragments:
        link.emit_eth(st, mac, ETH_P_IPV6, frame, rule, fragment_allowed, out)


def used(st: IfaceState, ip: bytes, entry: Neighbor, trace: Trace) -> None:
    """A packet sent through an entry that is not REACHABLE (RFC 4861 7.3.3: the first through
    a STALE entry makes it DELAY, its timer starting as the call ends: iface/nud.py). Linux
    records the time of such a send (neigh_event_send: neigh->used; through a REACHABLE entry
    its cached header skips it)."""
    if entry.state == STALE:
        entry.state = DELAY
        entry.due = None
        trace.add("ndp", STATE, "RFC4861-7.3.3-MUST-stale-to-delay", "DELAY")
    st.nd.unarmed.add(ip)


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
    waiting = st.nd_pending.pop(ip, [])
    if waiting:
        st.nd.unarmed.add(ip)  # used now (Linux: the queue goes out through neigh_output)
    for packet, rule, allowed in waiting:
        emit(st, mac, packet, rule, allowed, out)
