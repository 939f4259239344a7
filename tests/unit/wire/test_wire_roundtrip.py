"""parse(emit(r)) == r for every Repr with computed fields explicit, and emit(parse(b)) == b
(up to the trailing bytes a length field excludes) for arbitrary bytes."""

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_strategies import (
    arp_reprs,
    ethernet_reprs,
    icmpv4_reprs,
    ip_addr,
    ipv4_reprs,
    mac_addr,
    tcp_reprs,
    udp_reprs,
)

from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import EthernetRepr
from reference_stack.wire.frame import build_frame, dissect
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4Repr
from reference_stack.wire.tcp import TcpRepr
from reference_stack.wire.udp import UdpRepr

ROUNDTRIP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BYTES = settings(max_examples=300, deadline=None)

COMPUTED_L4_FIELDS = {
    TcpRepr: ("data_offset", "checksum"),
    UdpRepr: ("length", "checksum"),
    Icmpv4Repr: ("checksum",),
}
L4_PROTOCOLS = {TcpRepr: IPPROTO_TCP, UdpRepr: IPPROTO_UDP, Icmpv4Repr: IPPROTO_ICMP}


@ROUNDTRIP
@given(ethernet_reprs)
def test_ethernet_roundtrip(r):
    assert EthernetRepr.parse(r.emit()) == r


@ROUNDTRIP
@given(arp_reprs())
def test_arp_roundtrip(r):
    assert ArpRepr.parse(r.emit()) == r


@ROUNDTRIP
@given(ipv4_reprs())
def test_ipv4_roundtrip(r):
    assert Ipv4Repr.parse(r.emit()) == r


@ROUNDTRIP
@given(icmpv4_reprs)
def test_icmpv4_roundtrip(r):
    assert Icmpv4Repr.parse(r.emit()) == r


@ROUNDTRIP
@given(udp_reprs(), ip_addr, ip_addr)
def test_udp_roundtrip(r, src, dst):
    assert UdpRepr.parse(r.emit(src, dst)) == r


@ROUNDTRIP
@given(tcp_reprs(), ip_addr, ip_addr)
def test_tcp_roundtrip(r, src, dst):
    assert TcpRepr.parse(r.emit(src, dst)) == r


@ROUNDTRIP
@given(ipv4_reprs())
def test_ipv4_computed_fields_verify(r):
    """With ihl/total_length/checksum left to emit, they come back consistent and valid."""
    r = replace(r, ihl=None, total_length=None, checksum=None)
    wire = r.emit()
    parsed = Ipv4Repr.parse(wire)
    assert parsed.header_checksum_ok()
    assert parsed.total_length == len(wire)
    assert parsed.ihl * 4 <= len(wire) and len(wire) - parsed.ihl * 4 == len(r.payload)
    assert parsed.payload == r.payload


@ROUNDTRIP
@given(tcp_reprs(), ip_addr, ip_addr)
def test_tcp_computed_fields_verify(r, src, dst):
    r = replace(r, data_offset=None, checksum=None)
    parsed = TcpRepr.parse(r.emit(src, dst))
    assert parsed.checksum_ok(src, dst)
    assert parsed.payload == r.payload
    assert parsed.data_offset * 4 == len(r.emit(src, dst)) - len(r.payload)


@ROUNDTRIP
@given(udp_reprs(), ip_addr, ip_addr)
def test_udp_computed_fields_verify(r, src, dst):
    r = replace(r, length=None, checksum=None)
    parsed = UdpRepr.parse(r.emit(src, dst))
    assert parsed.checksum_ok(src, dst)
    assert parsed.checksum != 0  # RFC 768: a computed 0 is sent as 0xFFFF
    assert parsed.length == 8 + len(r.payload)


@ROUNDTRIP
@given(icmpv4_reprs)
def test_icmpv4_computed_checksum_verifies(r):
    parsed = Icmpv4Repr.parse(replace(r, checksum=None).emit())
    assert parsed.checksum_ok()


def _parses_or_wire_error(parse, data):
    try:
        return parse(data)
    except WireError:
        return None


@BYTES
@given(st.binary(max_size=120))
def test_ethernet_icmp_tcp_reemit_arbitrary_bytes_exactly(data):
    for parsed in (
        _parses_or_wire_error(EthernetRepr.parse, data),
        _parses_or_wire_error(Icmpv4Repr.parse, data),
    ):
        if parsed is not None:
            assert parsed.emit() == data
    tcp = _parses_or_wire_error(TcpRepr.parse, data)
    if tcp is not None:
        assert tcp.emit(b"\0" * 4, b"\0" * 4) == data


@BYTES
@given(st.binary(min_size=20, max_size=120), st.booleans())
def test_ipv4_reemit_arbitrary_bytes_up_to_total_length(data, plausible):
    if plausible:  # a real version/IHL octet reaches the option and length logic more often
        data = bytes((0x40 | (data[0] & 0x0F),)) + data[1:]
    parsed = Ipv4Repr.parse(data)
    header_end = min(max(20, (data[0] & 0x0F) * 4), len(data))
    total = int.from_bytes(data[2:4], "big")
    expected = data[:total] if header_end <= total <= len(data) else data
    assert parsed.emit() == expected


@BYTES
@given(st.binary(min_size=8, max_size=64))
def test_udp_reemit_arbitrary_bytes_up_to_length(data):
    parsed = UdpRepr.parse(data)
    length = int.from_bytes(data[4:6], "big")
    expected = data[:length] if 8 <= length <= len(data) else data
    assert parsed.emit(b"\0" * 4, b"\0" * 4) == expected


@BYTES
@given(st.binary(min_size=8, max_size=64))
def test_arp_reemit_arbitrary_bytes_up_to_addresses(data):
    parsed = _parses_or_wire_error(ArpRepr.parse, data)
    needed = 8 + 2 * (data[4] + data[5])
    if needed > len(data):
        assert parsed is None
    else:
        assert parsed.emit() == data[:needed]


@ROUNDTRIP
@given(
    ipv4_reprs(),
    st.one_of(tcp_reprs(), udp_reprs(), icmpv4_reprs),
    mac_addr,
    mac_addr,
)
def test_dissect_of_built_frame_recovers_every_layer(ip, l4, eth_src, eth_dst):
    l4 = replace(l4, **{name: None for name in COMPUTED_L4_FIELDS[type(l4)]})
    ip = replace(
        ip,
        ihl=None,
        total_length=None,
        checksum=None,
        version=4,
        frag_offset=0,
        protocol=L4_PROTOCOLS[type(l4)],
        payload=b"",
    )
    result = dissect(build_frame(eth_src, eth_dst, ip, l4))
    assert result.error is None
    assert (result.eth.src, result.eth.dst) == (eth_src, eth_dst)
    assert result.ipv4.header_checksum_ok() and result.ipv4.src == ip.src
    got = result.l4
    if isinstance(l4, Icmpv4Repr):
        alone = l4.emit()
    else:
        alone = l4.emit(ip.src, ip.dst)
    assert got == type(l4).parse(alone) and got.payload == l4.payload
    if isinstance(got, Icmpv4Repr):
        assert got.checksum_ok()
    else:
        assert got.checksum_ok(ip.src, ip.dst)
