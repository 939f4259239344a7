"""Hypothesis strategies for wire Reprs with every computed field explicit.

They generate only Reprs in the image of ``parse`` (canonical option lists, lengths either exact
or in a range parse keeps whole), so ``parse(emit(r)) == r`` must hold for each of them.
"""

from hypothesis import strategies as st

from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.ethernet import EthernetRepr, VlanTag
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import (
    Ipv4OptEol,
    Ipv4OptLsrr,
    Ipv4OptMalformed,
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

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
ip_addr = st.binary(min_size=4, max_size=4)
mac_addr = st.binary(min_size=6, max_size=6)
payloads = st.binary(max_size=64)

# Body sizes each typed kind accepts (RFC 9293 3.2, RFC 7323, RFC 2018); any other size of a
# known kind must come back as TcpOptUnknown.
_TCP_TYPED_SIZES = {2: {2}, 3: {1}, 4: {0}, 8: {8}}
_IPV4_ROUTE_KINDS = {7, 131, 137}


def _tcp_body_is_untyped(kind: int, body: bytes) -> bool:
    if kind == 5:
        return len(body) == 0 or len(body) % 8 != 0
    return len(body) not in _TCP_TYPED_SIZES.get(kind, ())


def _ipv4_body_is_untyped(kind: int, body: bytes) -> bool:
    if kind in _IPV4_ROUTE_KINDS:
        return len(body) == 0 or (len(body) - 1) % 4 != 0
    if kind == 68:
        return len(body) < 2
    if kind == 148:
        return len(body) != 2
    return True


@st.composite
def _malformed_tail(draw) -> bytes:
    """Raw bytes whose first option has broken framing: a lone kind octet, a length below 2,
    or a length running past the end."""
    kind = draw(st.integers(2, 255))
    tail = draw(st.binary(max_size=6))
    shape = draw(st.sampled_from(["lone", "short", "overrun"]))
    if shape == "lone":
        return bytes((kind,))
    if shape == "short":
        return bytes((kind, draw(st.integers(0, 1)))) + tail
    # Overrun by more than 3, so padding to a word boundary keeps it an overrun.
    return bytes((kind, draw(st.integers(len(tail) + 6, 255)))) + tail


def _option_lists(middle, eol, malformed):
    """Canonical option lists: options, then optionally an EOL with padding or a malformed
    remainder (the walk stops at either)."""
    ending = st.one_of(
        st.just(()),
        st.builds(eol, st.binary(max_size=6)).map(lambda o: (o,)),
        _malformed_tail().map(lambda raw: (malformed(raw),)),
    )
    return st.tuples(st.lists(middle, max_size=6).map(tuple), ending).map(lambda t: t[0] + t[1])


tcp_option = st.one_of(
    st.just(TcpOptNop()),
    st.builds(TcpOptMss, u16),
    st.builds(TcpOptWindowScale, u8),
    st.just(TcpOptSackPermitted()),
    st.builds(TcpOptSack, st.lists(st.tuples(u32, u32), min_size=1, max_size=4).map(tuple)),
    st.builds(TcpOptTimestamps, u32, u32),
    st.builds(TcpOptUnknown, st.integers(2, 255), st.binary(max_size=12)).filter(
        lambda o: _tcp_body_is_untyped(o.kind, o.data)
    ),
)
tcp_options = _option_lists(tcp_option, TcpOptEol, TcpOptMalformed)

ipv4_option = st.one_of(
    st.just(Ipv4OptNop()),
    *(
        st.builds(cls, u8, st.lists(ip_addr, max_size=9).map(tuple))
        for cls in (Ipv4OptRecordRoute, Ipv4OptLsrr, Ipv4OptSsrr)
    ),
    st.builds(Ipv4OptTimestamp, u8, st.integers(0, 15), st.integers(0, 15), st.binary(max_size=36)),
    st.builds(Ipv4OptRouterAlert, u16),
    st.builds(Ipv4OptUnknown, st.integers(2, 255), st.binary(max_size=12)).filter(
        lambda o: _ipv4_body_is_untyped(o.kind, o.data)
    ),
)
ipv4_options = _option_lists(ipv4_option, Ipv4OptEol, Ipv4OptMalformed)


def _options_len(options) -> int:
    return sum(len(o.emit()) for o in options)


def _pad_to_word(options: tuple, eol_class, malformed_class) -> tuple:
    """Zero-pad the option list to whole 32-bit words the way parse reads it back: inside a
    trailing EOL's padding or malformed remainder, else as a new EOL."""
    missing = -_options_len(options) % 4
    if not missing:
        return options
    last = options[-1] if options else None
    if isinstance(last, eol_class):
        return options[:-1] + (eol_class(last.padding + bytes(missing)),)
    if isinstance(last, malformed_class):
        return options[:-1] + (malformed_class(last.raw + bytes(missing)),)
    return options + (eol_class(bytes(missing - 1)),)


@st.composite
def _options_and_words(draw, option_lists, eol_class, malformed_class, has_payload: bool):
    """(options, header length in 32-bit words) that parse reads back unchanged: exact,
    below 5 with no options, or beyond the options when nothing follows them."""
    options = draw(option_lists)
    if _options_len(options) > 36:
        options = ()
    shape = draw(st.sampled_from(["exact", "short", "long"]))
    if shape == "short":
        return (), draw(st.integers(0, 4))
    if shape == "long" and not has_payload:
        return options, draw(st.integers(5 + (_options_len(options) + 3) // 4, 15))
    options = _pad_to_word(options, eol_class, malformed_class)
    return options, 5 + _options_len(options) // 4


def _length_field(total: int, low_end: int):
    """A length field parse keeps whole: exact, beyond the buffer, or below ``low_end``."""
    choices = [st.just(total), st.integers(0, low_end - 1)]
    if total < 0xFFFF:
        choices.append(st.integers(total + 1, 0xFFFF))
    return st.one_of(choices)


@st.composite
def ipv4_reprs(draw) -> Ipv4Repr:
    payload = draw(payloads)
    options, ihl = draw(
        _options_and_words(ipv4_options, Ipv4OptEol, Ipv4OptMalformed, bool(payload))
    )
    size = 20 + _options_len(options) + len(payload)
    header_end = min(max(20, ihl * 4), size)
    return Ipv4Repr(
        src=draw(ip_addr),
        dst=draw(ip_addr),
        protocol=draw(u8),
        payload=payload,
        ttl=draw(u8),
        tos=draw(u8),
        ident=draw(u16),
        flag_reserved=draw(st.booleans()),
        df=draw(st.booleans()),
        mf=draw(st.booleans()),
        frag_offset=draw(st.integers(0, 0x1FFF)),
        ihl=ihl,
        total_length=draw(_length_field(size, header_end)),
        checksum=draw(u16),
        version=draw(st.integers(0, 15)),
        options=options,
    )


@st.composite
def tcp_reprs(draw) -> TcpRepr:
    payload = draw(payloads)
    options, data_offset = draw(
        _options_and_words(tcp_options, TcpOptEol, TcpOptMalformed, bool(payload))
    )
    return TcpRepr(
        src_port=draw(u16),
        dst_port=draw(u16),
        seq=draw(u32),
        ack=draw(u32),
        flags=draw(u8),
        window=draw(u16),
        payload=payload,
        options=options,
        urgent=draw(u16),
        data_offset=data_offset,
        reserved=draw(st.integers(0, 15)),
        checksum=draw(u16),
    )


@st.composite
def udp_reprs(draw) -> UdpRepr:
    payload = draw(payloads)
    length = draw(_length_field(8 + len(payload), 8))
    return UdpRepr(draw(u16), draw(u16), payload, length, draw(u16))


icmpv4_reprs = st.builds(Icmpv4Repr, u8, u8, u32, payloads, u16)

vlan_tags = st.builds(
    VlanTag,
    st.sampled_from([0x8100, 0x88A8]),
    st.integers(0, 7),
    st.integers(0, 1),
    st.integers(0, 0xFFF),
)
ethernet_reprs = st.builds(
    EthernetRepr,
    mac_addr,
    mac_addr,
    u16.filter(lambda t: t not in (0x8100, 0x88A8)),
    st.lists(vlan_tags, max_size=3).map(tuple),
    payloads,
)


@st.composite
def arp_reprs(draw) -> ArpRepr:
    hlen = draw(st.integers(0, 16))
    plen = draw(st.integers(0, 16))
    hw = st.binary(min_size=hlen, max_size=hlen)
    proto = st.binary(min_size=plen, max_size=plen)
    return ArpRepr(
        draw(u16), draw(hw), draw(proto), draw(hw), draw(proto), draw(u16), draw(u16), hlen, plen
    )
