"""Hypothesis strategies for IPv6 (RFC 8200), ICMPv6 (RFC 4443) and Neighbor Discovery (RFC
4861): public, reusable, yielding wire ``bytes`` built with the reference stack's strict codecs
(as :mod:`fuzz.strategies` does for IPv4)::

    from hypothesis import given
    from fuzz.strategies_ipv6 import Link6, any_ipv6_frame

    LINK = Link6.from_text("02:00:00:00:00:02", "02:00:00:00:00:01", "2001:db8::2",
                           "2001:db8::1")

    @given(any_ipv6_frame(LINK))
    def test_my_stack_never_crashes(frame):
        my_stack.receive(frame)

Families: :func:`ipv6_options` (Pad1, PadN, Router Alert, Jumbo Payload, unknown with each
action), :func:`extension_headers` (Hop-by-Hop, Destination Options, Routing types 0, 2, 3, 4
and others, atomic Fragment, AH, ESP), :func:`ipv6_header_chains` (frames: a chain of them in
any order before an upper layer), :func:`ipv6_fragment_trains` (in order, reversed,
overlapping, duplicated, partial, tiny first fragments without the upper-layer header,
atomic), :func:`icmpv6_frames` (echo, errors, unknown types, bad checksums),
:func:`ndp_frames` (RS, RA, NS, NA, Redirect with options, bad hop limits and codes), and
:func:`any_ipv6_frame`. The builders under them (``chain_frame``, ``fragment_train6``,
``ndp_frame``, ...) are what the compact decoder (:mod:`fuzz.compact_ipv6`) uses too.

Neighbor Discovery never names the tester with another link-layer address than its own (a
DUT neighbour entry pointing elsewhere would change every later case, an artefact of the
campaign, not a behaviour of one case)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from fuzz.strategies import small_payloads, u8, u16, u32
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.ethernet import ETH_P_IPV6, EthernetRepr
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import (
    IPPROTO_DSTOPTS,
    IPPROTO_HOPOPTS,
    IPPROTO_ICMPV6,
    IPPROTO_NONE,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv6Repr,
    multicast_mac,
    solicited_node,
)
from reference_stack.wire.ipv6_ext import (
    Ipv6Ah,
    Ipv6Esp,
    Ipv6Fragment,
    Ipv6OptionsHeader,
    Ipv6Routing,
)
from reference_stack.wire.ipv6_options import (
    Ipv6OptJumbo,
    Ipv6OptPad1,
    Ipv6OptPadN,
    Ipv6OptRouterAlert,
    Ipv6OptUnknown,
)
from reference_stack.wire.ndp import (
    OPT_SOURCE_LLADDR,
    OPT_TARGET_LLADDR,
    NdOptLinkAddr,
    NdOptMalformed,
    NdOptMtu,
    NdOptPrefixInfo,
    NdOptUnknown,
    NeighborAdvert,
    NeighborSolicit,
    Redirect,
    RouterAdvert,
    RouterSolicit,
)
from reference_stack.wire.tcp import TcpRepr
from reference_stack.wire.udp import UdpRepr

ALL_NODES = ip6("ff02::1")
OTHER_HOST6 = ip6("2001:db8:ffff::9")  # off the DUT's /64


@dataclass(frozen=True)
class Link6:
    """The test link's IPv6 side, raw bytes: the tester sends from ``tester_*`` to ``dut_*``."""

    tester_mac: bytes
    dut_mac: bytes
    tester_ip: bytes
    dut_ip: bytes

    @classmethod
    def from_text(cls, tester_mac: str, dut_mac: str, tester_ip: str, dut_ip: str) -> Link6:
        return cls(mac(tester_mac), mac(dut_mac), ip6(tester_ip), ip6(dut_ip))

    @classmethod
    def from_endpoints(cls, ep) -> Link6:
        """From a :class:`conformance.targets.base.Endpoints` (its IPv6 addresses)."""
        return cls.from_text(ep.tester_mac, ep.dut_mac, ep.tester_ipv6, ep.dut_ipv6)

    def spare(self, host: int) -> bytes:
        """Another address of the DUT's /64 (never the tester's or the DUT's)."""
        return self.dut_ip[:8] + (0xFF00 + host).to_bytes(8, "big")


# -- builders (pure: what the strategies and the compact decoder put together) --------------

# An extension header without its Next Header: filled in when the chain is linked.
ExtSpec = tuple[int, Callable[[int], object]]


def link_chain(specs: tuple[ExtSpec, ...], upper: int) -> tuple[int, bytes]:
    """(the IPv6 header's Next Header, the chain's octets) for ``specs`` in order, the last
    naming ``upper``."""
    raw = b""
    nh = upper
    for protocol, make in reversed(specs):
        raw = make(nh).emit() + raw
        nh = protocol
    return nh, raw


def upper_layer(link: Link6, kind: int, payload: bytes, port: int, dst: bytes) -> tuple[int,
                                                                                        bytes]:
    """(Next Header, octets) of an upper layer: 0 ICMPv6 echo request, 1 UDP, 2 TCP SYN,
    3 No Next Header (octets ignored), 4 an unrecognised protocol."""
    kind %= 5
    if kind == 0:
        return IPPROTO_ICMPV6, Icmpv6Repr(128, 0, port, payload).emit(link.tester_ip, dst)
    if kind == 1:
        return IPPROTO_UDP, UdpRepr(40000, port, payload).emit(link.tester_ip, dst)
    if kind == 2:
        return IPPROTO_TCP, TcpRepr(40000, port, seq=port, flags=0x02,
                                    window=65535).emit(link.tester_ip, dst)
    if kind == 3:
        return IPPROTO_NONE, payload
    return 253, payload


def packet_frame(link: Link6, next_header: int, payload: bytes, hop_limit: int = 64,
                 dst: bytes | None = None, eth_dst: bytes | None = None, flow_label: int = 0,
                 traffic_class: int = 0) -> bytes:
    """Ethernet + IPv6 header (payload length computed) + ``payload``; a multicast
    destination goes to its group MAC (RFC 2464 7)."""
    dst = link.dut_ip if dst is None else dst
    if eth_dst is None:
        eth_dst = multicast_mac(dst) if dst[0] == 0xFF else link.dut_mac
    packet = Ipv6Repr(link.tester_ip, dst, next_header, payload, hop_limit, traffic_class,
                      flow_label).emit()
    return EthernetRepr(eth_dst, link.tester_mac, ETH_P_IPV6, payload=packet).emit()


def chain_frame(link: Link6, specs: tuple[ExtSpec, ...], upper_kind: int,
                payload: bytes = b"", port: int = 7, **ip) -> bytes:
    dst = ip.get("dst") or link.dut_ip
    upper_nh, upper = upper_layer(link, upper_kind, payload, port, dst)
    nh, chain = link_chain(specs, upper_nh)
    return packet_frame(link, nh, chain + upper, **ip)


def options_spec(protocol: int, options: tuple) -> ExtSpec:
    return protocol, lambda nh: Ipv6OptionsHeader(protocol, nh, options)


def routing_spec(routing_type: int, segments_left: int, data: bytes = bytes(4)) -> ExtSpec:
    return 43, lambda nh: Ipv6Routing(nh, routing_type, segments_left, data)


def atomic_fragment_spec(ident: int) -> ExtSpec:
    return 44, lambda nh: Ipv6Fragment(nh, 0, False, ident)


def fragment_train6(link: Link6, ident: int, data: bytes, cuts: list[int], shape: str,
                    tiny_first: bool = False) -> tuple[bytes, ...]:
    """The fragments (RFC 8200 4.5) of one ICMPv6 echo request, cut at ``cuts`` units of 8
    octets, put in ``shape`` order (:data:`FRAGMENT_SHAPES6`); ``tiny_first``: a Destination
    Options header ahead of the ICMPv6 one and the first fragment ending inside it (RFC 7112:
    the header chain incomplete)."""
    body = Icmpv6Repr(128, 0, ident, data).emit(link.tester_ip, link.dut_ip)
    first_nh = IPPROTO_ICMPV6
    if tiny_first:
        body = Ipv6OptionsHeader(IPPROTO_DSTOPTS, IPPROTO_ICMPV6,
                                 (Ipv6OptPadN(bytes(12)),)).emit() + body
        first_nh, cuts = IPPROTO_DSTOPTS, [1]
    last_unit = (len(body) - 1) // 8
    edges = [0, *sorted({min(c, last_unit) * 8 for c in cuts} - {0}), len(body)]

    def piece(start: int, end: int) -> bytes:
        frag = Ipv6Fragment(first_nh, start // 8, end < len(body), ident).emit()
        return packet_frame(link, 44, frag + body[start:end])

    frames = [piece(a, b) for a, b in zip(edges, edges[1:], strict=False)]
    if shape == "reversed":
        frames.reverse()
    elif shape == "duplicate":
        frames.insert(0, frames[0])
    elif shape == "partial" and len(frames) > 1:
        frames = frames[1:]
    elif shape == "overlap" and len(edges) > 2 and edges[1] >= 8:
        frames[1] = piece(edges[1] - 8, edges[2])  # RFC 5722: 8 octets overlap
    elif shape == "atomic":
        frames = [packet_frame(link, 44, Ipv6Fragment(first_nh, 0, False, ident).emit()
                               + body)]  # RFC 6946: one fragment, offset 0, M clear
    return tuple(frames)


FRAGMENT_SHAPES6 = ("in_order", "reversed", "duplicate", "partial", "overlap", "atomic")


def icmpv6_frame(link: Link6, message: Icmpv6Repr, bad_checksum: bool = False,
                 dst: bytes | None = None) -> bytes:
    dst = link.dut_ip if dst is None else dst
    raw = bytearray(message.emit(link.tester_ip, dst))
    if bad_checksum:
        raw[2] ^= 0x5A
    return packet_frame(link, IPPROTO_ICMPV6, bytes(raw), dst=dst)


def quote_of_dut_packet(link: Link6, size: int = 48) -> bytes:
    """A packet the DUT could have sent (to the tester, UDP), as an ICMPv6 error quotes it."""
    udp = UdpRepr(5353, 40000, bytes(size)).emit(link.dut_ip, link.tester_ip)
    return Ipv6Repr(link.dut_ip, link.tester_ip, IPPROTO_UDP, udp).emit()


def ndp_frame(link: Link6, kind: int, target_kind: int, options_kind: int, hop_limit: int,
              code: int, flags: int, to_group: bool) -> bytes:
    """One ND message (RFC 4861 4): ``kind`` 0 NS, 1 NA, 2 RS, 3 RA, 4 Redirect; a target of
    the DUT, a spare address or another host's; options with the tester's own link-layer
    address, an MTU, a prefix, unknown ones; any hop limit and code."""
    targets = (link.dut_ip, link.spare(7), OTHER_HOST6, ALL_NODES)
    target = targets[target_kind % len(targets)]
    own = NdOptLinkAddr(OPT_SOURCE_LLADDR if kind % 5 in (0, 2, 3) else OPT_TARGET_LLADDR,
                        link.tester_mac)
    options = ((), (own,), (own, NdOptUnknown(200, bytes(6))), (NdOptMtu(1400),),
               (NdOptPrefixInfo(64, link.dut_ip[:8] + bytes(8)),),
               (NdOptMalformed(bytes((1, 0, 0, 0, 0, 0, 0, 0))),))[options_kind % 6]
    kind %= 5
    if kind == 0:
        message = NeighborSolicit(target, options).to_icmp(code)
        dst = solicited_node(target) if to_group else link.dut_ip
    elif kind == 1:
        message = NeighborAdvert(target if target != link.dut_ip else link.spare(8),
                                 bool(flags & 4), bool(flags & 2), bool(flags & 1),
                                 options).to_icmp(code)
        dst = ALL_NODES if to_group else link.dut_ip
    elif kind == 2:
        message = RouterSolicit(options).to_icmp(code)
        dst = ip6("ff02::2") if to_group else link.dut_ip
    elif kind == 3:
        message = RouterAdvert(options=options).to_icmp(code)
        dst = ALL_NODES if to_group else link.dut_ip
    else:
        message = Redirect(link.spare(9), OTHER_HOST6, options).to_icmp(code)
        dst = link.dut_ip
    raw = message.emit(link.tester_ip, dst)
    return packet_frame(link, IPPROTO_ICMPV6, raw, hop_limit, dst)


# -- strategies -----------------------------------------------------------------------------

def ipv6_options() -> st.SearchStrategy[object]:
    """One Hop-by-Hop or Destination option (RFC 8200 4.2): Pad1, PadN (zero or not), Router
    Alert (RFC 2711), Jumbo Payload (RFC 2675, in a packet that is no jumbogram), or an
    unrecognised type with each action (00 skip, 01 discard, 10 and 11 discard and answer)."""
    return st.one_of(
        st.just(Ipv6OptPad1()),
        st.builds(Ipv6OptPadN, st.binary(max_size=8)),
        st.builds(Ipv6OptRouterAlert, u16),
        st.builds(Ipv6OptJumbo, u32),
        st.builds(lambda action, low, data: Ipv6OptUnknown((action << 6) | low, data),
                  st.integers(0, 3), st.integers(2, 0x3F), st.binary(max_size=12)),
    )


def extension_headers() -> st.SearchStrategy[ExtSpec]:
    """One extension header, its Next Header filled in when chained: Hop-by-Hop and
    Destination Options with option lists, Routing of types 0 (RFC 5095), 2, 3, 4 and
    others with any Segments Left, an atomic Fragment (RFC 6946), AH and ESP."""
    opts = st.lists(ipv6_options(), max_size=4).map(tuple)
    return st.one_of(
        st.builds(lambda o: options_spec(IPPROTO_HOPOPTS, o), opts),
        st.builds(lambda o: options_spec(IPPROTO_DSTOPTS, o), opts),
        st.builds(routing_spec, st.one_of(st.sampled_from([0, 2, 3, 4]), u8),
                  st.integers(0, 4), st.sampled_from([bytes(4), bytes(20)])),
        st.builds(atomic_fragment_spec, u32),
        st.builds(lambda spi: (51, lambda nh: Ipv6Ah(nh, spi, 1, bytes(12))), u32),
        st.builds(lambda spi: (50, lambda nh: Ipv6Esp(spi, 1, bytes(16))), u32),
    )


def ipv6_header_chains(link: Link6) -> st.SearchStrategy[bytes]:
    """Packets to the DUT with up to four extension headers in any order (RFC 8200 4.1's
    order or not, Hop-by-Hop anywhere) before an upper layer (ICMPv6 echo, UDP, TCP SYN, No
    Next Header, an unrecognised protocol), with any hop limit, flow label, traffic class."""
    return st.builds(
        lambda specs, kind, payload, port, hop, flow, tc: chain_frame(
            link, tuple(specs), kind, payload, port, hop_limit=hop, flow_label=flow,
            traffic_class=tc),
        st.lists(extension_headers(), max_size=4), st.integers(0, 4), small_payloads,
        st.sampled_from([7, 9, 5353]), u8, st.integers(0, (1 << 20) - 1), u8)


def ipv6_fragment_trains(link: Link6) -> st.SearchStrategy[tuple[bytes, ...]]:
    """The fragments of one ICMPv6 echo request (RFC 8200 4.5): in order, reversed, the first
    repeated, the first missing, two overlapping (RFC 5722), one atomic (RFC 6946), or a tiny
    first fragment without the whole ICMPv6 header (RFC 7112)."""
    return st.builds(
        lambda ident, data, cuts, shape, tiny: fragment_train6(link, ident, data, cuts,
                                                               shape, tiny),
        u32, st.binary(min_size=16, max_size=64),
        st.lists(st.integers(1, 7), min_size=1, max_size=3),
        st.sampled_from(FRAGMENT_SHAPES6), st.booleans())


def icmpv6_frames(link: Link6) -> st.SearchStrategy[bytes]:
    """ICMPv6 (RFC 4443) to the DUT: echo requests (any code, to the DUT or all-nodes),
    replies, errors of each type quoting a packet of the DUT's (Packet Too Big with any
    MTU), unknown error and informational types, bad checksums."""
    quote = quote_of_dut_packet(link)
    messages = st.one_of(
        st.builds(lambda c, rest, p: Icmpv6Repr(128, c, rest, p), st.sampled_from([0, 0, 1]),
                  u32, small_payloads),
        st.builds(lambda rest, p: Icmpv6Repr(129, 0, rest, p), u32, small_payloads),
        st.builds(lambda t, c, rest: Icmpv6Repr(t, c, rest, quote),
                  st.sampled_from([1, 2, 3, 4]), st.integers(0, 8), u32),
        st.builds(lambda t, c: Icmpv6Repr(t, c, 0, quote), st.integers(5, 127), u8),
        st.builds(lambda t, p: Icmpv6Repr(t, 0, 0, p), st.integers(150, 255), small_payloads),
    )
    return st.builds(lambda m, bad, group: icmpv6_frame(link, m, bad,
                                                        ALL_NODES if group else None),
                     messages, st.booleans(), st.booleans())


def ndp_frames(link: Link6) -> st.SearchStrategy[bytes]:
    """Neighbor Discovery (RFC 4861): NS, NA, RS, RA, Redirect; valid or not (hop limit other
    than 255, code other than 0, options), unicast or to the group it goes to."""
    return st.builds(lambda kind, target, opts, hop, code, flags, group: ndp_frame(
        link, kind, target, opts, hop, code, flags, group),
        st.integers(0, 4), st.integers(0, 3), st.integers(0, 5),
        st.sampled_from([255, 255, 64, 254, 1]), st.sampled_from([0, 0, 1, 255]),
        st.integers(0, 7), st.booleans())


def any_ipv6_frame(link: Link6) -> st.SearchStrategy[bytes]:
    """One frame of any of the above (a fragment train's first fragment for trains)."""
    return st.one_of(ipv6_header_chains(link), icmpv6_frames(link), ndp_frames(link),
                     ipv6_fragment_trains(link).map(lambda t: t[0]))
