"""IPv6 input (RFC 8200): the fixed header's checks (3), the extension headers in the order
they appear (4, 4.1), each by its rules (iface/ipv6_exthdrs.py), then delivery by the upper
layer's Next Header value (ICMPv6, UDP) or a Parameter Problem code 1 (4)."""

from __future__ import annotations

from reference_stack.iface import icmpv6, ipsec, tcp6, udp6, udplite
from reference_stack.iface.icmpv6_error import send_error6
from reference_stack.iface.ipv6_exthdrs import DROP as V_DROP
from reference_stack.iface.ipv6_exthdrs import PARAM, options, routing
from reference_stack.iface.reassembly6 import MAX_PAYLOAD, Fragment
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import ACCEPT, DROP, Trace
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv6 import (
    ICMP6_DST_UNREACH,
    ICMP6_PARAM_PROB,
    ICMP6_TIME_EXCEEDED,
    PARAM_FIRST_FRAGMENT_CHAIN,
    PARAM_HEADER_FIELD,
    PARAM_NEXT_HEADER,
    TIME_EXCEEDED_REASSEMBLY,
    UNREACH_NO_ROUTE,
)
from reference_stack.wire.ipv6 import (
    HEADER_LEN,
    IPPROTO_AH,
    IPPROTO_DSTOPTS,
    IPPROTO_ESP,
    IPPROTO_HOPOPTS,
    IPPROTO_ICMPV6,
    IPPROTO_NONE,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv6Repr,
)
from reference_stack.wire.ipv6_ext import Ipv6Chain, Ipv6Fragment, Ipv6Routing, parse_chain

RULE_UNRECOGNIZED_NH = "RFC8200-4-SHOULD-unrecognized-next-header"
RULE_NOT_OURS = "RFC4291-2.8-MUST-dst-not-ours"


def validate(ip: Ipv6Repr, raw_len: int, st: IfaceState) -> tuple[bool, str, str]:
    """(accepted, rule, detail) for the fixed header."""
    if ip.version != 6:
        # RFC 8200 3: Version is 6 (Linux ip6_rcv_core drops any other).
        return False, "RFC8200-3-MUST-version-6", f"version {ip.version}"
    if ip.payload_length is not None and HEADER_LEN + ip.payload_length > raw_len:
        return False, "RFC8200-3-MUST-payload-length", (
            f"payload length {ip.payload_length}, have {raw_len - HEADER_LEN}")
    why = st.ip6.martian_source(ip.src)
    if why is not None:
        # RFC 4291 2.7: multicast addresses must not be used as source addresses.
        return False, "RFC4291-2.7-MUST-NOT-multicast-source", why
    if ip.dst in st.ip6.tentative:
        # RFC 4862 5.4: other packets addressed to a tentative address are silently
        # discarded (Linux: no local route until addrconf_dad_completed).
        return False, "RFC4862-5.4-SHOULD-discard-to-tentative", "tentative address"
    if not st.ip6.is_ours(ip.dst):
        # RFC 4291 2.8: a host takes packets for its addresses and groups; it does not
        # forward (RFC 8200 3: only routers forward).
        return False, RULE_NOT_OURS, "not for us"
    return True, "RFC4291-2.8-MUST-recognize-addresses", ""


def receive(st: IfaceState, link_dst: bytes, raw: bytes, now: float, trace: Trace,
            out: Output) -> None:
    try:
        ip = Ipv6Repr.parse(raw)
    except WireError as e:
        trace.add("ipv6", DROP, "RFC8200-3-MUST-header", e.reason)
        return
    ok, rule, detail = validate(ip, len(raw), st)
    trace.add("ipv6", ACCEPT if ok else DROP, rule, detail)
    if not ok:
        if (rule == RULE_NOT_OURS and st.profile.ipv6_no_route_unreachable
                and ip.dst[0] != 0xFF and not st.ip6.on_link(ip.dst)):
            # Linux routes a packet that is not for us; a host without a route to its
            # destination answers from ip6_pkt_discard (Destination Unreachable code 0, no
            # route, RFC 4443 3.1), where RFC 4291 2.8 only discards it. An on-link
            # destination finds a route and ip6_forward drops it (forwarding off).
            rule = "LINUX-ip6_pkt_discard-no-route"
            chain = parse_chain(ip.next_header, ip.payload)
            send_error6(st, ip, raw[:HEADER_LEN + len(ip.payload)], chain,
                        link_dst[0] & 1 == 1, ICMP6_DST_UNREACH, UNREACH_NO_ROUTE, rule,
                        trace, out)
        return
    if ip.hop_limit == 0:
        # RFC 8200 3: a destination should not discard a packet whose Hop Limit is 0.
        trace.add("ipv6", ACCEPT, "RFC8200-3-SHOULD-process-hop-limit-zero")
    original = raw[:HEADER_LEN + len(ip.payload)]
    link_mcast = link_dst[0] & 1 == 1
    chain = parse_chain(ip.next_header, ip.payload)
    _headers(st, ip, original, chain, link_mcast, now, trace, out)


def _fragment(st: IfaceState, ip: Ipv6Repr, original: bytes, offset: int, nh_at: int,
              header: Ipv6Fragment, link_mcast: bool, now: float, trace: Trace,
              out: Output) -> None:
    """RFC 8200 4.5: the checks on a fragment, then reassembly; the reassembled packet is
    processed as if it had arrived whole."""
    data = original[offset + 8:]
    start = header.frag_offset * 8
    chain = parse_chain(ip.next_header, ip.payload)
    if start == 0 and _chain_incomplete(header.next_header, data, offset + 8):
        # RFC 7112 5: a first fragment must hold the whole header chain up to and with the
        # upper-layer header; else discard, Parameter Problem code 3 with pointer 0 (checked
        # first, as Linux's ipv6_frag_rcv does before ip6_frag_queue's length checks).
        rule = "RFC7112-5-SHOULD-incomplete-chain"
        trace.add("ipv6", DROP, rule, "first fragment without the upper-layer header")
        send_error6(st, ip, original, chain, link_mcast, ICMP6_PARAM_PROB,
                    PARAM_FIRST_FRAGMENT_CHAIN, rule, trace, out, 0)
        return
    if offset - HEADER_LEN + start + len(data) > MAX_PAYLOAD:
        # (checked before the multiple of 8, as Linux's ip6_frag_queue does: RFC 8200 4.5
        # names both errors without an order)
        rule = "RFC8200-4.5-SHOULD-fragment-too-long"
        trace.add("ipv6", DROP, rule, f"fragment ends at {start + len(data)}")
        send_error6(st, ip, original, chain, link_mcast, ICMP6_PARAM_PROB, PARAM_HEADER_FIELD,
                    rule, trace, out, offset + 2)
        return
    if header.m and len(data) % 8:
        rule = "RFC8200-4.5-SHOULD-fragment-multiple-of-8"
        trace.add("ipv6", DROP, rule, f"{len(data)} octets with M set")
        send_error6(st, ip, original, chain, link_mcast, ICMP6_PARAM_PROB, PARAM_HEADER_FIELD,
                    rule, trace, out, 4)
        return
    frag = Fragment((ip.src, ip.dst, header.ident), start, header.m, data, original, offset,
                    nh_at, header.next_header)
    whole = st.reasm6.add(frag, now, trace)
    if whole is not None:
        _packet(st, whole, link_mcast, now, trace, out)


# The octets of each upper-layer header a first fragment must hold (RFC 7112 2; Linux's
# ipv6_frag_thdr_truncated counts a TCP, UDP or ICMPv6 header, else one octet).
_UPPER_HEADER_LEN = {IPPROTO_TCP: 20, IPPROTO_UDP: 8, IPPROTO_ICMPV6: 8, IPPROTO_NONE: 0}


def _chain_incomplete(next_header: int, data: bytes, base: int) -> bool:
    chain = parse_chain(next_header, data, base)
    if chain.error is not None:
        return True
    return len(chain.upper) < _UPPER_HEADER_LEN.get(chain.upper_protocol, 1)


def _packet(st: IfaceState, raw: bytes, link_mcast: bool, now: float, trace: Trace,
            out: Output) -> None:
    """A reassembled packet: its header chain from the start (RFC 8200 4.5)."""
    ip = Ipv6Repr.parse(raw)
    trace.add("ipv6", ACCEPT, "RFC8200-4.5-MUST-reassemble", f"{len(raw)} octets whole")
    _headers(st, ip, raw, parse_chain(ip.next_header, ip.payload), link_mcast, now, trace, out,
             fragmented=True)


def expire_reassembly(st: IfaceState, now: float, trace: Trace, out: Output) -> None:
    """RFC 8200 4.5: a packet not reassembled in time earns a Time Exceeded code 1 about its
    offset-0 fragment, if that one came."""
    for first in st.reasm6.expire(now, trace):
        ip = Ipv6Repr.parse(first)
        send_error6(st, ip, first, parse_chain(ip.next_header, ip.payload), False,
                    ICMP6_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY,
                    "RFC8200-4.5-SHOULD-time-exceeded-reassembly", trace, out)


def _headers(st: IfaceState, ip: Ipv6Repr, original: bytes, chain: Ipv6Chain,
             link_mcast: bool, now: float, trace: Trace, out: Output,
             fragmented: bool = False) -> None:
    """RFC 8200 4: extension headers are processed strictly in the order they appear;
    ``fragmented``: the packet was reassembled (RFC 8200 4.5)."""
    profile = st.profile
    dst_multicast = ip.dst[0] == 0xFF
    nh_at = 6
    for offset, protocol, header in chain.headers:
        if protocol == IPPROTO_HOPOPTS and offset != HEADER_LEN:
            # RFC 8200 4.1: Hop-by-Hop only immediately after the IPv6 header; elsewhere it
            # is treated as an unrecognised Next Header (4).
            trace.add("ipv6", DROP, "RFC8200-4-SHOULD-hop-by-hop-only-first",
                      f"Hop-by-Hop header at offset {offset}")
            send_error6(st, ip, original, chain, link_mcast, ICMP6_PARAM_PROB,
                        PARAM_NEXT_HEADER, "RFC8200-4-SHOULD-hop-by-hop-only-first", trace,
                        out, nh_at)
            return
        verdict = None
        if protocol in (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS):
            raw_header = original[offset:offset + len(header.emit())]
            verdict = options(raw_header, offset, dst_multicast, protocol == IPPROTO_HOPOPTS,
                              profile, ip.payload_length)
        elif isinstance(header, Ipv6Routing):
            verdict = routing(header, offset, profile)
        elif isinstance(header, Ipv6Fragment):
            if fragmented and profile.ipv6_one_fragment_header:
                # RFC 8200 4.1 lets a Fragment header occur once (SHOULD) without saying what
                # a second one means; Linux ipv6_frag_rcv (IP6SKB_FRAGMENTED) answers a second
                # one, after an atomic or a reassembled packet's, with a Parameter Problem
                # code 0 pointing at it.
                rule = "LINUX-ipv6_frag_rcv-fragment-header-twice"
                trace.add("ipv6", DROP, rule, f"second Fragment header at {offset}")
                send_error6(st, ip, original, chain, link_mcast, ICMP6_PARAM_PROB,
                            PARAM_HEADER_FIELD, rule, trace, out, offset)
                return
            fragmented = True
            if not header.atomic:
                _fragment(st, ip, original, offset, nh_at, header, link_mcast, now, trace,
                          out)
                return
            # RFC 6946 4: an atomic fragment is processed in isolation.
            trace.add("ipv6", ACCEPT, "RFC6946-4-MUST-process-atomic-fragment")
        elif protocol == IPPROTO_ESP and st.ipsec is not None:
            _esp(st, ip, original[offset:], link_mcast, now, trace, out,
                 original[HEADER_LEN:offset], nh_at)
            return
        elif protocol in (IPPROTO_AH, IPPROTO_ESP):
            if not profile.ipv6_ipsec:
                _unrecognized(st, ip, original, chain, link_mcast, nh_at, protocol, trace,
                              out, "LINUX-ip6_protocol_deliver_rcu-no-ipsec")
                return
            # RFC 4302 3.4.2, RFC 4303 3.4.2: no Security Association here: discard.
            trace.add("ipv6", DROP, "RFC4303-3.4.2-MUST-discard-no-sa",
                      "AH" if protocol == IPPROTO_AH else "ESP")
            return
        if verdict is not None:
            if verdict.outcome == V_DROP:
                trace.add("ipv6", DROP, verdict.rule, verdict.detail)
                return
            if verdict.outcome == PARAM:
                trace.add("ipv6", DROP, verdict.rule, verdict.detail)
                send_error6(st, ip, original, chain, link_mcast, ICMP6_PARAM_PROB,
                            verdict.code, verdict.rule, trace, out, verdict.pointer,
                            verdict.action)
                return
            trace.add("ipv6", ACCEPT, verdict.rule)
        nh_at = offset
    if chain.error is not None:
        trace.add("ipv6", DROP, "RFC8200-4-MUST-header-chain", chain.error)
        return
    _deliver(st, ip, original, chain, link_mcast, now, trace, out)


def _esp(st: IfaceState, ip: Ipv6Repr, packet: bytes, link_mcast: bool, now: float,
         trace: Trace, out: Output, before: bytes = b"", nh_at: int = 6) -> None:
    """RFC 4303 3.4 (ESP after the extension headers before it, `before`, whose last Next
    Header field is at `nh_at`, RFC 4303 3.1.1): what the packet carried goes on as the
    header chain's rest (transport mode) or is received as the datagram it is (tunnel
    mode)."""
    verdict = ipsec.decapsulate(st, ip.dst, packet, trace)
    if verdict is None:
        return
    if verdict.proto in (ipsec.IPPROTO_IPIP, ipsec.IPPROTO_IPV6):
        link_dst = b"\x33\x33" + ip.dst[-4:] if link_mcast else st.mac
        if verdict.proto == ipsec.IPPROTO_IPIP:
            trace.add("ipsec", DROP, "RFC4303-3.1.2-MUST-tunnel-inner", "IPv4 in IPv6")
            return
        ipsec.deliver_decrypted(st, verdict, lambda: receive(st, link_dst, verdict.data, now,
                                                             trace, out))
        return
    # Transport mode: the extension headers before ESP stay, the last one's Next Header
    # now naming what ESP carried (as an ICMPv6 error quoting the packet shows; Linux
    # xfrm6_transport_finish writes it at IP6CB(skb)->nhoff).
    chain_before = bytearray(before)
    if chain_before:
        chain_before[nh_at - HEADER_LEN] = verdict.proto
    inner = Ipv6Repr(ip.src, ip.dst, ip.next_header if before else verdict.proto,
                     bytes(chain_before) + verdict.data, ip.hop_limit, ip.traffic_class,
                     ip.flow_label)
    raw = inner.emit()
    ipsec.deliver_decrypted(st, verdict, lambda: _headers(
        st, inner, raw, parse_chain(inner.next_header, inner.payload), link_mcast, now, trace,
        out))


def _selector_bytes(st: IfaceState, ip: Ipv6Repr, chain: Ipv6Chain, trace: Trace) -> bytes:
    """Where the SPD-I check reads the packet's ports (RFC 4301 5.2: the transport's).
    Linux 6.1's decode_session6 takes the protocol from the last Next Header field but reads
    the ports right after the fixed header (offset 40), an extension header's octets when
    there is one (profile xfrm6_ports_after_fixed_header)."""
    if not (st.profile.xfrm6_ports_after_fixed_header and chain.headers):
        return chain.upper
    trace.add("ipsec", ACCEPT, "LINUX-decode_session6-ports-after-fixed-header",
              f"ports read from {ip.payload[:4].hex()}")
    return ip.payload


def _unrecognized(st: IfaceState, ip: Ipv6Repr, original: bytes, chain: Ipv6Chain,
                  link_mcast: bool, nh_at: int, protocol: int, trace: Trace, out: Output,
                  rule: str = RULE_UNRECOGNIZED_NH) -> None:
    """RFC 8200 4: discard, Parameter Problem code 1 pointing at the Next Header field."""
    trace.add("ipv6", DROP, rule, f"next header {protocol}")
    send_error6(st, ip, original, chain, link_mcast, ICMP6_PARAM_PROB, PARAM_NEXT_HEADER,
                rule, trace, out, nh_at)


def _deliver(st: IfaceState, ip: Ipv6Repr, original: bytes, chain: Ipv6Chain,
             link_mcast: bool, now: float, trace: Trace, out: Output) -> None:
    protocol = chain.upper_protocol
    if st.ipsec is not None and not ipsec.allowed(st, ip.src, ip.dst, protocol,
                                                  _selector_bytes(st, ip, chain, trace), trace):
        return
    if protocol == IPPROTO_NONE:
        # RFC 8200 4.7: nothing follows; octets after the header are ignored.
        trace.add("ipv6", DROP, "RFC8200-4.7-MUST-no-next-header")
    elif protocol == IPPROTO_ICMPV6:
        icmpv6.receive(st, ip, original, chain, link_mcast, now, trace, out)
    elif protocol == IPPROTO_UDP:
        udp6.receive(st, ip, original, chain, link_mcast, trace, out)
    elif protocol == IPPROTO_TCP:
        tcp6.receive(st, ip, chain.upper, now, trace)
    elif protocol == udplite.IPPROTO_UDPLITE and st.profile.udplite:
        udplite.receive6(st, ip, original, chain, link_mcast, trace, out)
    else:
        _unrecognized(st, ip, original, chain, link_mcast, chain.next_header_at, protocol,
                      trace, out)
