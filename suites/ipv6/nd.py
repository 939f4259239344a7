"""Neighbor Discovery messages as template layers (RFC 4861 4): an ``ndp`` message Repr
turned into the ICMPv6 layer and payload the exchange sends, with hop limit 255 (6.1, 7.1)."""

from __future__ import annotations

from typing import Any

from conformance.author.templates import ICMPv6, IPv6, Layer, Payload
from reference_stack.wire import ndp
from reference_stack.wire.addr import mac

ND_HOP_LIMIT = 255


def nd_layers(message: Any, code: int = 0, **ipv6: Any) -> tuple[Layer, ...]:
    icmp = message.to_icmp(code)
    return (IPv6(**{"hop_limit": ND_HOP_LIMIT, **ipv6}),
            ICMPv6(type=icmp.type, code=icmp.code, rest=icmp.rest), Payload(icmp.payload))


def sll(endpoints: Any) -> tuple[ndp.NdOption, ...]:
    """A Source Link-Layer Address option with the tester's MAC (RFC 4861 4.6.1)."""
    return (ndp.NdOptLinkAddr(ndp.OPT_SOURCE_LLADDR, mac(endpoints.tester_mac)),)


def advert(frame: Any) -> ndp.NeighborAdvert:
    message = ndp.from_icmp(frame.icmpv6)
    assert isinstance(message, ndp.NeighborAdvert)
    return message
