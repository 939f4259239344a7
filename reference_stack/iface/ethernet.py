"""Ethernet input (RFC 894, IEEE 802.3): the destination filter, then ARP (RFC 826) or IPv4."""

from __future__ import annotations

from reference_stack.iface import ipv4, ipv6, link
from reference_stack.iface.ipv4_output import ETHERTYPE_IP, emit_ip
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import ACCEPT, DROP, Trace
from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, EthernetRepr

ACCEPT_IPV4 = ("ethernet", ACCEPT, "RFC894-MUST-ethertype-ipv4", "")


def receive(st: IfaceState, frame: bytes, now: float, trace: Trace, out: Output) -> None:
    if type(frame) is bytes and frame[12:14] == ETHERTYPE_IP:
        # An untagged IPv4 frame (RFC 894), read in place: the same decisions as the general
        # path below, without building an EthernetRepr (the common TCP frame: tcp_frame.py).
        dst = frame[0:6]
        if dst != st.mac and not st.addr.for_us_link(dst, st.mac):  # (ours, first: common)
            trace.add("ethernet", DROP, "IEEE802.3-4.2.4.1.2-MUST-dst-filter", "not our MAC")
            return
        trace.records.append(ACCEPT_IPV4)  # (trace.add of a constant record)
        ipv4.receive(st, dst, frame[14:], now, trace, out)
        return
    try:
        eth = EthernetRepr.parse(frame)
    except WireError as e:
        trace.add("ethernet", DROP, "IEEE802.3-3.1-MUST-frame-header", e.reason)
        return
    if not st.addr.for_us_link(eth.dst, st.mac) and not (
            eth.ethertype == ETH_P_IPV6 and st.ip6 is not None
            and st.ip6.for_us_link(eth.dst)):
        trace.add("ethernet", DROP, "IEEE802.3-4.2.4.1.2-MUST-dst-filter", "not our MAC")
        return
    if eth.vlans:
        trace.add("ethernet", DROP, "IEEE802.1Q-6.9-MUST-vlan-not-member", "tagged frame")
        return
    if eth.ethertype == ETH_P_ARP:
        trace.add("ethernet", ACCEPT, "RFC826-MUST-ethertype-arp")
        _arp(st, eth, now, trace, out)
    elif eth.ethertype == ETH_P_IP:
        trace.add("ethernet", ACCEPT, "RFC894-MUST-ethertype-ipv4")
        ipv4.receive(st, eth.dst, eth.payload, now, trace, out)
    elif eth.ethertype == ETH_P_IPV6 and st.ip6 is not None:
        trace.add("ethernet", ACCEPT, "RFC2464-3-MUST-ethertype-ipv6")
        ipv6.receive(st, eth.dst, eth.payload, now, trace, out)
    else:
        trace.add("ethernet", DROP, "RFC894-MUST-ethertype-unknown",
                  f"ethertype {eth.ethertype:#06x}")


def _arp(st: IfaceState, eth: EthernetRepr, now: float, trace: Trace, out: Output) -> None:
    """RFC 826 packet reception (iface/arp.py), then the datagrams that waited for the
    sender, now resolved."""
    try:
        arp = ArpRepr.parse(eth.payload)
    except WireError as e:
        trace.add("arp", DROP, "RFC826-MUST-packet-format", e.reason)
        return
    # A resolution in progress is Linux's INCOMPLETE neighbour: its reply is solicited.
    reply = st.arp.receive(arp, now, trace, st.profile.arp_accept or arp.spa in st.pending)
    if reply is not None:
        link.emit_eth(st, reply.tha, ETH_P_ARP, reply.emit(), "RFC826-MUST-reply", {}, out)
    for ip, rule, variance in link.resolved(st, arp.spa):
        emit_ip(st, ip, arp.spa, rule, variance, trace, out)
