"""Sending ICMPv6 errors (RFC 4443 2.4): when one is forbidden (e), and how much of the
offending packet it carries (c)."""

from __future__ import annotations

from reference_stack.iface.ipv6_output import send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, REPLY, Trace
from reference_stack.wire.icmpv6 import (
    ICMP6_PACKET_TOO_BIG,
    ICMP6_PARAM_PROB,
    PARAM_OPTION,
    Icmpv6Repr,
    is_error,
)
from reference_stack.wire.ipv6 import HEADER_LEN, IPPROTO_ICMPV6, MIN_MTU, Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Chain

ICMP_HEADER = 8
RULE_ABOUT_ERROR = "RFC4443-2.4-MUST-NOT-error-about-error"
RULE_ABOUT_MULTICAST = "RFC4443-2.4-MUST-NOT-error-about-multicast"
RULE_SOURCE = "RFC4443-2.4-MUST-NOT-error-source-not-unique"
RULE_FIT = "RFC4443-2.4-MUST-error-fit-minimum-mtu"


def forbidden(packet: Ipv6Repr, chain: Ipv6Chain, link_mcast: bool, icmp_type: int,
              code: int, option_action: int | None) -> str | None:
    """The RFC 4443 2.4(e) rule forbidding an error about ``packet``, or None."""
    if _is_icmpv6_error(chain):
        # (e.1) not in response to an ICMPv6 error message.
        return RULE_ABOUT_ERROR
    if packet.dst[0] == 0xFF or link_mcast:
        # (e.3), (e.4): not about a packet to a multicast address or link-layer multicast,
        # except Packet Too Big and a Parameter Problem code 2 for an option whose action
        # bits are 10 (RFC 8200 4.2).
        exempt = icmp_type == ICMP6_PACKET_TOO_BIG or (
            icmp_type == ICMP6_PARAM_PROB and code == PARAM_OPTION and option_action == 2)
        if not exempt:
            return RULE_ABOUT_MULTICAST
    if packet.src == bytes(16) or packet.src[0] == 0xFF:
        # (e.6): not about a packet whose source does not identify a single node.
        return RULE_SOURCE
    return None


def _is_icmpv6_error(chain: Ipv6Chain) -> bool:
    """Whether the packet is an ICMPv6 error as far as its octets show: a later fragment
    shows no ICMPv6 header (RFC 8200 4.5); an unfragmented packet whose ICMPv6 type cannot
    be read counts as one, a first fragment without it does not (Linux's is_ineligible)."""
    if chain.upper_protocol != IPPROTO_ICMPV6 or chain.error is not None:
        return False
    fragment = chain.fragment
    if fragment is not None and fragment.frag_offset:
        return False
    if not chain.upper:
        return fragment is None or not fragment.m
    return is_error(chain.upper[0])


def send_error6(st: IfaceState, packet: Ipv6Repr, raw: bytes, chain: Ipv6Chain,
                link_mcast: bool, icmp_type: int, code: int, rule: str, trace: Trace,
                out: Output, rest: int = 0, option_action: int | None = None) -> None:
    """An ICMPv6 error about ``packet`` (``raw`` as received) asked for by ``rule``, unless
    RFC 4443 2.4(e) forbids it."""
    why = forbidden(packet, chain, link_mcast, icmp_type, code, option_action)
    if why is not None:
        trace.add("icmpv6", DROP, why, "no ICMPv6 error")
        return
    if st.profile.breaks(rule):
        return
    # (c): as much of the invoking packet as fits without exceeding the minimum MTU.
    quoted = raw[:MIN_MTU - HEADER_LEN - ICMP_HEADER]
    trace.add("icmpv6", REPLY, rule, f"type {icmp_type} code {code}")
    if len(quoted) < len(raw):
        trace.add("icmpv6", REPLY, RULE_FIT, f"{len(quoted)} of {len(raw)} octets quoted")
    message = Icmpv6Repr.error(icmp_type, code, quoted, rest)
    # RFC 4443 2.2(a): about a packet sent to one of our unicast addresses, the error comes
    # from that address (Linux icmp6_send: saddr = &hdr->daddr when ipv6_chk_addr finds it);
    # otherwise from our address (b).
    src = packet.dst if packet.dst in st.ip6.assigned else st.ip6.ip
    send_ip6(st, packet.src, IPPROTO_ICMPV6, message.emit(src, packet.src), rule,
             variance(st), trace, out, src=src)
