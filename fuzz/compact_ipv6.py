"""Compact IPv6 frames: a template name and :data:`fuzz.compact.ENTROPY` octets decoded into
one frame, as :mod:`fuzz.compact` does for IPv4 (the all-zero entropy is the template's
canonical valid frame: an ICMPv6 echo request, a packet without extension headers, a valid
Neighbor Solicitation, a valid UDP datagram, a SYN), built by the builders of
:mod:`fuzz.strategies_ipv6`. ``netconform fuzz --family ipv6`` draws these."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from fuzz.compact import ENTROPY, FLAG_ORDER, _Cursor, _pick, _u16, _u32
from fuzz.strategies_ipv6 import (
    ALL_NODES,
    FRAGMENT_SHAPES6,
    ExtSpec,
    Link6,
    atomic_fragment_spec,
    chain_frame,
    fragment_train6,
    icmpv6_frame,
    ndp_frame,
    options_spec,
    packet_frame,
    quote_of_dut_packet,
    routing_spec,
)
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_DSTOPTS, IPPROTO_HOPOPTS, IPPROTO_TCP, IPPROTO_UDP
from reference_stack.wire.ipv6_ext import Ipv6Ah, Ipv6Esp
from reference_stack.wire.ipv6_options import (
    Ipv6OptJumbo,
    Ipv6OptPad1,
    Ipv6OptPadN,
    Ipv6OptRouterAlert,
    Ipv6OptUnknown,
)
from reference_stack.wire.tcp import TcpRepr
from reference_stack.wire.udp import UdpRepr

# The first is what a frame shrinks towards.
FRAME_TEMPLATES_V6 = ("icmpv6", "ipv6_chain", "ndp", "udp6", "tcp6", "ipv6_chain2")
_UDP_PORTS = (5353, 9, 7, 53)
_UDP_SHAPES = ("valid", "bad_checksum", "zero_checksum", "short_length", "long_length")
_TCP_PORTS = (9, 8080, 7)


def _option(c: _Cursor):
    kind = c.u8() % 6
    if kind == 0:
        return Ipv6OptPadN(bytes(c.u8() % 6))
    if kind == 1:
        return Ipv6OptPad1()
    if kind == 2:
        return Ipv6OptRouterAlert(c.u8())
    if kind == 3:
        return Ipv6OptJumbo(c.u32())
    if kind == 4:
        return Ipv6OptPadN(c.take(1 + c.u8() % 4))  # non-zero padding (RFC 4942 2.1.9.5)
    return Ipv6OptUnknown(((c.u8() & 3) << 6) | (2 + c.u8() % 62), c.take(c.u8() % 9))


def _ext(c: _Cursor) -> ExtSpec:
    kind = c.u8() % 7
    if kind in (0, 1):
        options = tuple(_option(c) for _ in range(c.u8() % 4))
        return options_spec(IPPROTO_DSTOPTS if kind == 0 else IPPROTO_HOPOPTS, options)
    if kind == 2:
        return routing_spec(_pick((0, 2, 3, 4, 253), c.u8()), c.u8() % 4,
                            bytes(20) if c.u8() & 1 else bytes(4))
    if kind == 3:
        return atomic_fragment_spec(c.u32())
    if kind == 4:
        spi = c.u32()
        return 51, lambda nh: Ipv6Ah(nh, spi, 1, bytes(12))
    if kind == 5:
        spi = c.u32()
        return 50, lambda nh: Ipv6Esp(spi, 1, bytes(16))
    return options_spec(IPPROTO_DSTOPTS, ())


def ipv6_chain(link: Link6, e: bytes) -> bytes:
    """Up to four extension headers in any order, then an upper layer (``e[1]``), hop limit
    (``e[2]``, 0 = 64), flow label; the headers' fields from ``e[8:]``."""
    c = _Cursor(e, 8, ENTROPY)
    specs = tuple(_ext(c) for _ in range(e[0] % 5))
    hop = e[2] or 64
    return chain_frame(link, specs, e[1], e[64:64 + e[3] % 17], _pick((7, 9, 5353), e[4]),
                       hop_limit=hop, flow_label=_u32(e, 4) & 0xFFFFF if e[5] & 1 else 0)


def icmpv6(link: Link6, e: bytes) -> bytes:
    kind = e[0] % 6
    rest, payload = _u32(e, 2), e[32:32 + e[6] % 49]
    if kind == 0:
        msg = Icmpv6Repr(128, e[1] % 2, rest, payload)
    elif kind == 1:
        msg = Icmpv6Repr(129, 0, rest, payload)
    elif kind == 2:  # an error about a packet of the DUT's (Packet Too Big: any MTU)
        msg = Icmpv6Repr(1 + e[1] % 4, e[7] % 9, rest, quote_of_dut_packet(link))
    elif kind == 3:  # an unknown error type
        msg = Icmpv6Repr(5 + e[1] % 123, e[7], 0, quote_of_dut_packet(link))
    elif kind == 4:  # an unknown informational type
        msg = Icmpv6Repr(150 + e[1] % 106, 0, rest, payload)
    else:
        msg = Icmpv6Repr(e[1], e[7], rest, payload)
    return icmpv6_frame(link, msg, bool(e[8] & 1), ALL_NODES if e[9] & 1 else None)


def ndp(link: Link6, e: bytes) -> bytes:
    hop = (255, 64, 254, 1, 0)[e[3] % 5]
    code = (0, 1, 255)[e[4] % 3]
    return ndp_frame(link, e[0], e[1], e[2], hop, code, e[5], bool(e[6] & 1))


def udp6(link: Link6, e: bytes) -> bytes:
    sport = 1 + (_u16(e, 0) + 1023) % 65535
    dport = _pick(_UDP_PORTS, e[2])
    payload = e[32:32 + e[6] % 49]
    shape, n = _pick(_UDP_SHAPES, e[3]), _u16(e, 4) % 1001
    good = UdpRepr.parse(UdpRepr(sport, dport, payload).emit(link.tester_ip, link.dut_ip))
    dgram = {
        "valid": UdpRepr(sport, dport, payload),
        "bad_checksum": UdpRepr(sport, dport, payload, checksum=(good.checksum % 0xFFFE) + 1),
        "zero_checksum": UdpRepr(sport, dport, payload, checksum=0),  # RFC 8200 8.1
        "short_length": UdpRepr(sport, dport, payload, length=n % good.length),
        "long_length": UdpRepr(sport, dport, payload, length=good.length + 1 + n % 100),
    }[shape]
    return packet_frame(link, IPPROTO_UDP, dgram.emit(link.tester_ip, link.dut_ip))


def tcp6(link: Link6, e: bytes) -> bytes:
    """A segment to a port with no connection (RFC 9293 3.10.7.1, and a listener's 3.10.7.2
    when one listens there): any flags (``e[0]``, 0 = SYN), sequence and acknowledgment."""
    flags = 0x02 if e[0] == 0 else FLAG_ORDER[e[0] % 256]
    seg = TcpRepr(40000 + e[1], _pick(_TCP_PORTS, e[2]), seq=_u32(e, 4), ack=_u32(e, 8),
                  flags=flags, window=_u16(e, 12) or 65535, payload=e[32:32 + e[14] % 33])
    return packet_frame(link, IPPROTO_TCP, seg.emit(link.tester_ip, link.dut_ip))


def fragments6(link: Link6, e: bytes) -> tuple[bytes, ...]:
    cuts = [1 + e[5 + i] % 7 for i in range(1 + e[11] % 3)]
    return fragment_train6(link, _u32(e, 0), e[16:16 + 16 + e[4] % 49], cuts,
                           _pick(FRAGMENT_SHAPES6, e[8]), bool(e[9] & 1))


class CompactDecoder6:
    """``(template, entropy) -> frame bytes`` for the link's IPv6 addresses (the interface of
    :class:`fuzz.compact.CompactDecoder`)."""

    def __init__(self, link: Link6) -> None:
        self.link = link
        self._templates: dict[str, Callable[[Link6, bytes], bytes]] = {
            "icmpv6": icmpv6, "ipv6_chain": ipv6_chain, "ndp": ndp, "udp6": udp6,
            "tcp6": tcp6}

    def frame(self, template: str, entropy: bytes) -> bytes:
        if len(entropy) < ENTROPY:
            entropy = entropy + bytes(ENTROPY - len(entropy))
        return self._templates[template.rstrip("2")](self.link, entropy)

    def case(self, parts: tuple, max_frames: int) -> tuple[bytes, ...]:
        if parts[0][0] == "fragments":
            return fragments6(self.link, parts[0][1])[:max_frames]
        return tuple(self.frame(t, e) for t, e in parts[:max_frames])


def compact_ipv6_frames(link: Link6) -> st.SearchStrategy[bytes]:
    """One IPv6 frame of any template, from two hypothesis choices (see module doc)."""
    decoder = CompactDecoder6(link)
    return st.tuples(st.sampled_from(FRAME_TEMPLATES_V6),
                     st.binary(min_size=ENTROPY, max_size=ENTROPY)).map(
        lambda t: decoder.frame(*t))
