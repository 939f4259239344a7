"""An independent decoder (scapy) reads what we emit the same way, checksums included."""

from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, TCP, UDP, in4_chksum
from scapy.layers.l2 import ARP, Dot1Q, Ether
from wire_strategies import (
    icmpv4_reprs,
    ip_addr,
    payloads,
    tcp_option,
    u8,
    u16,
    u32,
)

from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.ethernet import EthernetRepr, VlanTag
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.tcp import TcpRepr
from reference_stack.wire.udp import UdpRepr

# Types scapy lays out as type, code, checksum, 32-bit word, data (it adds fields to others,
# e.g. timestamp and address mask messages, and fails on some unassigned ones).
SCAPY_GENERIC_ICMP_TYPES = (0, 3, 4, 5, 8, 11, 12)
SCAPY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def recomputed_checksum(layer) -> int:
    """scapy's own checksum for ``layer`` (it recomputes a deleted chksum on build)."""
    fresh = layer.copy()
    del fresh.chksum
    return type(fresh)(bytes(fresh)).chksum


@SCAPY
@given(ip_addr, ip_addr, u8, payloads, u8, u16, st.booleans(), st.integers(0, 0x1FFF))
def test_ipv4_fields_and_checksum(src, dst, protocol, payload, ttl, ident, df, frag):
    r = Ipv4Repr(src, dst, protocol, payload, ttl=ttl, ident=ident, df=df, frag_offset=frag)
    packet = IP(r.emit())
    assert (packet.src, packet.dst) == (".".join(map(str, src)), ".".join(map(str, dst)))
    assert (packet.proto, packet.ttl, packet.id, packet.frag) == (protocol, ttl, ident, frag)
    assert packet.flags.DF == df and packet.len == 20 + len(payload) and packet.ihl == 5
    assert packet.chksum == recomputed_checksum(packet)


@SCAPY
@given(
    ip_addr,
    ip_addr,
    u16,
    u16,
    u32,
    u32,
    u8,
    u16,
    payloads,
    st.lists(tcp_option, max_size=4).map(tuple),
)
def test_tcp_fields_and_checksum(src, dst, sport, dport, seq, ack, flags, window, payload, opts):
    assume(sum(len(o.emit()) for o in opts) <= 40)
    r = TcpRepr(sport, dport, seq, ack, flags, window, payload, opts)
    segment = r.emit(src, dst)
    packet = IP(Ipv4Repr(src, dst, 6, segment).emit())[TCP]
    assert (packet.sport, packet.dport, packet.seq, packet.ack) == (sport, dport, seq, ack)
    assert (int(packet.flags), packet.window) == (flags, window)
    assert packet.dataofs * 4 == len(segment) - len(payload)
    assert bytes(packet.payload) == payload
    # scapy's own sum over our raw bytes: rebuilding from its fields would re-encode options
    # it knows differently (e.g. an MD5 option, kind 19, without its 16-octet digest).
    zeroed = segment[:16] + b"\0\0" + segment[18:]
    assert packet.chksum == in4_chksum(6, packet.underlayer, zeroed)


@SCAPY
@given(ip_addr, ip_addr, u16, u16, payloads)
def test_udp_fields_and_checksum(src, dst, sport, dport, payload):
    datagram = UdpRepr(sport, dport, payload).emit(src, dst)
    packet = IP(Ipv4Repr(src, dst, 17, datagram).emit())[UDP]
    assert (packet.sport, packet.dport, packet.len) == (sport, dport, 8 + len(payload))
    assert packet.chksum == recomputed_checksum(packet)


@SCAPY
@given(icmpv4_reprs, st.sampled_from(SCAPY_GENERIC_ICMP_TYPES))
def test_icmp_fields_and_checksum(r, icmp_type):
    r = replace(r, type=icmp_type)
    packet = ICMP(replace(r, checksum=None).emit())
    assert (packet.type, packet.code) == (r.type, r.code)
    assert packet.chksum == recomputed_checksum(packet)


def test_scapy_built_frames_parse_to_the_same_fields():
    frames = [
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / Dot1Q(vlan=9, prio=2)
        / IP(src="198.18.0.1", dst="198.18.0.2", ttl=9, id=77, flags="DF", options=[])
        / TCP(
            sport=40000,
            dport=80,
            seq=5,
            ack=6,
            flags="PA",
            window=100,
            options=[("MSS", 1400), ("NOP", None), ("WScale", 3), ("SAckOK", b"")],
        )
        / b"payload",
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src="198.18.0.1", dst="198.18.0.2")
        / UDP(sport=5, dport=6)
        / b"u",
        Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff")
        / ARP(hwsrc="02:00:00:00:00:01", psrc="198.18.0.1", pdst="198.18.0.2"),
    ]
    tcp_eth = EthernetRepr.parse(bytes(frames[0]))
    assert tcp_eth.vlans == (VlanTag(pcp=2, vid=9),)
    ip = Ipv4Repr.parse(tcp_eth.payload)
    assert (ip.ttl, ip.ident, ip.df) == (9, 77, True) and ip.header_checksum_ok()
    tcp = TcpRepr.parse(ip.payload)
    assert (tcp.seq, tcp.ack, tcp.window, tcp.payload) == (5, 6, 100, b"payload")
    assert (tcp.mss, tcp.window_scale, tcp.sack_permitted) == (1400, 3, True)
    assert tcp.checksum_ok(ip.src, ip.dst)
    udp = UdpRepr.parse(Ipv4Repr.parse(EthernetRepr.parse(bytes(frames[1])).payload).payload)
    assert (udp.src_port, udp.dst_port, udp.payload) == (5, 6, b"u")
    arp = ArpRepr.parse(EthernetRepr.parse(bytes(frames[2])).payload)
    assert arp.op == 1 and arp.tpa == bytes((198, 18, 0, 2))
    assert Icmpv4Repr.parse(bytes(ICMP(id=3, seq=4))).ident == 3
