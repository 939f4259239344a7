"""Duplicate Address Detection (RFC 4862 5.4) for an address added to the interface: it is
tentative (it receives nothing but Neighbor Discovery about it, 5.4) while DupAddrDetectTransmits
Neighbor Solicitations go out RetransTimer apart (5.4.2); RetransTimer after the last one it is
assigned, unless a DAD solicitation from another node (5.4.3) or an advertisement (5.4.4) for
it arrived first: then it is a duplicate and never assigned (5.4.5)."""

from __future__ import annotations

from dataclasses import dataclass

from reference_stack.iface.ipv6_addressing import UNSPECIFIED
from reference_stack.iface.ipv6_output import ND_HOP_LIMIT, send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, EVENT, REPLY, STATE, Trace
from reference_stack.variance import Masked
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr, solicited_node
from reference_stack.wire.ndp import OPT_NONCE, NdOptUnknown, NeighborSolicit, nonce_option

RULE_SEND = "RFC4862-5.4.2-SHOULD-send-transmits"
RULE_ASSIGN = "RFC4862-5.4-MUST-assign-after-dad"
RULE_NOT_ASSIGNED = "RFC4862-5.4.5-MUST-NOT-assign-duplicate"
NONCE_LEN = 6  # RFC 7527 4.1: Linux sends 6 octets (addrconf_dad_kick)
NONCE_BINDING = "nonce:"  # + the address in hex: the target's nonce (adopt)


@dataclass(slots=True)
class Probe:
    """An address under DAD: solicitations still to send and when the next one (or, with
    none left, the address's assignment) is due; Linux's nonce (profile dad_nonce)."""

    left: int
    due: float
    nonce: bytes | None


def start(st: IfaceState, addr: bytes, now: float, trace: Trace, out: Output) -> None:
    """A unicast address added to the interface (an operator's ``ip addr add``)."""
    profile = st.profile
    if profile.dad_transmits <= 0 or not profile.accept_dad:
        # RFC 4862 5.1: DupAddrDetectTransmits 0 means no DAD: the address is assigned at
        # once (Linux addrconf_dad_begin: also while accept_dad < 1).
        rule = "RFC4862-5.1-MUST-no-dad-when-zero"
        if profile.dad_transmits > 0:
            rule = "LINUX-addrconf_dad_begin-accept-dad-off"
        st.ip6.assign(addr)
        trace.add("ndp", STATE, rule, "assigned without DAD")
        return
    # RFC 4862 5.4.2: join the groups first; the first solicitation goes out now (an address
    # added to an interface that is up: no start-up delay).
    st.ip6.add_tentative(addr)
    nonce = st.rng.randbytes(NONCE_LEN) if profile.dad_nonce else None
    st.dad[addr] = Probe(profile.dad_transmits, now, nonce)
    trace.add("ndp", STATE, "RFC4862-5.4.2-MUST-join-groups", "tentative")
    if profile.dad_delay > 0:
        # Linux addrconf_dad_kick: a random wait below router_solicitation_delay before the
        # first solicitation (the RFC's only after the interface starts): predicted from now,
        # a later frame is within the matcher's timer latitude.
        trace.add("ndp", EVENT, "LINUX-addrconf_dad_kick-random-delay",
                  f"first solicitation within {profile.dad_delay:g} s")


def poll_at(st: IfaceState) -> float | None:
    return min((p.due for p in st.dad.values()), default=None)


def poll(st: IfaceState, now: float, trace: Trace, out: Output) -> None:
    for addr, probe in list(st.dad.items()):
        if probe.due > now:
            continue
        if probe.left == 0:
            # RetransTimer after the last solicitation, no duplicate seen: assigned.
            del st.dad[addr]
            st.ip6.assign(addr)
            trace.add("ndp", STATE, RULE_ASSIGN, "assigned")
            continue
        probe.left -= 1
        probe.due += st.profile.retrans_timer
        _solicit(st, addr, probe.nonce, trace, out)


def _solicit(st: IfaceState, addr: bytes, nonce: bytes | None, trace: Trace,
             out: Output) -> None:
    """RFC 4862 5.4.2: target the tentative address, from the unspecified address (so no
    Source Link-Layer Address option, RFC 4861 4.3) to its solicited-node group."""
    options = (NdOptUnknown(OPT_NONCE, nonce),) if nonce is not None else ()
    group = solicited_node(addr)
    message = NeighborSolicit(addr, options).to_icmp()
    allowed = variance(st, True)
    if nonce is not None:
        # The nonce is Linux's random choice (RFC 7527 4.1): its octets are free.
        at = len(message.payload) - NONCE_LEN
        allowed["icmpv6.payload"] = Masked(message.payload, ((at, at + NONCE_LEN),),
                                           NONCE_BINDING + addr.hex())
    trace.add("ndp", REPLY, RULE_SEND, "DAD solicitation")
    send_ip6(st, group, IPPROTO_ICMPV6, message.emit(UNSPECIFIED, group), RULE_SEND, allowed,
             trace, out, ND_HOP_LIMIT, UNSPECIFIED)


def adopt_nonce(st: IfaceState, addr: bytes, value: int) -> None:
    """Take the nonce the target chose for ``addr`` (a random choice, RFC 7527 4.1), so that
    its solicitation looped back is recognised as the oracle's own too."""
    probe = st.dad.get(addr)
    if probe is not None and probe.nonce is not None:
        probe.nonce = value.to_bytes(NONCE_LEN, "big")


def solicitation(st: IfaceState, ip: Ipv6Repr, ns: NeighborSolicit, trace: Trace) -> None:
    """A valid Neighbor Solicitation for a tentative address (RFC 4862 5.4.3): never
    answered; from a unicast source it is address resolution, ignored; from the unspecified
    address another node is checking the same address: a duplicate."""
    trace.add("ndp", DROP, "RFC4862-5.4.3-MUST-NOT-respond-tentative")
    if ip.src != UNSPECIFIED:
        trace.add("ndp", DROP, "RFC4862-5.4.3-SHOULD-ignore-resolution-ns")
        return
    probe = st.dad.get(ns.target)
    if probe is not None and probe.nonce is not None and (
            nonce_option(ns.options) == probe.nonce):
        # Linux ndisc_recv_ns: our own solicitation looped back (RFC 7527 4.2).
        trace.add("ndp", DROP, "LINUX-ndisc_recv_ns-looped-dad-nonce")
        return
    duplicate(st, ns.target, "RFC4862-5.4.3-MUST-dad-ns-duplicate", trace)


def duplicate(st: IfaceState, addr: bytes, rule: str, trace: Trace) -> None:
    """RFC 4862 5.4.5: a tentative address found to be a duplicate is not assigned."""
    st.dad.pop(addr, None)
    st.ip6.tentative.discard(addr)
    trace.add("ndp", STATE, rule, "duplicate")
    trace.add("ndp", STATE, RULE_NOT_ASSIGNED, "DAD failed")
