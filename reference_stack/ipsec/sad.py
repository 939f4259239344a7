"""The Security Association Database (RFC 4301 4.4.2): each SA with its running state (the
sequence counter it sends from, its anti-replay window, what its lifetime has used). Inbound,
an SA is found by SPI, protocol and destination (RFC 4301 4.1, 4.4.2: "the SPI, plus the
protocol, plus the destination address"); outbound, by what a PROTECT policy's template asks
(its protocol, mode, tunnel endpoints and reqid) and the packet's addresses."""

from __future__ import annotations

import ipaddress

from reference_stack.ipsec.config import TUNNEL, SecurityAssociation, Template
from reference_stack.ipsec.esp import Transform, transform_of
from reference_stack.ipsec.replay import ReplayWindow
from reference_stack.ipsec.spd import CompiledSelector


def packed(address: str) -> bytes:
    return ipaddress.ip_address(address).packed


class SaState:
    """One SA and what it has done."""

    __slots__ = ("sa", "transform", "src", "dst", "oseq", "replay", "bytes", "packets",
                 "soft_expired", "soft_told", "selector")

    def __init__(self, sa: SecurityAssociation, oseq: int = 0, replay_top: int = 0) -> None:
        self.sa = sa
        self.transform: Transform = transform_of(sa)
        self.src, self.dst = packed(sa.src), packed(sa.dst)
        self.oseq = oseq  # the last sequence number sent (RFC 4303 3.3.3: the first is 1)
        self.replay = ReplayWindow(sa.replay_window, sa.esn)
        self.replay.top = replay_top
        self.bytes = 0
        self.packets = 0
        self.soft_expired = False
        self.soft_told = False  # the soft expiry was reported (RFC 4301 4.4.2.1)
        self.selector = CompiledSelector(sa.selector) if sa.selector is not None else None

    def hard_expired(self) -> bool:
        """RFC 4301 4.4.2.1: a hard lifetime reached ends the SA."""
        life = self.sa.lifetime
        return bool(life.hard_bytes and self.bytes >= life.hard_bytes
                    or life.hard_packets and self.packets >= life.hard_packets)

    def count(self, octets: int) -> bool:
        """Account one packet; True when this one reaches the soft lifetime (RFC 4301
        4.4.2.1: a warning to replace the SA; the SA still works)."""
        self.bytes += octets
        self.packets += 1
        life = self.sa.lifetime
        soft = bool(life.soft_bytes and self.bytes >= life.soft_bytes
                    or life.soft_packets and self.packets >= life.soft_packets)
        if soft and not self.soft_expired:
            self.soft_expired = True
            return True
        return False


class Sad:
    def __init__(self, sas: tuple[SecurityAssociation, ...]) -> None:
        self.entries = [SaState(sa, sa.oseq, sa.replay_seq) for sa in sas]
        self.inbound_index = {(s.sa.spi, s.sa.proto, s.dst): s for s in self.entries}

    def inbound(self, spi: int, proto: str, dst: bytes) -> SaState | None:
        return self.inbound_index.get((spi, proto, dst))

    def outbound(self, template: Template, src: bytes, dst: bytes) -> SaState | None:
        """The first SA a template's constraints admit (Linux xfrm_state_find: mode,
        protocol, reqid when the template names one, and the SA's addresses: the tunnel's
        for tunnel mode, the packet's for transport mode)."""
        want_src, want_dst = (packed(template.src), packed(template.dst)) \
            if template.mode == TUNNEL else (src, dst)
        for s in self.entries:
            sa = s.sa
            if (sa.proto == template.proto and sa.mode == template.mode
                    and (not template.reqid or sa.reqid == template.reqid)
                    and s.src == want_src and s.dst == want_dst):
                return s
        return None

