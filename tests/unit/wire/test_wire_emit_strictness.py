"""emit refuses values that do not fit their field, rather than spilling into neighbours."""

import pytest

from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.arp import ARP_REQUEST, ArpRepr
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr, VlanTag
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import (
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptTimestamp,
    Ipv4OptUnknown,
    Ipv4Repr,
)
from reference_stack.wire.tcp import TcpOptSack, TcpOptWindowScale, TcpRepr
from reference_stack.wire.udp import UdpRepr

IP = ip4("198.18.0.1")
MAC = mac("02:00:00:00:00:01")


@pytest.mark.parametrize(
    "emit",
    [
        lambda: Ipv4Repr(IP, IP, 6, ihl=16).emit(),
        lambda: Ipv4Repr(IP, IP, 6, version=16).emit(),
        lambda: Ipv4Repr(IP, IP, 6, frag_offset=0x2000).emit(),
        lambda: Ipv4Repr(IP, IP, 6, ttl=256).emit(),
        lambda: Ipv4Repr(IP, IP, 6, total_length=0x10000).emit(),
        lambda: Ipv4Repr(IP[:3], IP, 6).emit(),
        lambda: Ipv4Repr(IP, IP, 6, options=(Ipv4OptRecordRoute(4, (b"\x01",)),)).emit(),
        lambda: Ipv4Repr(IP, IP, 6, options=(Ipv4OptTimestamp(5, 16, 0),)).emit(),
        lambda: Ipv4Repr(IP, IP, 6, options=(Ipv4OptRouterAlert(0x10000),)).emit(),
        lambda: Ipv4Repr(IP, IP, 6, options=(Ipv4OptUnknown(300, b""),)).emit(),
        lambda: Ipv4Repr(IP, IP, 6, options=(Ipv4OptUnknown(0x82, bytes(254)),)).emit(),
        lambda: TcpRepr(1, 2, data_offset=16).emit(IP, IP),
        lambda: TcpRepr(1, 2, reserved=16).emit(IP, IP),
        lambda: TcpRepr(1, 2, seq=1 << 32).emit(IP, IP),
        lambda: TcpRepr(1, 2, flags=0x100).emit(IP, IP),
        lambda: TcpRepr(1, 2, options=(TcpOptWindowScale(256),)).emit(IP, IP),
        lambda: TcpRepr(1, 2, options=(TcpOptSack(((1 << 32, 0),)),)).emit(IP, IP),
        lambda: UdpRepr(1, 2, length=-1).emit(IP, IP),
        lambda: Icmpv4Repr(256).emit(),
        lambda: Icmpv4Repr.dest_unreachable(4, b"", mtu=0x10000),
        lambda: Icmpv4Repr.param_problem(256, b""),
        lambda: Icmpv4Repr.redirect(0, b"\x01\x02", b""),
        lambda: EthernetRepr(MAC, MAC, ETH_P_IP, (VlanTag(vid=4096),)).emit(),
        lambda: EthernetRepr(MAC, MAC, ETH_P_IP, (VlanTag(pcp=8),)).emit(),
        lambda: EthernetRepr(MAC, MAC, ETH_P_IP, (VlanTag(dei=2),)).emit(),
        lambda: EthernetRepr(MAC[:5], MAC, ETH_P_IP).emit(),
        lambda: EthernetRepr(MAC, MAC, 0x10000).emit(),
        lambda: ArpRepr(ARP_REQUEST, MAC[:5], IP, MAC, IP).emit(),
        lambda: ArpRepr(ARP_REQUEST, MAC, IP, MAC, IP + b"\x00").emit(),
    ],
)
def test_out_of_range_values_raise_wire_error(emit):
    with pytest.raises(WireError, match="cannot emit|too long"):
        emit()
