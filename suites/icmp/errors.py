"""Sending ICMP error messages about a frame the DUT sent (RFC 792, RFC 1122 3.2.2)."""

from __future__ import annotations

from typing import Any

from conformance.author.templates import ICMPv4, IPv4, Payload

ETH_HEADER = 14


def quoted(frame: bytes, extra: int = 8) -> bytes:
    """The part of a frame an ICMP error quotes: its IP header and ``extra`` data octets."""
    ihl = (frame[ETH_HEADER] & 0x0F) * 4
    return frame[ETH_HEADER : ETH_HEADER + ihl + extra]


def send_error(ex: Any, icmp_type: int, code: int, about: bytes, src: str | None = None,
               rest: int = 0) -> bytes:
    """Send the DUT an ICMP error about ``about`` (a frame it sent), from ``src`` (default: the
    tester, as if the tester's host produced it)."""
    return ex.send(IPv4(src=src), ICMPv4(type=icmp_type, code=code, rest=rest),
                   Payload(quoted(about)))
