"""The checked views read the same fields as Repr.parse on well-formed packets."""

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from wire_strategies import (
    arp_reprs,
    ethernet_reprs,
    icmpv4_reprs,
    ip_addr,
    ipv4_reprs,
    tcp_reprs,
    udp_reprs,
)

from reference_stack.wire.arp import ArpPacket, ArpRepr
from reference_stack.wire.ethernet import EthernetFrame, EthernetRepr
from reference_stack.wire.icmpv4 import Icmpv4Packet
from reference_stack.wire.ipv4 import Ipv4Packet, Ipv4Repr
from reference_stack.wire.ipv4_options import emit_ipv4_options
from reference_stack.wire.tcp import TcpPacket, TcpRepr
from reference_stack.wire.tcp_options import emit_tcp_options
from reference_stack.wire.udp import UdpPacket

VIEWS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@VIEWS
@given(ethernet_reprs)
def test_ethernet_view(r):
    wire = r.emit()
    view = EthernetFrame.new_checked(wire)
    outer = r.vlans[0].tpid if r.vlans else r.ethertype
    assert (view.dst, view.src, view.ethertype) == (r.dst, r.src, outer)
    assert EthernetRepr.parse(wire).payload == wire[14 + 4 * len(r.vlans) :]


@VIEWS
@given(arp_reprs())
def test_arp_view(r):
    view = ArpPacket.new_checked(r.emit())
    assert (
        ArpRepr(
            view.op,
            view.sha,
            view.spa,
            view.tha,
            view.tpa,
            view.htype,
            view.ptype,
            view.hlen,
            view.plen,
        )
        == r
    )


@VIEWS
@given(ipv4_reprs())
def test_ipv4_view(r):
    r = replace(r, ihl=None, total_length=None, checksum=None, version=4)
    wire = r.emit()
    view = Ipv4Packet.new_checked(wire)
    parsed = Ipv4Repr.parse(wire)
    assert (view.version, view.header_len, view.total_length) == (4, parsed.ihl * 4, len(wire))
    assert (view.tos, view.ident, view.ttl, view.protocol) == (r.tos, r.ident, r.ttl, r.protocol)
    assert (view.df, view.mf, view.frag_offset) == (r.df, r.mf, r.frag_offset)
    assert (view.src, view.dst, view.checksum) == (r.src, r.dst, parsed.checksum)
    assert view.options == emit_ipv4_options(parsed.options)
    assert view.payload == r.payload and view.header_checksum_ok()


@VIEWS
@given(icmpv4_reprs)
def test_icmpv4_view(r):
    view = Icmpv4Packet.new_checked(r.emit())
    assert (view.type, view.code, view.checksum, view.rest) == (r.type, r.code, r.checksum, r.rest)
    assert view.payload == r.payload


@VIEWS
@given(udp_reprs(), ip_addr, ip_addr)
def test_udp_view(r, src, dst):
    r = replace(r, length=None)
    view = UdpPacket.new_checked(r.emit(src, dst))
    assert (view.src_port, view.dst_port, view.checksum) == (r.src_port, r.dst_port, r.checksum)
    assert view.length == 8 + len(r.payload) and view.payload == r.payload


@VIEWS
@given(tcp_reprs(), ip_addr, ip_addr)
def test_tcp_view(r, src, dst):
    r = replace(r, data_offset=None, checksum=None)
    wire = r.emit(src, dst)
    view = TcpPacket.new_checked(wire)
    parsed = TcpRepr.parse(wire)
    assert (view.src_port, view.dst_port, view.seq, view.ack) == (
        r.src_port,
        r.dst_port,
        r.seq,
        r.ack,
    )
    assert (view.flags, view.window, view.urgent) == (r.flags, r.window, r.urgent)
    assert view.header_len == parsed.data_offset * 4 and view.checksum == parsed.checksum
    assert view.options == emit_tcp_options(parsed.options) and view.payload == r.payload
    assert view.checksum_ok(src, dst)
