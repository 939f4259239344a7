"""Neighbor Discovery (RFC 4861) as a host: message validation (6.1.1, 6.1.2, 7.1.1, 7.1.2,
8.1), a Neighbor Solicitation for our address answered by an Advertisement (7.2.3, 7.2.4),
the neighbour cache updated from solicitations (7.2.3) and advertisements (7.2.5), Router
Solicitations discarded (6.2.6) and Router Advertisements and Redirects validated."""

from __future__ import annotations

from reference_stack.iface import dad as tentative
from reference_stack.iface import nud
from reference_stack.iface.ipv6_addressing import ALL_NODES, REACHABLE, STALE, UNSPECIFIED
from reference_stack.iface.ipv6_output import ND_HOP_LIMIT, resolved, send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import ACCEPT, DROP, REPLY, STATE, Trace
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv6 import (
    ND_NEIGHBOR_ADVERT,
    ND_NEIGHBOR_SOLICIT,
    ND_REDIRECT,
    ND_ROUTER_ADVERT,
    ND_ROUTER_SOLICIT,
    Icmpv6Repr,
)
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr, solicited_node
from reference_stack.wire.ipv6_ext import Ipv6Chain
from reference_stack.wire.ndp import (
    MIN_LENGTH,
    OPT_SOURCE_LLADDR,
    OPT_TARGET_LLADDR,
    NdOptLinkAddr,
    NdOptMalformed,
    NeighborAdvert,
    NeighborSolicit,
    from_icmp,
    lladdr_option,
)

ND_TYPES = frozenset(MIN_LENGTH)
# RFC 4861 validation per message (6.1.1 RS, 6.1.2 RA, 7.1.1 NS, 7.1.2 NA, 8.1 Redirect): the
# rule of each check, (hop limit 255, code 0, ICMP length, option lengths > 0).
_VALIDATION = {
    ND_ROUTER_SOLICIT: ("RFC4861-6.1.1-MUST-validate-hop-limit",
                        "RFC4861-6.1.1-MUST-validate-code",
                        "RFC4861-6.1.1-MUST-validate-length",
                        "RFC4861-6.1.1-MUST-validate-options"),
    ND_ROUTER_ADVERT: ("RFC4861-6.1.2-MUST-validate-hop-limit",
                       "RFC4861-6.1.2-MUST-validate-code",
                       "RFC4861-6.1.2-MUST-validate-length",
                       "RFC4861-6.1.2-MUST-validate-options"),
    ND_NEIGHBOR_SOLICIT: ("RFC4861-7.1.1-MUST-validate-hop-limit",
                          "RFC4861-7.1.1-MUST-validate-code",
                          "RFC4861-7.1.1-MUST-validate-length",
                          "RFC4861-7.1.1-MUST-validate-options"),
    ND_NEIGHBOR_ADVERT: ("RFC4861-7.1.2-MUST-validate-hop-limit",
                         "RFC4861-7.1.2-MUST-validate-code",
                         "RFC4861-7.1.2-MUST-validate-length",
                         "RFC4861-7.1.2-MUST-validate-options"),
    ND_REDIRECT: ("RFC4861-8.1-MUST-validate-hop-limit", "RFC4861-8.1-MUST-validate-code",
                  "RFC4861-8.1-MUST-validate-length", "RFC4861-8.1-MUST-validate-options"),
}
_SOURCE_LINK_LOCAL = {ND_ROUTER_ADVERT: "RFC4861-6.1.2-MUST-validate-source-link-local",
                      ND_REDIRECT: "RFC4861-8.1-MUST-validate-source-link-local"}


def invalid(ip: Ipv6Repr, chain: Ipv6Chain, icmp: Icmpv6Repr) -> tuple[str, str] | None:
    """RFC 4861 validation common to every ND message: (rule, detail) of the check that
    fails, or None. (The checksum was verified by ICMPv6 input.)"""
    hop_limit, code, length, _ = _VALIDATION[icmp.type]
    if ip.hop_limit != ND_HOP_LIMIT:
        # The IP Hop Limit field has a value of 255 (the message was not forwarded).
        return hop_limit, f"hop limit {ip.hop_limit}"
    if icmp.code != 0:
        return code, f"code {icmp.code}"
    if len(chain.upper) < MIN_LENGTH[icmp.type]:
        return length, f"ICMP length {len(chain.upper)}"
    return None


def receive(st: IfaceState, ip: Ipv6Repr, chain: Ipv6Chain, icmp: Icmpv6Repr, now: float,
            trace: Trace, out: Output) -> None:
    failed = invalid(ip, chain, icmp)
    if failed is not None:
        trace.add("ndp", DROP, *failed)
        return
    _, _, length, options_rule = _VALIDATION[icmp.type]
    try:
        message = from_icmp(icmp)
    except WireError as e:
        trace.add("ndp", DROP, length, e.reason)
        return
    if any(isinstance(o, NdOptMalformed) for o in message.options):
        # All included options have a length that is greater than zero.
        trace.add("ndp", DROP, options_rule, "bad option length")
        return
    if isinstance(message, NeighborSolicit):
        _solicitation(st, ip, message, trace, out)
    elif isinstance(message, NeighborAdvert):
        _advertisement(st, ip, message, now, trace, out)
    elif icmp.type == ND_ROUTER_SOLICIT:
        # RFC 4861 6.2.6: a host MUST silently discard any Router Solicitation.
        trace.add("ndp", DROP, "RFC4861-6.2.6-MUST-host-discard-rs")
    elif ip.src[:2] != b"\xfe\x80":
        # RFC 4861 6.1.2, 8.1: Router Advertisements and Redirects come from link-local
        # addresses only.
        trace.add("ndp", DROP, _SOURCE_LINK_LOCAL[icmp.type], "source not link-local")
    else:
        # RFC 4861 6.3.4: a host processes a valid Router Advertisement; the DUT namespace
        # runs with accept_ra = 0 and accept_redirects as default, which Linux's
        # ndisc_router_discovery and ndisc_redirect_rcv honour (no route or prefix kept).
        trace.add("ndp", DROP, "LINUX-ndisc_router_discovery-accept-ra-off",
                  f"type {icmp.type}")


def _solicitation(st: IfaceState, ip: Ipv6Repr, ns: NeighborSolicit, trace: Trace,
                  out: Output) -> None:
    slla = lladdr_option(ns.options, OPT_SOURCE_LLADDR)
    dad = ip.src == UNSPECIFIED
    if ns.target[0] == 0xFF:
        trace.add("ndp", DROP, "RFC4861-7.1.1-MUST-validate-target-not-multicast")
        return
    if dad and (ip.dst != solicited_node(ns.target) or slla is not None):
        # From the unspecified address: to a solicited-node group, no SLLA option.
        trace.add("ndp", DROP, "RFC4861-7.1.1-MUST-validate-dad", "bad DAD solicitation")
        return
    if ns.target in st.ip6.tentative:
        tentative.solicitation(st, ip, ns, trace)
        return
    if ns.target not in st.ip6.assigned:
        # RFC 4861 7.2.3: a target that is not ours: silently discard.
        trace.add("ndp", DROP, "RFC4861-7.2.3-MUST-target-not-ours")
        return
    trace.add("ndp", ACCEPT, "RFC4861-7.2.3-MUST-solicitation-for-us")
    if slla is not None and not dad:
        # RFC 4861 7.2.3: SHOULD create or update the entry, STALE when it is new or the
        # address changed.
        if st.nd.update(ip.src, slla, STALE):
            trace.add("ndp", STATE, "RFC4861-7.2.3-SHOULD-update-cache", "STALE")
    # RFC 4861 7.2.4: the advertisement. Solicited unless the source was unspecified (then
    # to all-nodes); the target's link-layer address MUST be included for a multicast
    # solicitation (MAY be omitted otherwise); Override SHOULD be set when it is included
    # (we are no anycast or proxy address) and SHOULD be clear when it is not.
    multicast_ns = ip.dst[0] == 0xFF
    with_tlla = multicast_ns or dad or not st.profile.nd_tlla_multicast_only
    rule = "RFC4861-7.2.4-MUST-send-na"
    if not with_tlla:
        rule = "LINUX-ndisc_recv_ns-tlla-multicast-only"
    options = (NdOptLinkAddr(OPT_TARGET_LLADDR, st.mac),) if with_tlla else ()
    na = NeighborAdvert(ns.target, False, not dad, with_tlla, options)
    dst = ALL_NODES if dad else ip.src
    trace.add("ndp", REPLY, "RFC4861-7.2.4-MUST-dad-reply-all-nodes" if dad else rule,
              f"NA {'unsolicited to all-nodes' if dad else 'solicited'}")
    # From the target address itself (Linux ndisc_send_na: src_addr = solicited_addr).
    send_ip6(st, dst, IPPROTO_ICMPV6, na.to_icmp().emit(ns.target, dst), rule,
             variance(st, True), trace, out, ND_HOP_LIMIT, ns.target)


def _advertisement(st: IfaceState, ip: Ipv6Repr, na: NeighborAdvert, now: float, trace: Trace,
                   out: Output) -> None:
    if na.target[0] == 0xFF:
        trace.add("ndp", DROP, "RFC4861-7.1.2-MUST-validate-target-not-multicast")
        return
    if ip.dst[0] == 0xFF and na.solicited:
        # If the destination is multicast, the Solicited flag is zero.
        trace.add("ndp", DROP, "RFC4861-7.1.2-MUST-validate-solicited-multicast")
        return
    if na.target in st.ip6.tentative:
        # RFC 4862 5.4.4: an advertisement for a tentative address: it is not unique.
        tentative.duplicate(st, na.target, "RFC4862-5.4.4-MUST-na-duplicate", trace)
        return
    state = st.nd.state(na.target)
    if state is None:
        # RFC 4861 7.2.5: no entry: the advertisement is silently discarded.
        trace.add("ndp", DROP, "RFC4861-7.2.5-MUST-no-entry-discard")
        return
    tlla = lladdr_option(na.options, OPT_TARGET_LLADDR)
    if tlla is not None and st.nd.update(na.target, tlla, REACHABLE if na.solicited else STALE):
        trace.add("ndp", STATE, "RFC4861-7.2.5-MUST-update-entry",
                  "REACHABLE" if na.solicited else "STALE")
        nud.confirm(st, na.target, now)
        resolved(st, na.target, out)
    else:
        trace.add("ndp", DROP, "RFC4861-7.2.5-MUST-update-entry", "entry unchanged")
