"""The wire layer's hot-path helpers agree with the general codecs they stand in for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_stack.wire.checksum import fold, internet_checksum, verify, word_sum
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
from reference_stack.wire.ipv4 import (
    Ipv4Header,
    Ipv4Packet,
    Ipv4Repr,
    Ipv4Template,
    emit_plain_header,
)
from reference_stack.wire.tcp import (
    TcpOptNop,
    TcpOptTimestamps,
    TcpRepr,
    common_fields,
)
from tests.unit.wire.test_wire_checksum_addr import word_loop_checksum
from tests.unit.wire.wire_strategies import ip_addr, ipv4_reprs, tcp_reprs, u8, u16, u32


@given(st.binary(max_size=300), st.integers(0, 0x3FFFF))
def test_internet_checksum_is_word_loop_checksum(data, initial) -> None:
    assert internet_checksum(data, initial) == word_loop_checksum(data, initial)


@given(st.binary(max_size=300), st.integers(0, 0x3FFFF))
def test_verify_is_a_zero_checksum(data, initial) -> None:
    assert verify(data, initial) == (internet_checksum(data, initial) == 0)
    fixed = data[:2] + internet_checksum(data[:2] + b"\0\0" + data[4:], initial).to_bytes(
        2, "big") + data[4:]
    assert verify(fixed, initial) or len(data) < 4


@given(st.binary(max_size=100).map(lambda b: b[: len(b) & ~1]), st.binary(max_size=100))
def test_word_sums_of_parts_add_up(head, tail) -> None:
    assert fold(word_sum(head) + word_sum(tail)) == word_loop_checksum(head + tail)


@given(ip_addr, ip_addr, u8, st.integers(0, 1480), u8, u8, u16, st.booleans())
def test_plain_header_is_what_the_repr_emits(src, dst, proto, n, ttl, tos, ident, df) -> None:
    payload = bytes(n)
    expected = Ipv4Repr(src, dst, proto, payload, ttl=ttl, tos=tos, ident=ident, df=df).emit()
    assert emit_plain_header(src, dst, proto, n, ttl, tos, ident, df) + payload == expected


@given(ip_addr, ip_addr, u8, st.binary(max_size=1480), u8, u8, u16, st.booleans(),
       st.binary(min_size=6, max_size=6), st.binary(min_size=6, max_size=6))
def test_template_frame_is_what_the_reprs_emit(src, dst, proto, payload, ttl, tos, ident, df,
                                               dst_mac, src_mac) -> None:
    datagram = Ipv4Repr(src, dst, proto, payload, ttl=ttl, tos=tos, ident=ident, df=df).emit()
    expected = EthernetRepr(dst_mac, src_mac, ETH_P_IP, payload=datagram).emit()
    template = Ipv4Template(src, dst, proto, ttl, tos, df)
    assert template.frame(dst_mac, src_mac, payload, ident) == expected


@given(ipv4_reprs(), st.binary(max_size=4))
def test_header_fields_match_the_repr(r, padding) -> None:
    data = r.emit() + padding
    view, parsed = Ipv4Packet(data), Ipv4Repr.parse(data)
    assert (view.ihl, view.flag_reserved, view.version) == (parsed.ihl, parsed.flag_reserved,
                                                            parsed.version)
    if data[0] != 0x45:
        with pytest.raises(WireError):
            Ipv4Header(data)
        return
    header = Ipv4Header(data)
    for name in Ipv4Header.FIELDS:
        assert getattr(header, name) == getattr(parsed, name), name


def _check_common(data: bytes) -> None:
    fields = common_fields(data)
    if fields is None:
        return
    seg = TcpRepr.parse(data)
    sport, dport, seq, ack, flags, window, urgent, header_len, ts = fields
    assert (sport, dport, seq, ack, flags, window, urgent) == (
        seg.src_port, seg.dst_port, seg.seq, seg.ack, seg.flags, seg.window, seg.urgent)
    assert data[header_len:] == seg.payload
    assert ts == seg.timestamps
    assert seg.options in ((), (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(*ts or (0, 0))))


@given(tcp_reprs(), ip_addr, ip_addr)
def test_common_fields_agree_with_parse(r, src, dst) -> None:
    _check_common(r.emit(src, dst))


@given(u16, u16, u32, u32, u8, u16, st.binary(max_size=40), st.one_of(st.none(),
                                                                       st.tuples(u32, u32)))
def test_common_layouts_are_recognised(sport, dport, seq, ack, flags, window, payload, ts) -> None:
    opts = () if ts is None else (TcpOptNop(), TcpOptNop(), TcpOptTimestamps(*ts))
    data = TcpRepr(sport, dport, seq, ack, flags, window, payload, opts).emit(b"\1" * 4,
                                                                             b"\2" * 4)
    assert common_fields(data) is not None
    _check_common(data)
    assert common_fields(data[:19]) is None
