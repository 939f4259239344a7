"""Compact, structure-aware frames: a template name and a fixed block of entropy octets,
decoded deterministically into one frame (see :func:`compact_frames`).

A frame costs hypothesis two choices (the template, one ``binary`` of :data:`ENTROPY`
octets) instead of the 15-30 nested draws of the rich strategies, and covers what they do.
Each template reads its fields at fixed offsets of the entropy, so that shrinking one field
leaves the others alone, and every selector reads "the canonical choice" at 0: the all-zero
entropy decodes to the template's simplest valid frame (for ``tcp``: an ACK at SND.NXT
acknowledging RCV.NXT, window 65535, no options, no payload). hypothesis's shrinker drives
the template towards the first one and the octets towards zero, so a divergence shrinks to
a readable frame with only the fields that matter left non-zero.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from fuzz.strategies import (
    BAD_PROTOCOLS,
    BAD_VERSIONS,
    BROADCAST_MAC,
    CORRUPTIONS,
    FRAGMENT_SHAPES,
    MOD32,
    OTHER_HOST,
    ConnectionView,
    LinkAddresses,
    _fit_options,
    _frame,
    _ip,
    _ip_frame,
    corrupted_ipv4_frame,
    fragment_train,
)
from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.ethernet import ETH_P_ARP, ETH_P_IP, EthernetRepr
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import (
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv4OptLsrr,
    Ipv4OptNop,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptSsrr,
    Ipv4OptTimestamp,
    Ipv4OptUnknown,
    Ipv4Repr,
)
from reference_stack.wire.tcp import (
    TcpOptEol,
    TcpOptMalformed,
    TcpOptMss,
    TcpOptNop,
    TcpOptSack,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptUnknown,
    TcpOptWindowScale,
    TcpRepr,
)
from reference_stack.wire.udp import UdpRepr

ENTROPY = 80  # octets of entropy a frame

# Single-frame templates, TCP (on the connection) twice as in ``any_frame``; the first is
# what a frame shrinks towards.
FRAME_TEMPLATES = ("tcp", "icmp", "udp", "ipv4", "ipv4_corrupted", "ipv4_options", "arp",
                   "ethernet", "tcp2")
TEMPLATE_NAMES = tuple(dict.fromkeys(t.rstrip("2") for t in FRAME_TEMPLATES)) + ("fragments",)

# The 256 flag combinations, the common ones first (octet 0 = ACK, the canonical segment).
_FLAGS_FIRST = (0x10, 0x18, 0x11, 0x14, 0x04, 0x02, 0x12, 0x01, 0x03, 0x00)
FLAG_ORDER = _FLAGS_FIRST + tuple(f for f in range(256) if f not in _FLAGS_FIRST)
SEQ_MODES = ("exact", "edge", "inside", "around", "any")
TCP_OPTION_MODES = ("none", "timestamped", "list", "list_broken_end")
_MSS = (1460, 0, 1, 88, 536, 0xFFFF)
_WSCALE = (7, 0, 14, 15, 255)
_UNKNOWN_TCP_KINDS = (6, 9, 19, 28, 30, 34, 253, 254)
_WINDOWS = (65535, 0, 1, 512)
_UDP_PORTS = (7, 9, 53, 33434)
_UDP_SHAPES = ("valid", "bad_checksum", "no_checksum", "short_length", "long_length")


def _u16(e: bytes, i: int) -> int:
    return (e[i] << 8) | e[i + 1]


def _u32(e: bytes, i: int) -> int:
    return int.from_bytes(e[i:i + 4], "big")


def _pick(seq, octet: int):
    return seq[octet % len(seq)]


def seq_offset(e: bytes, i: int, window: int) -> int:
    """Offset from the window's left edge: mode at ``e[i]``, value at ``e[i+1:i+5]``."""
    mode = e[i] % len(SEQ_MODES)
    v = _u32(e, i + 1)
    if mode == 0:
        return 0
    if mode == 1:
        edges = (0, -1, 1, window - 1, window, window + 1, -window, 1 << 31)
        return edges[v % len(edges)]
    if mode == 2:
        return v % window
    if mode == 3:
        return v % (4 * window) - 2 * window
    return v


class _Cursor:
    """Reads octets of one region in turn (zeros past its end: shrinking shortens lists)."""

    __slots__ = ("e", "i", "end")

    def __init__(self, e: bytes, start: int, end: int) -> None:
        self.e, self.i, self.end = e, start, end

    def u8(self) -> int:
        i = self.i
        self.i += 1
        return self.e[i] if i < self.end else 0

    def take(self, n: int) -> bytes:
        return bytes(self.u8() for _ in range(n))

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")


def _tcp_option(c: _Cursor, view: ConnectionView):
    kind = c.u8() % 7
    if kind == 0:
        return TcpOptNop()
    if kind == 1:
        return TcpOptMss(_pick(_MSS, c.u8()))
    if kind == 2:
        return TcpOptWindowScale(_pick(_WSCALE, c.u8()))
    if kind == 3:
        return TcpOptSackPermitted()
    if kind == 4:
        return TcpOptTimestamps(c.u32(), c.u32())
    if kind == 5:
        blocks = tuple(((view.rcv_nxt + c.u32()) % MOD32, (view.rcv_nxt + c.u32()) % MOD32)
                       for _ in range(1 + c.u8() % 3))
        return TcpOptSack(blocks)
    return TcpOptUnknown(_pick(_UNKNOWN_TCP_KINDS, c.u8()), c.take(c.u8() % 9))


def _broken_end(c: _Cursor):
    """EOL with trailing octets, or option bytes with broken framing: a lone kind, a length
    below 2, a length past the end of the option area."""
    how, kind = c.u8() % 4, 2 + c.u8() % 254
    if how == 0:
        return TcpOptEol(c.take(c.u8() % 4))
    if how == 1:
        return TcpOptMalformed(bytes((kind,)))
    if how == 2:
        return TcpOptMalformed(bytes((kind, c.u8() % 2)) + b"\x00\x00")
    return TcpOptMalformed(bytes((kind, 10 + c.u8() % 246)) + b"\x01\x01")


def tcp_options(e: bytes, view: ConnectionView) -> tuple:
    """Options: mode at ``e[16]``; a timestamp from ``e[17:21]``; a list (1-5 options, any
    kind, order and repeats, then maybe a broken end) from the region ``e[21:46]``."""
    mode = e[16] % len(TCP_OPTION_MODES)
    if mode == 0:
        return ()
    if mode == 1:  # what a well-behaved peer sends (RFC 7323 3.2)
        echo = view.ts_echo if view.ts_echo is not None else 0
        return (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(1 + _u32(e, 17) % (1 << 20), echo))
    c = _Cursor(e, 22, 46)
    options = tuple(_tcp_option(c, view) for _ in range(1 + e[21] % 5))
    if mode == 3:
        options += (_broken_end(c),)
    return _fit_options(options)


def tcp_segment(e: bytes, view: ConnectionView) -> TcpRepr:
    """Flags ``e[0]`` (:data:`FLAG_ORDER`), seq ``e[1:6]`` (around SND.NXT in the DUT's
    window), ack ``e[6:11]`` (around RCV.NXT), window ``e[11:14]``, one odd field ``e[14]``
    (urgent pointer, a reserved bit, a bogus data offset, a bad checksum: value ``e[46:48]``),
    payload length ``e[15]`` (octets ``e[48:80]``), options ``e[16:46]``."""
    flags = FLAG_ORDER[e[0]]
    seq = (view.snd_nxt + seq_offset(e, 1, view.window)) % MOD32
    ack = (view.rcv_nxt + seq_offset(e, 6, 65535)) % MOD32
    wmode = e[11] % 5
    window = _u16(e, 12) if wmode == 4 else _WINDOWS[wmode]
    extra: dict = {}
    odd, v = e[14] % 7, _u16(e, 46)
    if odd == 3:
        extra["urgent"] = v
    elif odd == 4:
        extra["reserved"] = 1 + v % 15
    elif odd == 5:
        extra["data_offset"] = v % 16
    elif odd == 6:
        extra["checksum"] = 1 + v % 0xFFFF
    payload = e[48:48 + e[15] % 33]
    return TcpRepr(view.tester_port, view.dut_port, seq, ack, flags, window, payload,
                   tcp_options(e, view), **extra)


def _l4(addrs: LinkAddresses, e: bytes, i: int) -> tuple[int, bytes]:
    """A well-formed transport layer: kind ``e[i]``, fields ``e[i+1:i+6]``, payload
    ``e[32:80]`` cut to ``e[i+6] % 49``."""
    payload = e[32:32 + e[i + 6] % 49]
    kind = e[i] % 4
    if kind == 0:
        return IPPROTO_ICMP, Icmpv4Repr(8, 0, _u32(e, i + 1), payload).emit()
    if kind == 1:
        udp = UdpRepr(1024 + _u16(e, i + 1) % 64512, _pick(_UDP_PORTS, e[i + 3]), payload)
        return IPPROTO_UDP, udp.emit(addrs.tester_ip, addrs.dut_ip)
    return (47 if kind == 2 else 253), payload


def ipv4(addrs: LinkAddresses, e: bytes) -> bytes:
    protocol, payload = _l4(addrs, e, 8)
    ttl = e[4] or 64
    return _ip_frame(addrs, _ip(addrs, protocol, payload=payload, tos=e[0],
                                ident=_u16(e, 1), df=bool(e[3] & 1), ttl=ttl))


def ipv4_corrupted(addrs: LinkAddresses, e: bytes) -> bytes:
    protocol, payload = _l4(addrs, e, 8)
    return corrupted_ipv4_frame(addrs, protocol, payload, _pick(CORRUPTIONS, e[0]),
                                _u16(e, 3), _u16(e, 1) % 1001, _pick(BAD_VERSIONS, e[5]),
                                _pick(BAD_PROTOCOLS, e[6]))


def _ipv4_option(c: _Cursor):
    kind = c.u8() % 7
    if kind == 0:
        return Ipv4OptNop()
    if kind == 1:
        return Ipv4OptRecordRoute(_pick((4, 8, 3, 40), c.u8()), (b"\x00" * 4,) * (1 + c.u8() % 4))
    if kind in (2, 3):
        cls = Ipv4OptLsrr if kind == 2 else Ipv4OptSsrr
        return cls(4, (OTHER_HOST,) * (1 + c.u8() % 2))
    if kind == 4:
        return Ipv4OptTimestamp(5, 0, _pick((0, 1, 3), c.u8()), c.take(4 + c.u8() % 5))
    if kind == 5:
        return Ipv4OptRouterAlert(0)
    return Ipv4OptUnknown(_pick((130, 133, 136, 149, 200), c.u8()), c.take(c.u8() % 7))


def ipv4_options(addrs: LinkAddresses, e: bytes) -> bytes:
    protocol, payload = _l4(addrs, e, 8)
    c = _Cursor(e, 16, 32)
    options = [_ipv4_option(c) for _ in range(1 + e[0] % 3)]
    while sum(len(o.emit()) for o in options) > 40:
        options.pop()
    return _ip_frame(addrs, _ip(addrs, protocol, payload=payload, options=tuple(options)))


def icmp(addrs: LinkAddresses, e: bytes) -> bytes:
    payload = e[32:32 + e[7] % 49]
    kind, rest = e[0] % 6, _u32(e, 3)
    if kind == 0:
        msg = Icmpv4Repr(8, 0, rest, payload)
    elif kind == 1:
        msg = Icmpv4Repr(8, 1 + e[1] % 255, rest, payload)
    elif kind == 2:
        msg = Icmpv4Repr(0, 0, rest, payload)
    elif kind == 3:
        quote = Ipv4Repr(src=addrs.dut_ip, dst=addrs.tester_ip, protocol=IPPROTO_UDP,
                         payload=bytes(8)).emit()
        msg = Icmpv4Repr(_pick((3, 4, 5, 11, 12), e[1]), e[2] % 16, 0, quote)
    elif kind == 4:
        msg = Icmpv4Repr(_pick((13, 15, 17), e[1]), 0, 0, bytes(12))
    else:
        msg = Icmpv4Repr(e[1], e[2], rest, payload)
    if e[8] & 1:
        good = Icmpv4Repr.parse(msg.emit()).checksum
        msg = Icmpv4Repr(msg.type, msg.code, msg.rest, msg.payload, (good + 1) % 0xFFFF)
    return _frame(addrs, _ip(addrs, IPPROTO_ICMP), msg)


def udp(addrs: LinkAddresses, e: bytes) -> bytes:
    sport = 1 + (_u16(e, 0) + 1023) % 65535
    dport = _pick(_UDP_PORTS, e[2])
    payload = e[32:32 + e[6] % 49]
    shape, n = _pick(_UDP_SHAPES, e[3]), _u16(e, 4) % 1001
    dgram = UdpRepr(sport, dport, payload)
    good = UdpRepr.parse(dgram.emit(addrs.tester_ip, addrs.dut_ip))
    if shape == "bad_checksum":
        dgram = UdpRepr(sport, dport, payload, checksum=(good.checksum % 0xFFFE) + 1)
    elif shape == "no_checksum":
        dgram = UdpRepr(sport, dport, payload, checksum=0)
    elif shape == "short_length":
        dgram = UdpRepr(sport, dport, payload, length=n % good.length)
    elif shape == "long_length":
        dgram = UdpRepr(sport, dport, payload, length=good.length + 1 + n % 100)
    return _frame(addrs, _ip(addrs, IPPROTO_UDP), dgram)


def arp(addrs: LinkAddresses, e: bytes) -> bytes:
    op = (1, 2, _u16(e, 1))[e[0] % 3]
    target_ip = _pick((addrs.dut_ip, addrs.tester_ip, OTHER_HOST), e[3])
    odd, v = e[4] % 6, _u16(e, 5)
    tha = b"\x00" * 6 if op == 1 else addrs.dut_mac
    types = {"htype": v} if odd == 2 else {"ptype": v} if odd == 3 else {}
    body = bytearray(ArpRepr(op, addrs.tester_mac, addrs.tester_ip, tha, target_ip,
                             **types).emit())
    if odd == 4:
        body[4] = v % 6
    elif odd == 5:
        body[5] = v % 4
    dst = _pick((BROADCAST_MAC, addrs.dut_mac), e[7])
    return EthernetRepr(dst, addrs.tester_mac, ETH_P_ARP, payload=bytes(body)).emit()


def ethernet(addrs: LinkAddresses, e: bytes) -> bytes:
    dst = _pick((addrs.dut_mac, BROADCAST_MAC), e[0])
    kind = e[1] % 5
    ethertype = _u16(e, 2) if kind == 4 else (ETH_P_IP, ETH_P_ARP, 0x86DD, 0x88CC)[kind]
    return EthernetRepr(dst, addrs.tester_mac, ethertype, payload=e[16:16 + e[4] % 65]).emit()


def fragments(addrs: LinkAddresses, e: bytes) -> tuple[bytes, ...]:
    """The fragments of one ICMP echo request (RFC 791 2.3, 3.2), cut at multiples of 8
    octets (1-3 cuts at ``e[5:8]``), in order, reversed, first repeated or first missing
    (``e[8]``)."""
    cuts = [1 + e[5 + i] % 7 for i in range(1 + e[11] % 3)]
    return fragment_train(addrs, _u32(e, 0), e[16:16 + 16 + e[4] % 49], _u16(e, 9), cuts,
                          _pick(FRAGMENT_SHAPES, e[8]))


class CompactDecoder:
    """``(template, entropy) -> frame bytes`` for one link and connection view."""

    def __init__(self, addrs: LinkAddresses, view: ConnectionView) -> None:
        self.addrs, self.view = addrs, view
        host: dict[str, Callable[[LinkAddresses, bytes], bytes]] = {
            "icmp": icmp, "udp": udp, "ipv4": ipv4, "ipv4_corrupted": ipv4_corrupted,
            "ipv4_options": ipv4_options, "arp": arp, "ethernet": ethernet}
        self._host = host

    def frame(self, template: str, entropy: bytes) -> bytes:
        if len(entropy) < ENTROPY:
            entropy = entropy + bytes(ENTROPY - len(entropy))
        if template.startswith("tcp"):
            seg = tcp_segment(entropy, self.view)
            return _frame(self.addrs, _ip(self.addrs, IPPROTO_TCP, df=True), seg)
        return self._host[template](self.addrs, entropy)

    def case(self, parts: tuple, max_frames: int) -> tuple[bytes, ...]:
        """``(("train", e),)`` or up to ``max_frames`` ``(template, e)`` pairs."""
        if parts[0][0] == "fragments":
            return fragments(self.addrs, parts[0][1])[:max_frames]
        return tuple(self.frame(t, e) for t, e in parts[:max_frames])


# -- the compact strategies ---------------------------------------------------------------

def compact_frames(addrs: LinkAddresses, conn: ConnectionView) -> st.SearchStrategy[bytes]:
    """One frame of any family of :func:`fuzz.strategies.any_frame` (TCP on ``conn`` drawn as
    often), from two hypothesis choices: a template (:data:`FRAME_TEMPLATES`) and ``ENTROPY``
    octets decoded field by field (every TCP flag combination, seq
    and ack in and around the windows, option lists well-formed or broken, IPv4 valid, one
    field corrupted, with options, ICMP, UDP, ARP, Ethernet). All-zero octets decode to the
    template's canonical valid frame, so a frame shrinks towards a valid one with only the
    fields that matter left set. About 5x cheaper to draw than :func:`fuzz.strategies.any_frame`."""
    decoder = CompactDecoder(addrs, conn)
    return st.tuples(st.sampled_from(FRAME_TEMPLATES),
                     st.binary(min_size=ENTROPY, max_size=ENTROPY)).map(
        lambda t: decoder.frame(*t))


def compact_cases(addrs: LinkAddresses, conn: ConnectionView,
                  max_frames: int = 1) -> st.SearchStrategy[tuple[bytes, ...]]:
    """Cases of up to ``max_frames`` frames as :func:`compact_frames` draws them; with
    ``max_frames`` >= 2 also two frames back to back and IPv4 fragment trains (cut to
    ``max_frames``) as :func:`fuzz.strategies.frame_sequences` does. Shrinks towards a single
    frame."""
    decoder = CompactDecoder(addrs, conn)
    entropy = st.binary(min_size=ENTROPY, max_size=ENTROPY)
    part = st.tuples(st.sampled_from(FRAME_TEMPLATES), entropy)
    single = part.map(lambda p: (decoder.frame(*p),))
    if max_frames == 1:
        return single
    pairs = st.tuples(part, part).map(lambda ps: decoder.case(ps, max_frames))
    trains = entropy.map(lambda e: decoder.case((("fragments", e),), max_frames))
    return st.one_of(single, pairs, trains)
