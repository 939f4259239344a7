"""Hypothesis strategies for packets: a public, reusable library producing wire bytes.

Every strategy here yields ``bytes`` (immutable: what a test logs is exactly what it sends),
built with the reference stack's strict codecs (``reference_stack.wire``), never scapy.
Use them in your own hypothesis tests::

    from hypothesis import given
    from fuzz.strategies import LinkAddresses, ConnectionView, tcp_frames

    ADDRS = LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                    "198.18.0.2", "198.18.0.1")

    @given(tcp_frames(ADDRS, ConnectionView(tester_port=40000, dut_port=80,
                                            snd_nxt=1000, rcv_nxt=5001)))
    def test_my_stack_never_crashes(frame):
        my_stack.receive(frame)

Families (each function documents what it draws):

- link: :func:`ethernet_frames`, :func:`arp_frames`
- IPv4: :func:`ipv4_frames` (valid), :func:`ipv4_corrupted_frames` (valid but for one field),
  :func:`ipv4_option_frames`, :func:`ipv4_fragment_trains` (a tuple of fragments)
- ICMPv4: :func:`icmpv4_frames`; UDP: :func:`udp_frames`
- TCP: :func:`tcp_flags` (all 256 combinations), :func:`tcp_option_lists` (well-formed and
  malformed), :func:`seq_near` (in and around a window), :func:`tcp_segments` (Reprs),
  :func:`tcp_frames`
- composed: :func:`any_frame`, :func:`frame_sequences`
- compact (for throughput): :func:`fuzz.compact.compact_frames`,
  :func:`fuzz.compact.compact_cases`: the same families from two hypothesis choices a frame
  (a template and a block of entropy octets), shrinking towards the canonical valid frame
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.ethernet import ETH_P_ARP, ETH_P_IP, EthernetRepr
from reference_stack.wire.frame import build_frame
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

MOD32 = 1 << 32
BROADCAST_MAC = b"\xff" * 6

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
small_payloads = st.binary(max_size=48)


@dataclass(frozen=True)
class LinkAddresses:
    """Who is who on the link, as raw bytes: the tester sends from ``tester_*`` to ``dut_*``."""

    tester_mac: bytes
    dut_mac: bytes
    tester_ip: bytes
    dut_ip: bytes

    @classmethod
    def from_text(cls, tester_mac: str, dut_mac: str, tester_ip: str,
                  dut_ip: str) -> LinkAddresses:
        return cls(mac(tester_mac), mac(dut_mac), ip4(tester_ip), ip4(dut_ip))

    @classmethod
    def from_endpoints(cls, ep) -> LinkAddresses:
        """From a :class:`conformance.targets.base.Endpoints`."""
        return cls.from_text(ep.tester_mac, ep.dut_mac, ep.tester_ipv4, ep.dut_ipv4)


@dataclass(frozen=True)
class ConnectionView:
    """What the tester knows of one TCP connection, so that segments land in and around the
    window: ``snd_nxt`` is the tester's next sequence number, ``rcv_nxt`` the DUT's (what the
    tester acknowledges), ``window`` the DUT's receive window in octets, ``ts_echo`` the DUT
    TSval the tester echoes (None: the connection has no timestamps)."""

    tester_port: int
    dut_port: int
    snd_nxt: int = 0
    rcv_nxt: int = 0
    window: int = 65535
    ts_echo: int | None = None


# -- helpers -------------------------------------------------------------------------------

def _ip(addrs: LinkAddresses, protocol: int, **fields) -> Ipv4Repr:
    return Ipv4Repr(src=addrs.tester_ip, dst=addrs.dut_ip, protocol=protocol, **fields)


def _frame(addrs: LinkAddresses, ip: Ipv4Repr, l4=None) -> bytes:
    return build_frame(addrs.tester_mac, addrs.dut_mac, ip, l4)


def _ip_frame(addrs: LinkAddresses, ip: Ipv4Repr) -> bytes:
    return EthernetRepr(addrs.dut_mac, addrs.tester_mac, ETH_P_IP, payload=ip.emit()).emit()


# -- link layer ----------------------------------------------------------------------------

def ethernet_frames(addrs: LinkAddresses) -> st.SearchStrategy[bytes]:
    """Ethernet II frames to the DUT (unicast or broadcast) with any EtherType and payload:
    unknown EtherTypes, IPv4/ARP EtherTypes over garbage, runts of the payload."""
    return st.builds(
        lambda dst, ethertype, payload: EthernetRepr(dst, addrs.tester_mac, ethertype,
                                                     payload=payload).emit(),
        st.sampled_from([addrs.dut_mac, BROADCAST_MAC]),
        st.one_of(st.sampled_from([ETH_P_IP, ETH_P_ARP, 0x86DD, 0x88CC]), u16),
        st.binary(max_size=64),
    )


_ARP_OPS = st.one_of(st.sampled_from([1, 2]), u16)
_ARP_ODDITIES = st.one_of(
    st.just({}), st.just({}),
    st.builds(lambda v: {"htype": v}, u16),
    st.builds(lambda v: {"ptype": v}, u16),
    st.builds(lambda v: {"hlen": v}, st.integers(0, 5)),
    st.builds(lambda v: {"plen": v}, st.integers(0, 3)),
)


def arp_frames(addrs: LinkAddresses) -> st.SearchStrategy[bytes]:
    """ARP (RFC 826) requests and replies: for the DUT's address or another one, gratuitous,
    with odd hardware/protocol types or address sizes that disagree with the addresses, and
    any opcode; broadcast or unicast."""
    def build(op: int, target_ip: bytes, odd: dict, dst: bytes) -> bytes:
        tha = b"\x00" * 6 if op == 1 else addrs.dut_mac
        types = {k: v for k, v in odd.items() if k in ("htype", "ptype")}
        body = bytearray(ArpRepr(op, addrs.tester_mac, addrs.tester_ip, tha, target_ip,
                                 **types).emit())
        if "hlen" in odd:
            body[4] = odd["hlen"]
        if "plen" in odd:
            body[5] = odd["plen"]
        return EthernetRepr(dst, addrs.tester_mac, ETH_P_ARP, payload=bytes(body)).emit()
    return st.builds(build, _ARP_OPS,
                     st.sampled_from([addrs.dut_ip, addrs.tester_ip, ip4("198.18.250.9")]),
                     _ARP_ODDITIES, st.sampled_from([BROADCAST_MAC, addrs.dut_mac]))


# -- IPv4 ----------------------------------------------------------------------------------

def _l4_payloads(addrs: LinkAddresses) -> st.SearchStrategy[tuple[int, bytes]]:
    """(protocol, transport bytes) for a well-formed transport layer."""
    echo = st.builds(lambda ident, payload: (IPPROTO_ICMP, Icmpv4Repr(8, 0, ident, payload).emit()),
                     u32, small_payloads)
    udp = st.builds(
        lambda sport, dport, payload: (IPPROTO_UDP, UdpRepr(sport, dport, payload).emit(
            addrs.tester_ip, addrs.dut_ip)),
        st.integers(1024, 65535), st.sampled_from([7, 9, 53, 33434]), small_payloads)
    return st.one_of(echo, udp, st.tuples(st.sampled_from([47, 253]),
                                          small_payloads))


def ipv4_frames(addrs: LinkAddresses) -> st.SearchStrategy[bytes]:
    """Valid IPv4 datagrams (RFC 791 3.1) carrying ICMP echo, UDP, or an unknown protocol,
    with any TOS, ident, DF and TTL >= 1."""
    return st.builds(
        lambda l4, tos, ident, df, ttl: _ip_frame(
            addrs, _ip(addrs, l4[0], payload=l4[1], tos=tos, ident=ident, df=df, ttl=ttl)),
        _l4_payloads(addrs), u8, u16, st.booleans(), st.integers(1, 255))


# The one field :func:`ipv4_corrupted_frames` breaks, and how (RFC 1122 3.2.1 checks).
CORRUPTIONS = ("checksum", "version", "ihl_short", "ihl_long", "total_length_short",
               "total_length_long", "ttl_zero", "reserved_flag", "src_broadcast",
               "src_loopback", "dst_other", "protocol")


BAD_VERSIONS = (0, 1, 2, 3, 5, 6, 7, 15)
BAD_PROTOCOLS = (0, 2, 41, 50, 132, 255)
OTHER_HOST = ip4("198.18.250.9")
_ANY_SMALL = st.integers(0, 1000)


def corrupted_ipv4_frame(addrs: LinkAddresses, protocol: int, payload: bytes, which: str,
                         ident: int, n: int, version: int, bad_protocol: int) -> bytes:
    """A datagram valid in every respect but the field ``which`` names (:data:`CORRUPTIONS`);
    ``n`` sizes the corruption, ``version``/``bad_protocol`` are used when they are the one."""
    fields: dict = {"payload": payload, "ident": ident, "src": addrs.tester_ip,
                    "dst": addrs.dut_ip}
    if which == "checksum":
        good = Ipv4Repr.parse(_ip(addrs, protocol, payload=payload, ident=ident).emit())
        fields["checksum"] = (good.checksum + 1 + n) % 0xFFFF  # RFC 791 3.1
    elif which == "version":
        fields["version"] = version
    elif which == "ihl_short":
        fields["ihl"] = n % 5
    elif which == "ihl_long":
        fields["ihl"] = 6 + n % 10
    elif which == "total_length_short":
        fields["total_length"] = n % (20 + len(payload))
    elif which == "total_length_long":
        fields["total_length"] = 20 + len(payload) + 1 + n
    elif which == "ttl_zero":
        fields["ttl"] = 0
    elif which == "reserved_flag":
        fields["flag_reserved"] = True
    elif which == "protocol":
        protocol = bad_protocol
    elif which == "src_broadcast":
        fields["src"] = b"\xff\xff\xff\xff"
    elif which == "src_loopback":
        fields["src"] = ip4("127.0.0.1")
    elif which == "dst_other":
        fields["dst"] = OTHER_HOST
    return _ip_frame(addrs, Ipv4Repr(protocol=protocol, **fields))


def ipv4_corrupted_frames(addrs: LinkAddresses) -> st.SearchStrategy[bytes]:
    """IPv4 datagrams valid in every respect but one field (see :data:`CORRUPTIONS`): a bad
    header checksum, version != 4, IHL below 5 or past the header, total length shorter or
    longer than the buffer, TTL 0, the reserved flag set, a martian source, another host's
    destination, an unknown protocol."""
    def build(l4: tuple[int, bytes], which: str, ident: int, n: int, version: int,
              bad_protocol: int) -> bytes:
        return corrupted_ipv4_frame(addrs, *l4, which, ident, n, version, bad_protocol)
    return st.builds(build, _l4_payloads(addrs), st.sampled_from(CORRUPTIONS), u16, _ANY_SMALL,
                     st.sampled_from(BAD_VERSIONS), st.sampled_from(BAD_PROTOCOLS))


ipv4_option = st.one_of(
    st.just(Ipv4OptNop()),
    st.builds(Ipv4OptRecordRoute, st.sampled_from([4, 8, 3, 40]),
              st.lists(st.just(b"\x00" * 4), min_size=1, max_size=4).map(tuple)),
    st.builds(Ipv4OptLsrr, st.just(4), st.lists(st.just(ip4("198.18.250.9")), min_size=1,
                                                 max_size=2).map(tuple)),
    st.builds(Ipv4OptSsrr, st.just(4), st.lists(st.just(ip4("198.18.250.9")), min_size=1,
                                                 max_size=2).map(tuple)),
    st.builds(Ipv4OptTimestamp, st.just(5), st.just(0), st.sampled_from([0, 1, 3]),
              st.binary(min_size=4, max_size=8)),
    st.builds(Ipv4OptRouterAlert, st.just(0)),
    st.builds(Ipv4OptUnknown, st.sampled_from([130, 133, 136, 149, 200]),
              st.binary(max_size=6)),
)


def ipv4_option_frames(addrs: LinkAddresses) -> st.SearchStrategy[bytes]:
    """Valid IPv4 datagrams (ICMP echo or UDP inside) with RFC 791 3.1 options: record route,
    loose/strict source route, timestamp, router alert (RFC 2113), unknown kinds; the header
    length computed so the options fit."""
    return st.builds(
        lambda l4, options: _ip_frame(addrs, _ip(addrs, l4[0], payload=l4[1],
                                                 options=tuple(options))),
        _l4_payloads(addrs),
        st.lists(ipv4_option, min_size=1, max_size=3).filter(
            lambda opts: sum(len(o.emit()) for o in opts) <= 40),
    )


FRAGMENT_SHAPES = ("in_order", "reversed", "duplicate", "partial")
_FRAGMENT_CUTS = st.lists(st.integers(1, 7), min_size=1, max_size=3)
_FRAGMENT_PAYLOADS = st.binary(min_size=16, max_size=64)


def fragment_train(addrs: LinkAddresses, rest: int, data: bytes, ident: int,
                   cuts: list[int], shape: str) -> tuple[bytes, ...]:
    """The fragments of one ICMP echo request (``rest``: its identifier and sequence word),
    cut at ``cuts`` units of 8 octets (RFC 791 2.3, 3.2), put in ``shape`` order
    (:data:`FRAGMENT_SHAPES`)."""
    payload = Icmpv4Repr(8, 0, rest, data).emit()
    last_unit = (len(payload) - 1) // 8
    edges = [0, *sorted({min(c, last_unit) * 8 for c in cuts}), len(payload)]
    frames = [_ip_frame(addrs, _ip(addrs, IPPROTO_ICMP, payload=payload[start:end], ident=ident,
                                   mf=end < len(payload), frag_offset=start // 8))
              for start, end in zip(edges, edges[1:], strict=False)]
    if shape == "reversed":
        frames.reverse()
    elif shape == "duplicate":
        frames.insert(0, frames[0])
    elif shape == "partial":
        frames = frames[1:]
    return tuple(frames)


def ipv4_fragment_trains(addrs: LinkAddresses) -> st.SearchStrategy[tuple[bytes, ...]]:
    """The fragments (RFC 791 2.3, 3.2) of one ICMP echo request: cut at multiples of 8 octets,
    in order or reversed, with the first one repeated (an exact overlap), or without the first
    (a datagram that never completes)."""
    def build(rest: int, data: bytes, ident: int, cuts: list[int], shape: str) -> tuple:
        return fragment_train(addrs, rest, data, ident, cuts, shape)
    return st.builds(build, u32, _FRAGMENT_PAYLOADS, u16, _FRAGMENT_CUTS,
                     st.sampled_from(FRAGMENT_SHAPES))


# -- ICMPv4 and UDP ------------------------------------------------------------------------

def icmpv4_frames(addrs: LinkAddresses) -> st.SearchStrategy[bytes]:
    """ICMPv4 (RFC 792) to the DUT: echo requests (valid or with a bad checksum), replies,
    errors quoting a datagram of the DUT's, timestamp and information requests, unknown
    types and codes."""
    quote = Ipv4Repr(src=addrs.dut_ip, dst=addrs.tester_ip, protocol=IPPROTO_UDP,
                     payload=bytes(8)).emit()
    messages = st.one_of(
        st.builds(lambda rest, p: Icmpv4Repr(8, 0, rest, p), u32, small_payloads),
        st.builds(lambda code, rest, p: Icmpv4Repr(8, code, rest, p), st.integers(1, 255), u32,
                  small_payloads),
        st.builds(lambda rest, p: Icmpv4Repr(0, 0, rest, p), u32, small_payloads),
        st.builds(lambda t, c: Icmpv4Repr(t, c, 0, quote), st.sampled_from([3, 4, 5, 11, 12]),
                  st.integers(0, 15)),
        st.builds(lambda t: Icmpv4Repr(t, 0, 0, bytes(12)), st.sampled_from([13, 15, 17])),
        st.builds(Icmpv4Repr, u8, u8, u32, small_payloads),
    )
    return st.builds(
        lambda msg, bad: _frame(addrs, _ip(addrs, IPPROTO_ICMP), _bad_icmp(msg) if bad else msg),
        messages, st.booleans())


def _bad_icmp(msg: Icmpv4Repr) -> Icmpv4Repr:
    good = Icmpv4Repr.parse(msg.emit()).checksum
    return Icmpv4Repr(msg.type, msg.code, msg.rest, msg.payload, (good + 1) % 0xFFFF)


_UDP_SHAPES = st.sampled_from(["valid", "bad_checksum", "no_checksum", "short_length",
                               "long_length"])
_SOURCE_PORTS = st.integers(1, 65535)


def udp_frames(addrs: LinkAddresses,
               ports: tuple[int, ...] = (7, 9, 53, 33434)) -> st.SearchStrategy[bytes]:
    """UDP (RFC 768) to the DUT's ``ports``: valid, with a bad checksum, with no checksum
    (0), with a length field shorter or longer than the datagram."""
    def build(sport: int, dport: int, payload: bytes, shape: str, n: int) -> bytes:
        udp = UdpRepr(sport, dport, payload)
        good = UdpRepr.parse(udp.emit(addrs.tester_ip, addrs.dut_ip))
        if shape == "bad_checksum":
            udp = UdpRepr(sport, dport, payload, checksum=(good.checksum % 0xFFFE) + 1)
        elif shape == "no_checksum":
            udp = UdpRepr(sport, dport, payload, checksum=0)
        elif shape == "short_length":
            udp = UdpRepr(sport, dport, payload, length=n % good.length)
        elif shape == "long_length":
            udp = UdpRepr(sport, dport, payload, length=good.length + 1 + n % 100)
        return _frame(addrs, _ip(addrs, IPPROTO_UDP), udp)
    return st.builds(build, _SOURCE_PORTS, st.sampled_from(ports), small_payloads, _UDP_SHAPES,
                     _ANY_SMALL)


# -- TCP -----------------------------------------------------------------------------------

def tcp_flags() -> st.SearchStrategy[int]:
    """Every one of the 256 combinations of the 8 control bits (RFC 9293 3.1, RFC 3168),
    with the ones that matter most drawn more often (and shrinking towards them)."""
    return st.one_of(st.sampled_from([0x02, 0x10, 0x04, 0x14, 0x11, 0x18, 0x12, 0x03, 0x00]),
                     st.integers(0, 0xFF))


tcp_option = st.one_of(
    st.just(TcpOptNop()),
    st.builds(TcpOptMss, st.sampled_from([0, 1, 88, 536, 1460, 0xFFFF])),
    st.builds(TcpOptWindowScale, st.sampled_from([0, 7, 14, 15, 255])),
    st.just(TcpOptSackPermitted()),
    st.builds(TcpOptTimestamps, u32, u32),
    st.builds(TcpOptSack, st.lists(st.tuples(u32, u32), min_size=1, max_size=3).map(tuple)),
    st.builds(TcpOptUnknown, st.sampled_from([6, 9, 19, 28, 30, 34, 253, 254]),
              st.binary(max_size=8)),
)


def _malformed_option_tail() -> st.SearchStrategy[TcpOptMalformed]:
    """Option bytes with broken framing: a lone kind, a length below 2, a length past the end
    of the option area."""
    return st.one_of(
        st.integers(2, 255).map(lambda kind: TcpOptMalformed(bytes((kind,)))),
        st.tuples(st.integers(2, 255), st.integers(0, 1)).map(
            lambda t: TcpOptMalformed(bytes(t) + b"\x00\x00")),
        st.tuples(st.integers(2, 255), st.integers(10, 255)).map(
            lambda t: TcpOptMalformed(bytes(t) + b"\x01\x01")),
    )


def tcp_option_lists(malformed: bool = True) -> st.SearchStrategy[tuple]:
    """TCP option lists (RFC 9293 3.2, RFC 7323, RFC 2018) that fit in 40 octets: any order,
    repeats, wrong lengths for a known kind (as ``TcpOptUnknown``), EOL with trailing bytes,
    and with ``malformed`` a broken last option (``TcpOptMalformed``)."""
    endings = [st.just(()), st.builds(TcpOptEol, st.binary(max_size=3)).map(lambda o: (o,))]
    if malformed:
        endings.append(_malformed_option_tail().map(lambda o: (o,)))
    lists = st.tuples(st.lists(tcp_option, max_size=5).map(tuple), st.one_of(*endings))
    return lists.map(lambda t: t[0] + t[1]).map(_fit_options)


def _fit_options(options: tuple) -> tuple:
    while options and sum(len(o.emit()) for o in options) > 40:
        options = options[:-1]
    return options


def seq_near(base: int, window: int) -> st.SearchStrategy[int]:
    """Sequence numbers in and around ``[base, base + window)`` (RFC 9293 3.4): the edges and
    one past them, inside, just before, far away (2**31), and anything at all."""
    edges = [0, -1, 1, window - 1, window, window + 1, -window, 1 << 31]
    offsets = st.one_of(st.sampled_from(edges), st.integers(-2 * window, 2 * window), u32)
    return offsets.map(lambda off: (base + off) % MOD32)


_EXTRA_FIELDS = st.one_of(
    st.just({}), st.just({}), st.just({}),
    st.builds(lambda v: {"urgent": v}, u16),
    st.builds(lambda v: {"reserved": v}, st.integers(1, 15)),
    st.builds(lambda v: {"data_offset": v}, st.integers(0, 15)),
    st.builds(lambda v: {"checksum": v}, st.integers(1, 0xFFFF)),
)
_WINDOWS = st.one_of(st.sampled_from([65535, 0, 1, 512]), u16)
_SEGMENT_PAYLOADS = st.one_of(st.just(b""), st.binary(min_size=1, max_size=32))


def _segment(conn: ConnectionView, flags: int, seq: int, ack: int, options: tuple,
             extra: dict, window: int, payload: bytes) -> TcpRepr:
    return TcpRepr(conn.tester_port, conn.dut_port, seq, ack, flags, window, payload, options,
                   **extra)


def tcp_segments(conn: ConnectionView,
                 flags: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[TcpRepr]:
    """TCP segments on ``conn``'s ports: any flags, seq near the DUT's window, ack near what
    the DUT sent, options well-formed or not, a little payload, sometimes urgent data, a
    reserved bit, a bogus data offset or a bad checksum."""
    options = st.one_of(st.just(()), _timestamped(conn), tcp_option_lists())
    return st.builds(_segment, st.just(conn), flags if flags is not None else tcp_flags(),
                     seq_near(conn.snd_nxt, conn.window), seq_near(conn.rcv_nxt, 65535),
                     options, _EXTRA_FIELDS, _WINDOWS, _SEGMENT_PAYLOADS)


def _timestamped(conn: ConnectionView) -> st.SearchStrategy[tuple]:
    """The options a well-behaved peer sends on the connection: a timestamp echoing the
    DUT's TSval (RFC 7323 3.2), padded with NOPs."""
    echo = conn.ts_echo if conn.ts_echo is not None else 0
    return st.builds(lambda tsval: (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(tsval, echo)),
                     st.integers(1, 1 << 20))


def tcp_frames(addrs: LinkAddresses, conn: ConnectionView,
               flags: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[bytes]:
    """:func:`tcp_segments` as whole frames (Ethernet + a valid IPv4 header)."""
    return tcp_segments(conn, flags).map(
        lambda seg: _frame(addrs, _ip(addrs, IPPROTO_TCP, df=True), seg))


# -- composed ------------------------------------------------------------------------------

def any_frame(addrs: LinkAddresses, conn: ConnectionView) -> st.SearchStrategy[bytes]:
    """One frame of any family above, TCP (on ``conn``) drawn most often."""
    return st.one_of(
        tcp_frames(addrs, conn), tcp_frames(addrs, conn),
        icmpv4_frames(addrs), udp_frames(addrs), ipv4_frames(addrs),
        ipv4_corrupted_frames(addrs), ipv4_option_frames(addrs),
        arp_frames(addrs), ethernet_frames(addrs),
    )


def frame_sequences(addrs: LinkAddresses, conn: ConnectionView,
                    max_frames: int = 2) -> st.SearchStrategy[tuple[bytes, ...]]:
    """Up to ``max_frames`` frames sent back to back (a fragment train counts as its frames,
    cut to ``max_frames``); shrinks towards a single frame."""
    singles = st.lists(any_frame(addrs, conn), min_size=1, max_size=max_frames).map(tuple)
    trains = ipv4_fragment_trains(addrs).map(lambda frames: frames[:max_frames])
    return st.one_of(singles, trains)
