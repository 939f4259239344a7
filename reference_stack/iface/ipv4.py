"""IPv4 input: validation (RFC 1122 3.2.1, RFC 791 3.1, RFC 1812 5.2.2), options (RFC 791
3.1), reassembly (RFC 791 3.2) and delivery by protocol (RFC 1122 3.2.2.1)."""

from __future__ import annotations

from reference_stack.iface import icmp, ip_options, ipsec, ipv6, tcp, udp, udplite
from reference_stack.iface.addressing import Addressing
from reference_stack.iface.icmp_error import send_error
from reference_stack.iface.state import IfaceState, Output
from reference_stack.profiles import Profile
from reference_stack.trace import ACCEPT, DROP, Trace
from reference_stack.wire.checksum import pseudo_header_sum, verify
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv4 import (
    ICMP_DEST_UNREACH,
    ICMP_EXC_FRAGTIME,
    ICMP_PARAM_PROBLEM,
    ICMP_PROT_UNREACH,
    ICMP_TIME_EXCEEDED,
)
from reference_stack.wire.ipv4 import (
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv4Header,
    Ipv4Repr,
)

IPPROTO_IGMP = 2  # RFC 1112
IPPROTO_AH = 51  # RFC 4302

RULE_VERSION = "RFC1122-3.2.1.1-MUST-version"
RULE_IHL = "RFC791-3.1-MUST-ihl"
RULE_TOTAL_LENGTH = "RFC1812-5.2.2-MUST-total-length"
RULE_CHECKSUM = "RFC1122-3.2.1.2-MUST-verify-checksum"
RULE_SRC = "RFC1122-3.2.1.3-MUST-src-martian"
RULE_DST = "RFC1122-3.2.1.3-MUST-dst-not-ours"
RULE_ACCEPT = "RFC1122-3.2.1-MUST-validate"
TCP_PAIRS = 64  # address pairs of TCP datagrams whose checks are kept (tcp_pair)
# tcp_pair's entry: (validate_addresses accepts, its trace record, the TCP pseudo-header's sum
# with length 0, the destination is a broadcast or multicast address)
TcpPair = tuple[bool, tuple[str, str, str, str], int, bool]


def validate(ip: Ipv4Repr, raw: bytes, addr: Addressing, profile: Profile,
             ) -> tuple[bool, str, str]:
    """(accepted, rule, detail) for a parsed IPv4 header and the raw datagram bytes."""
    raw_len = len(raw)
    if ip.version != 4:
        # RFC 1122 3.2.1.1: a datagram whose version number is not 4 MUST be silently discarded.
        return False, RULE_VERSION, f"version {ip.version}"
    header_len = ip.ihl * 4
    if ip.ihl < 5 or header_len > raw_len:
        return False, RULE_IHL, f"IHL {ip.ihl}"
    if ip.total_length < header_len or ip.total_length > raw_len:
        return False, RULE_TOTAL_LENGTH, f"total length {ip.total_length}, have {raw_len}"
    if not verify(raw[:header_len]) and not profile.breaks(RULE_CHECKSUM):
        # RFC 1122 3.2.1.2: a host MUST verify the header checksum and silently discard a
        # datagram whose checksum is bad.
        return False, RULE_CHECKSUM, "bad header checksum"
    return validate_addresses(ip.src, ip.dst, addr, profile)


def validate_addresses(src: bytes, dst: bytes, addr: Addressing, profile: Profile,
                       ) -> tuple[bool, str, str]:
    """validate's checks of the source and destination addresses (its last ones): a function
    of the address pair, our addressing and the profile only."""
    why = addr.martian_source(src, profile.directed_broadcast_source_martian)
    if why is None and src == addr.ip and not profile.accept_own_source:
        why = "our own address as source"
    if why is not None:
        return False, RULE_SRC, why
    if dst != addr.ip and not addr.is_broadcast(dst) and not addr.is_member(dst):
        # RFC 1122 3.2.1.3: a datagram not destined for the host (our address, a broadcast
        # address, or a group we belong to) is silently discarded
        # (a host does not forward, RFC 1122 3.3.1.6).
        return False, RULE_DST, "not for us"
    return True, RULE_ACCEPT, ""



def tcp_pair(st: IfaceState, src: bytes, dst: bytes) -> TcpPair:
    """What the common TCP datagram's checks need of its address pair, computed once per pair
    (IfaceState.tcp_pairs, emptied when the profile changes): validate_addresses's verdict
    as the record it adds, the pseudo-header's sum (RFC 9293 3.1) and whether the destination
    is a broadcast or multicast address (RFC 1122 4.2.3.10)."""
    pairs = st.tcp_pairs
    if len(pairs) >= TCP_PAIRS:
        pairs.clear()
    ok, rule, detail = validate_addresses(src, dst, st.addr, st.profile)
    addr = st.addr
    pair = pairs[(src, dst)] = (
        ok, ("ipv4", ACCEPT if ok else DROP, rule, detail),
        pseudo_header_sum(src, dst, IPPROTO_TCP, 0),
        addr.is_broadcast(dst) or addr.is_multicast(dst))
    return pair


def receive(st: IfaceState, link_dst: bytes, raw: bytes, now: float, trace: Trace,
            out: Output) -> None:
    if len(raw) >= 20 and raw[0] == 0x45 and raw[9] == IPPROTO_TCP and not (
            raw[6] & 0x3F or raw[7]) and st.ipsec is None:
        # The common datagram: version 4 with IHL 5 (no options), not a fragment (MF and
        # offset zero), carrying TCP. It is validated by the same rules on its header
        # fields read in one unpack (Ipv4Header) instead of a parsed Ipv4Repr; nothing
        # else below applies to it.
        header = Ipv4Header(raw)
        ok, rule, detail = validate(header, raw, st.addr, st.profile)
        trace.add("ipv4", ACCEPT if ok else DROP, rule, detail)
        if ok:
            tcp.receive(st, header.src, header.dst, header.payload, now, trace)
        return
    try:
        ip = Ipv4Repr.parse(raw)
    except WireError as e:
        trace.add("ipv4", DROP, "RFC791-3.1-MUST-header-length", e.reason)
        return
    ok, rule, detail = validate(ip, raw, st.addr, st.profile)
    trace.add("ipv4", ACCEPT if ok else DROP, rule, detail)
    if not ok:
        return
    original = raw[:ip.total_length]
    link_bcast = link_dst[0] & 1 == 1  # broadcast or multicast link destination
    if ip.options:
        verdict, rule, pointer = ip_options.check(ip, st.profile, st.addr, now)
        trace.add("ipv4", ACCEPT if verdict == "ok" else DROP, rule)
        if verdict == "param":
            send_error(st, ip, original, ICMP_PARAM_PROBLEM, 0, link_bcast, now, trace, out,
                       pointer=pointer)
        if verdict != "ok":
            return
    if ip.mf or ip.frag_offset:
        whole = st.reasm.add(ip, now, trace)
        if whole is None:
            return
        ip = whole
        original = ip.emit()
    _deliver(st, ip, original, link_bcast, now, trace, out)


def _deliver(st: IfaceState, ip: Ipv4Repr, original: bytes, link_bcast: bool, now: float,
             trace: Trace, out: Output) -> None:
    """Hand a whole datagram to its protocol (RFC 1122 3.2.2.1: Protocol Unreachable for one
    this host does not speak)."""
    protocol = ip.protocol
    if st.ipsec is not None:
        if protocol == ipsec.IPPROTO_ESP:
            # RFC 4303 3.4: ESP to its SA; what it carried is delivered as if it had come so
            # (transport mode), or received as the datagram it is (tunnel mode).
            verdict = ipsec.decapsulate(st, ip.dst, ip.payload, trace)
            if verdict is None:
                return
            if verdict.proto in (ipsec.IPPROTO_IPIP, ipsec.IPPROTO_IPV6):
                ipsec.deliver_decrypted(st, verdict, lambda: _tunnelled(
                    st, verdict.data, verdict.proto, link_bcast, now, trace, out))
                return
            transport = ipsec.inner_ipv4(ip, verdict)
            ipsec.deliver_decrypted(st, verdict, lambda: _deliver(
                st, transport, transport.emit(), link_bcast, now, trace, out))
            return
        if not ipsec.allowed(st, ip.src, ip.dst, protocol, ip.payload, trace):
            return
    if protocol == IPPROTO_TCP:
        tcp.receive(st, ip.src, ip.dst, ip.payload, now, trace)
    elif protocol == IPPROTO_UDP:
        udp.receive(st, ip, original, link_bcast, now, trace, out)
    elif protocol == IPPROTO_ICMP:
        icmp.receive(st, ip, link_bcast, now, trace, out)
    elif protocol == udplite.IPPROTO_UDPLITE and st.profile.udplite:
        udplite.receive(st, ip, original, link_bcast, now, trace, out)
    elif protocol == IPPROTO_IGMP and st.profile.igmp_host:
        # RFC 1112 (level 2) / RFC 2236 host: IGMP is a protocol this host speaks, so no
        # Protocol Unreachable (RFC 1122 3.2.2.1). Linux's igmp_rcv drops what it cannot
        # parse and answers a query only for groups joined other than all-hosts
        # (RFC 2236 6): none here.
        trace.add("ipv4", DROP, "LINUX-igmp_rcv", "IGMP: no group joined to report")
    elif protocol in (IPPROTO_AH, ipsec.IPPROTO_ESP) and st.profile.ipv4_ipsec:
        # RFC 4302 3.4.2, RFC 4303 3.4.2: no Security Association here: discard, no ICMP.
        trace.add("ipv4", DROP, "RFC4303-3.4.2-MUST-discard-no-sa",
                  "AH" if protocol == IPPROTO_AH else "ESP")
    elif protocol in st.profile.ipv4_tunnel_protocols:
        # Linux tunnel4 (xfrm4_tunnel loaded): the tunnel handler takes it and, with no SA
        # for its source, drops it (xfrm4_rcv_spi); no Protocol Unreachable.
        trace.add("ipv4", DROP, "LINUX-tunnel4_rcv-xfrm-tunnel", f"protocol {protocol}")
    else:
        trace.add("ipv4", DROP, "RFC1122-3.2.2.1-SHOULD-protocol-unreachable",
                  f"protocol {protocol}")
        send_error(st, ip, original, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, link_bcast, now,
                   trace, out)


def _tunnelled(st: IfaceState, inner: bytes, proto: int, link_bcast: bool, now: float,
               trace: Trace, out: Output) -> None:
    """RFC 4301 5.2, RFC 4303 3.1.2: a tunnel-mode SA's inner datagram, received as one."""
    link_dst = b"\xff" * 6 if link_bcast else st.mac
    if proto == ipsec.IPPROTO_IPV6:
        if st.ip6 is None:
            trace.add("ipsec", DROP, "RFC4303-3.1.2-MUST-tunnel-inner", "IPv6 inner, no IPv6")
            return
        ipv6.receive(st, link_dst, inner, now, trace, out)
        return
    receive(st, link_dst, inner, now, trace, out)


def expire_reassembly(st: IfaceState, now: float, trace: Trace, out: Output) -> None:
    """RFC 1122 3.3.2: a datagram whose first fragment came but which never completed earns
    a Time Exceeded (fragment reassembly time exceeded)."""
    for first in st.reasm.expire(now, trace):
        send_error(st, first, first.emit(), ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, False, now,
                   trace, out)
