"""The Security Policy Database (RFC 4301 4.4.1): ordered entries, the first whose selectors
match a packet decides (BYPASS, DISCARD or PROTECT). Linux orders its entries by priority
(lower first), then by insertion (net/xfrm/xfrm_policy.c: xfrm_policy_insert keeps each chain
sorted so; xfrm_policy_lookup_bytype takes the first match, the lowest priority)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from reference_stack.ipsec.config import Policy, Selector

RULE_ORDERED = "RFC4301-4.4.1-MUST-ordered-first-match"
RULE_PRIORITY = "LINUX-xfrm_policy_lookup_bytype-priority"
PORT_PROTOCOLS = (6, 17, 132, 136)  # TCP, UDP, SCTP, UDP-Lite: protocols with ports


@dataclass(frozen=True)
class Flow:
    """What selectors look at (RFC 4301 4.4.1.1): addresses, the Next Layer Protocol and,
    for a protocol with ports, the ports (0 otherwise)."""

    src: bytes
    dst: bytes
    proto: int
    sport: int = 0
    dport: int = 0

    @classmethod
    def of(cls, src: bytes, dst: bytes, proto: int, transport: bytes) -> Flow:
        if proto in PORT_PROTOCOLS and len(transport) >= 4:
            return cls(src, dst, proto, int.from_bytes(transport[0:2], "big"),
                       int.from_bytes(transport[2:4], "big"))
        return cls(src, dst, proto)


def _prefix(text: str) -> tuple[int, int]:
    """A prefix as (network, mask) integers, compared with an address's integer."""
    net = ipaddress.ip_network(text, strict=False)
    return int(net.network_address), int(net.netmask)


class CompiledSelector:
    __slots__ = ("src", "dst", "proto", "sport", "dport", "length")

    def __init__(self, sel: Selector) -> None:
        self.src, self.dst = _prefix(sel.src), _prefix(sel.dst)
        self.proto, self.sport, self.dport = sel.proto, sel.sport, sel.dport
        self.length = 16 if sel.ipv6 else 4  # the family's address length

    def matches(self, flow: Flow) -> bool:
        if len(flow.src) != self.length:
            return False
        if self.proto and flow.proto != self.proto:
            return False
        if self.sport and flow.sport != self.sport or self.dport and flow.dport != self.dport:
            return False
        (src_net, src_mask), (dst_net, dst_mask) = self.src, self.dst
        return (int.from_bytes(flow.src, "big") & src_mask == src_net
                and int.from_bytes(flow.dst, "big") & dst_mask == dst_net)


class Spd:
    """The policies of one direction, in lookup order."""

    def __init__(self, policies: tuple[Policy, ...], direction: str, by_priority: bool) -> None:
        mine = [p for p in policies if p.direction == direction]
        if by_priority:
            mine.sort(key=lambda p: p.priority)  # (stable: insertion order within a priority)
        self.rule = RULE_PRIORITY if by_priority else RULE_ORDERED
        self.entries = [(CompiledSelector(p.selector), p) for p in mine]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def lookup(self, flow: Flow) -> Policy | None:
        for selector, policy in self.entries:
            if selector.matches(flow):
                return policy
        return None
