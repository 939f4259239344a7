"""The neighbour cache's timers (RFC 4861 7.2.2, 7.3.3): an INCOMPLETE entry's solicitation
is retransmitted every RetransTimer up to MAX_MULTICAST_SOLICIT, then resolution has failed;
a REACHABLE entry goes STALE after ReachableTime; the first packet sent through a STALE entry
makes it DELAY, which becomes PROBE after DELAY_FIRST_PROBE_TIME: unicast solicitations every
RetransTimer up to MAX_UNICAST_SOLICIT, then the entry is deleted (Neighbor Unreachability
Detection). Linux's choices (neigh_timer_handler, ndisc_send_ns) are profile flags.

Output has no clock: a state set while sending (INCOMPLETE, DELAY) starts its timer when the
call ends (``arm``, from ReferenceStack's call framing), as the kernel's does from jiffies."""

from __future__ import annotations

from reference_stack.iface.ipv6_addressing import (
    DELAY,
    INCOMPLETE,
    PROBE,
    REACHABLE,
    STALE,
    Neighbor,
)
from reference_stack.iface.ipv6_output import ND_HOP_LIMIT, send_ip6, solicit, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, REPLY, STATE, Trace
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6
from reference_stack.wire.ndp import OPT_SOURCE_LLADDR, NdOptLinkAddr, NeighborSolicit

# RFC 4861 6.3.2: ReachableTime is BaseReachableTime times a random factor in
# [MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR] (Linux's neigh_rand_reach_time too): the oracle takes
# the largest, the latest an entry can go stale (tests wait past it).
MAX_RANDOM_FACTOR = 1.5


def reachable_time(st: IfaceState) -> float:
    return st.profile.base_reachable_time * MAX_RANDOM_FACTOR


def confirm(st: IfaceState, ip: bytes, now: float) -> None:
    """RFC 4861 7.3.3: reachability confirmed (a solicited advertisement): REACHABLE, for
    ReachableTime from now."""
    entry = st.nd.entries.get(ip)
    if entry is not None and entry.state == REACHABLE:
        entry.confirmed = now
        entry.due = now + reachable_time(st)


def arm(st: IfaceState, now: float) -> None:
    """Start the timers of the states set during the call ending at ``now`` and record the
    entries used (called once per call, when the cache has any)."""
    entries = st.nd.entries
    for ip in st.nd.unarmed:
        entry = entries.get(ip)
        if entry is None:
            continue
        entry.used = now
        if entry.due is None and entry.state == INCOMPLETE:
            entry.due = now + st.profile.retrans_timer
        elif entry.due is None and entry.state == DELAY:
            entry.due = now + st.profile.delay_first_probe_time
    st.nd.unarmed.clear()


def poll_at(st: IfaceState) -> float | None:
    return min((e.due for e in st.nd.entries.values() if e.due is not None), default=None)


def poll(st: IfaceState, now: float, trace: Trace, out: Output) -> None:
    profile = st.profile
    for ip, entry in list(st.nd.entries.items()):
        if entry.due is None or entry.due > now:
            continue
        if entry.state == INCOMPLETE:
            if entry.probes < profile.max_multicast_solicit:
                # RFC 4861 7.2.2: retransmit every RetransTimer, MAX_MULTICAST_SOLICIT in all.
                entry.probes += 1
                entry.due += profile.retrans_timer
                trace.add("ndp", REPLY, "RFC4861-7.2.2-SHOULD-retransmit-solicitation",
                          f"solicitation {entry.probes}")
                solicit(st, ip, trace, out)
            else:
                _failed(st, ip, "RFC4861-7.2.2-MUST-resolution-failed", trace)
        elif entry.state == REACHABLE:
            _reachable_expired(st, entry, now, trace)
        elif entry.state == DELAY:
            _delay_expired(st, ip, entry, now, trace, out)
        elif entry.state == PROBE:
            if entry.probes < profile.max_unicast_solicit:
                entry.due += profile.retrans_timer
                _probe(st, ip, entry, trace, out)
            else:
                _failed(st, ip, "RFC4861-7.3.3-MUST-probe-failed", trace)


def _reachable_expired(st: IfaceState, entry: Neighbor, now: float, trace: Trace) -> None:
    delay = st.profile.delay_first_probe_time
    if st.profile.nd_delay_on_recent_use and now <= entry.used + delay:
        # Linux neigh_timer_handler: used within DELAY_PROBE_TIME: DELAY at once.
        entry.state, entry.due = DELAY, now + delay
        trace.add("ndp", STATE, "LINUX-neigh_timer_handler-reachable-to-delay", "DELAY")
        return
    entry.state, entry.due = STALE, None
    trace.add("ndp", STATE, "RFC4861-7.3.3-MUST-reachable-to-stale", "STALE")


def _delay_expired(st: IfaceState, ip: bytes, entry: Neighbor, now: float, trace: Trace,
                   out: Output) -> None:
    delay = st.profile.delay_first_probe_time
    if st.profile.nd_delay_on_recent_use and now <= entry.confirmed + delay:
        # Linux neigh_timer_handler: confirmed meanwhile: REACHABLE again.
        entry.state, entry.due = REACHABLE, entry.confirmed + reachable_time(st)
        trace.add("ndp", STATE, "LINUX-neigh_timer_handler-delay-confirmed", "REACHABLE")
        return
    entry.state, entry.probes = PROBE, 0
    entry.due = now + st.profile.retrans_timer
    trace.add("ndp", STATE, "RFC4861-7.3.3-MUST-delay-to-probe", "PROBE")
    _probe(st, ip, entry, trace, out)


def _probe(st: IfaceState, ip: bytes, entry: Neighbor, trace: Trace, out: Output) -> None:
    """RFC 4861 7.3.3: a unicast solicitation to the cached link-layer address."""
    entry.probes += 1
    rule = "RFC4861-7.3.3-MUST-probe-unicast"
    src = st.ip6.ip
    if st.profile.nd_probe_link_local_source:
        # Linux ndisc_send_ns: no packet prompted it, so the source is the link's link-local
        # address (ipv6_get_lladdr); without one nothing is sent.
        src = next((a for a in sorted(st.ip6.assigned) if a[:2] == b"\xfe\x80"), None)
        if src is None:
            trace.add("ndp", DROP, "LINUX-ndisc_send_ns-probe-link-local",
                      "no link-local address: no probe")
            return
    message = NeighborSolicit(ip, (NdOptLinkAddr(OPT_SOURCE_LLADDR, st.mac),)).to_icmp()
    trace.add("ndp", REPLY, rule, f"probe {entry.probes}")
    send_ip6(st, ip, IPPROTO_ICMPV6, message.emit(src, ip), rule, variance(st, True), trace,
             out, ND_HOP_LIMIT, src)


def _failed(st: IfaceState, ip: bytes, rule: str, trace: Trace) -> None:
    """The neighbour is unreachable: the entry is deleted and what waited on it dropped (RFC
    4861 7.2.2: an ICMPv6 Address Unreachable to each queued packet's sender: ourselves, so
    nothing on the wire)."""
    del st.nd.entries[ip]
    st.nd_pending.pop(ip, None)
    trace.add("ndp", STATE, rule, "entry deleted")
