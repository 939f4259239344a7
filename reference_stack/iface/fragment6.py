"""IPv6 fragmentation at the source (RFC 8200 4.5, 5): a packet larger than the path MTU to
its destination (RFC 8201: the estimate a Packet Too Big lowered, iface/pmtu6.py; else the
link's MTU) goes out as fragments, each with a Fragment header of the same identification,
every fragment's data but the last a multiple of 8 octets and as large as fits (Linux
ip6_fragment, measured: a 1408-octet UDP payload to a path MTU of 1300 leaves as 1248 + 160)."""

from __future__ import annotations

import dataclasses

from reference_stack.iface.state import IfaceState
from reference_stack.variance import Masked
from reference_stack.wire.ipv6 import HEADER_LEN, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Fragment

FRAGMENT_HEADER_LEN = 8
IDENT_SPAN = ((4, 8),)  # the identification's octets in the Fragment header (free)
RULE = "RFC8200-5-MUST-fragment-to-path-mtu"


def path_mtu(st: IfaceState, dst: bytes) -> int:
    return min(st.pmtu6.get(dst, st.mtu6), st.mtu6)


def split(st: IfaceState, packet: Ipv6Repr, allowed: dict) -> list[tuple[bytes, dict]] | None:
    """The packet's fragments and each one's variance, or None when it fits (or carries a
    Hop-by-Hop header, which would stay unfragmentable: not sent large by the oracle)."""
    mtu = path_mtu(st, packet.dst)
    if HEADER_LEN + len(packet.payload) <= mtu or packet.next_header == IPPROTO_HOPOPTS:
        return None
    size = (mtu - HEADER_LEN - FRAGMENT_HEADER_LEN) & ~7
    ident = st.rng.getrandbits(32)
    data = packet.payload
    out = []
    for at in range(0, len(data), size):
        header = Ipv6Fragment(packet.next_header, at // 8, at + size < len(data), ident).emit()
        fragment = dataclasses.replace(packet, next_header=IPPROTO_FRAGMENT,
                                       payload=header + data[at:at + size])
        # RFC 8200 4.5: the identification is the source's choice (Linux hashes it:
        # ipv6_select_ident).
        # (a later fragment shows no upper layer: its payload holds the header too)
        out.append((fragment.emit(), {**allowed, "ipv6.ext": Masked(header, IDENT_SPAN),
                                      "ipv6.payload": Masked(fragment.payload, IDENT_SPAN)}))
    return out
