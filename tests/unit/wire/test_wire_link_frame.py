"""Ethernet/802.1Q, ARP, and whole-frame dissection."""

import pytest

from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.arp import ARP_REPLY, ARP_REQUEST, ArpPacket, ArpRepr
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import (
    ETH_P_8021AD,
    ETH_P_8021Q,
    ETH_P_ARP,
    ETH_P_IP,
    ETH_P_IPV6,
    EthernetFrame,
    EthernetRepr,
    VlanTag,
)
from reference_stack.wire.frame import build_frame, dissect
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4Repr
from reference_stack.wire.tcp import SYN, TcpRepr
from reference_stack.wire.udp import UdpRepr

MAC_A = mac("02:00:00:00:00:01")
MAC_B = mac("02:00:00:00:00:02")
IP_A = ip4("198.18.0.1")
IP_B = ip4("198.18.0.2")


def test_ethernet_layout_without_padding():
    wire = EthernetRepr(MAC_B, MAC_A, ETH_P_IP, payload=b"abc").emit()
    assert wire == MAC_B + MAC_A + b"\x08\x00abc"
    frame = EthernetFrame.new_checked(wire)
    assert (frame.dst, frame.src, frame.ethertype, frame.payload) == (
        MAC_B,
        MAC_A,
        ETH_P_IP,
        b"abc",
    )


def test_vlan_tags_outermost_first():
    tags = (VlanTag(ETH_P_8021AD, pcp=5, dei=1, vid=100), VlanTag(vid=4095))
    wire = EthernetRepr(MAC_B, MAC_A, ETH_P_IPV6, tags, b"x").emit()
    assert wire[12:22] == bytes.fromhex("88a8 b064 8100 0fff 86dd")
    parsed = EthernetRepr.parse(wire)
    assert parsed.vlans == tags and parsed.ethertype == ETH_P_IPV6 and parsed.payload == b"x"


def test_truncated_ethernet_and_vlan_raise():
    with pytest.raises(WireError, match="truncated header"):
        EthernetRepr.parse(bytes(13))
    tagged = MAC_B + MAC_A + ETH_P_8021Q.to_bytes(2, "big") + b"\x00"
    with pytest.raises(WireError, match="truncated vlan tag"):
        EthernetRepr.parse(tagged)


def test_arp_request_and_reply():
    request = ArpRepr(ARP_REQUEST, MAC_A, IP_A, bytes(6), IP_B)
    wire = request.emit()
    assert wire[:8] == bytes.fromhex("0001080006040001")
    assert ArpRepr.parse(wire + bytes(18)) == request  # link padding dropped
    assert request.summary() == "ARP who-has 198.18.0.2 tell 198.18.0.1"
    reply = ArpRepr(ARP_REPLY, MAC_B, IP_B, MAC_A, IP_A)
    assert reply.summary() == "ARP reply 198.18.0.2 is-at 02:00:00:00:00:02"
    packet = ArpPacket.new_checked(wire)
    assert (packet.sha, packet.spa, packet.tha, packet.tpa) == (MAC_A, IP_A, bytes(6), IP_B)


def test_arp_other_address_sizes():
    odd = ArpRepr(
        ARP_REQUEST, b"\x01" * 8, b"\x02" * 16, b"\x03" * 8, b"\x04" * 16, 6, 0x86DD, 8, 16
    )
    assert ArpRepr.parse(odd.emit()) == odd
    with pytest.raises(WireError, match="truncated addresses"):
        ArpRepr.parse(odd.emit()[:-1])
    with pytest.raises(WireError, match="truncated header"):
        ArpRepr.parse(bytes(7))


def ip(protocol: int, **fields) -> Ipv4Repr:
    return Ipv4Repr(IP_A, IP_B, protocol, **fields)


def test_dissect_tcp_frame():
    frame = build_frame(MAC_A, MAC_B, ip(IPPROTO_TCP), TcpRepr(40000, 80, 1, 2, SYN, 64240))
    result = dissect(frame + bytes(6))  # link padding up to 60 octets
    assert result.error is None and result.eth.src == MAC_A and result.eth.dst == MAC_B
    assert result.ipv4.header_checksum_ok() and result.ipv4.payload == result.tcp.emit(IP_A, IP_B)
    assert result.tcp.checksum_ok(IP_A, IP_B) and result.tcp.seq == 1
    assert (result.udp, result.icmpv4, result.arp) == (None, None, None)
    assert result.l4 is result.tcp
    assert result.summary().endswith("TCP 40000 > 80 [S] seq=1 ack=2 win=64240 len=0")


def test_dissect_udp_icmp_arp():
    udp = dissect(build_frame(MAC_A, MAC_B, ip(IPPROTO_UDP), UdpRepr(1, 2, b"abc")))
    assert udp.udp.payload == b"abc" and udp.udp.checksum_ok(IP_A, IP_B)
    icmp = dissect(build_frame(MAC_A, MAC_B, ip(IPPROTO_ICMP), Icmpv4Repr.echo_request(3, 4)))
    assert icmp.icmpv4.ident == 3 and icmp.icmpv4.checksum_ok()
    arp_frame = EthernetRepr(
        MAC_B, MAC_A, ETH_P_ARP, payload=ArpRepr(ARP_REQUEST, MAC_A, IP_A, bytes(6), IP_B).emit()
    ).emit()
    arp = dissect(arp_frame)
    assert arp.arp.tpa == IP_B and arp.ipv4 is None and arp.error is None


def test_dissect_reports_the_first_failing_layer():
    assert dissect(bytes(10)).error == "eth: truncated header"
    short_ip = EthernetRepr(MAC_B, MAC_A, ETH_P_IP, payload=bytes(10)).emit()
    result = dissect(short_ip)
    assert (
        result.error == "ipv4: truncated header" and result.eth is not None and result.ipv4 is None
    )
    frame = build_frame(MAC_A, MAC_B, ip(IPPROTO_TCP, payload=bytes(12)))
    result = dissect(frame)
    assert (
        result.error == "tcp: truncated header" and result.ipv4 is not None and result.tcp is None
    )
    assert "error: tcp: truncated header" in result.summary()
    arp = dissect(EthernetRepr(MAC_B, MAC_A, ETH_P_ARP, payload=bytes(7)).emit())
    assert arp.error == "arp: truncated header"


def test_dissect_leaves_later_fragments_and_other_protocols_alone():
    tcp_bytes = TcpRepr(1, 2).emit(IP_A, IP_B)
    later = dissect(build_frame(MAC_A, MAC_B, ip(IPPROTO_TCP, payload=tcp_bytes, frag_offset=1)))
    assert later.ipv4 is not None and later.tcp is None and later.error is None
    first = dissect(build_frame(MAC_A, MAC_B, ip(IPPROTO_TCP, payload=tcp_bytes, mf=True)))
    assert first.tcp is not None
    other = dissect(build_frame(MAC_A, MAC_B, ip(47, payload=b"gre")))
    assert other.ipv4.protocol == 47 and other.l4 is None and other.error is None
    ipv6 = dissect(EthernetRepr(MAC_B, MAC_A, ETH_P_IPV6, payload=bytes(40)).emit())
    # IPv6 is dissected (wire/ipv6.py): forty zero octets are a Hop-by-Hop header that is
    # not there (Next Header 0).
    assert ipv6.ipv4 is None and ipv6.ipv6 is not None
    assert ipv6.error == "ipv6: truncated options header"


def test_dissect_tagged_frame():
    inner = build_frame(MAC_A, MAC_B, ip(IPPROTO_UDP), UdpRepr(1, 2))
    eth = EthernetRepr.parse(inner)
    tagged = EthernetRepr(eth.dst, eth.src, eth.ethertype, (VlanTag(vid=7),), eth.payload).emit()
    result = dissect(tagged)
    assert result.eth.vlans[0].vid == 7 and result.udp is not None
