"""Fragmenting a datagram the tester builds (RFC 791 3.2), for the reassembly tests.

``fragment(ex, layers, pieces)`` builds the datagram ``layers`` describe, then cuts its IP
payload into the ``pieces`` given as (start, end) octet ranges (starts multiple of 8; pieces
may overlap or repeat); the piece ending at the payload's end carries MF=0.
"""

from __future__ import annotations

from typing import Any

from conformance.author.templates import IPv4, Layer, Payload
from reference_stack.wire.ipv4 import Ipv4Repr

ETH_HEADER = 14


def ip_payload(ex: Any, *layers: Layer) -> tuple[Ipv4Repr, bytes]:
    """The IPv4 header and payload of the datagram ``layers`` describe."""
    ip = Ipv4Repr.parse(ex.build(*layers)[ETH_HEADER:])
    return ip, ip.payload


def fragment(ex: Any, layers: tuple[Layer, ...], pieces: list[tuple[int, int]],
             ident: int = 0x4E43, ip_fields: dict[str, Any] | None = None) -> list[bytes]:
    """The frames of the fragments ``pieces`` of the datagram ``layers`` describe."""
    ip, payload = ip_payload(ex, *layers)
    frames = []
    for start, end in pieces:
        assert start % 8 == 0, "fragment offsets are in units of 8 octets"
        end = min(end, len(payload))
        frames.append(ex.build(
            IPv4(protocol=ip.protocol, ident=ident, frag_offset=start // 8,
                 mf=end < len(payload), **(ip_fields or {})),
            Payload(payload[start:end]),
        ))
    return frames


def even_pieces(total: int, size: int) -> list[tuple[int, int]]:
    """Consecutive pieces of ``size`` octets (a multiple of 8) covering ``total`` octets."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def send_all(ex: Any, frames: list[bytes]) -> None:
    for frame in frames:
        ex.send_bytes(frame)
