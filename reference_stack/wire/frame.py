"""Whole-frame dissection (Ethernet -> ARP | IPv4 -> ICMPv4 | UDP | TCP, and IPv6 ->
extension headers -> ICMPv6 | UDP | TCP) and building."""

from dataclasses import dataclass

from reference_stack.wire.arp import ArpRepr
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, EthernetRepr
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv4 import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4Repr
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Chain, parse_chain
from reference_stack.wire.tcp import TcpRepr
from reference_stack.wire.udp import UdpRepr

# protocol -> (layer name used in errors, parser)
_L4 = {
    IPPROTO_ICMP: ("icmpv4", Icmpv4Repr.parse),
    IPPROTO_UDP: ("udp", UdpRepr.parse),
    IPPROTO_TCP: ("tcp", TcpRepr.parse),
}


@dataclass(frozen=True, slots=True)
class Dissected:
    """Every layer that parsed; ``error`` names the first one that did not
    (e.g. ``"tcp: truncated header"``), and the layers above it are None."""

    eth: EthernetRepr | None = None
    arp: ArpRepr | None = None
    ipv4: Ipv4Repr | None = None
    icmpv4: Icmpv4Repr | None = None
    udp: UdpRepr | None = None
    tcp: TcpRepr | None = None
    error: str | None = None
    ipv6: Ipv6Repr | None = None
    ipv6_ext: Ipv6Chain | None = None  # the extension headers (present with every ipv6)
    icmpv6: Icmpv6Repr | None = None

    @property
    def l4(self) -> Icmpv4Repr | Icmpv6Repr | UdpRepr | TcpRepr | None:
        return self.tcp or self.udp or self.icmpv4 or self.icmpv6

    @property
    def ip(self) -> Ipv4Repr | Ipv6Repr | None:
        return self.ipv4 or self.ipv6

    def summary(self) -> str:
        ext = self.ipv6_ext if self.ipv6_ext is not None and self.ipv6_ext.headers else None
        layers = (self.eth, self.arp, self.ipv4, self.ipv6, ext, self.icmpv4, self.icmpv6,
                  self.udp, self.tcp)
        parts = [layer.summary() for layer in layers if layer is not None]
        if self.error is not None:
            parts.append(f"error: {self.error}")
        return " | ".join(parts)


def dissect(frame: bytes) -> Dissected:
    """Parse as many layers as the frame holds; never raises.

    IPv4 payloads are dissected as L4 only for version 4 and for the first fragment
    (RFC 791 3.2: later fragments carry no transport header).
    """
    try:
        eth = EthernetRepr.parse(frame)
    except WireError as e:
        return Dissected(error=f"eth: {e.reason}")
    if eth.ethertype == ETH_P_ARP:
        try:
            return Dissected(eth=eth, arp=ArpRepr.parse(eth.payload))
        except WireError as e:
            return Dissected(eth=eth, error=f"arp: {e.reason}")
    if eth.ethertype == ETH_P_IPV6:
        return _dissect_ipv6(eth)
    if eth.ethertype != ETH_P_IP:
        return Dissected(eth=eth)
    try:
        ipv4 = Ipv4Repr.parse(eth.payload)
    except WireError as e:
        return Dissected(eth=eth, error=f"ipv4: {e.reason}")
    protocol = ipv4.protocol
    if protocol not in _L4 or ipv4.version != 4 or ipv4.frag_offset != 0:
        return Dissected(eth=eth, ipv4=ipv4)
    name, parse = _L4[protocol]
    try:
        l4 = parse(ipv4.payload)
    except WireError as e:
        return Dissected(eth=eth, ipv4=ipv4, error=f"{name}: {e.reason}")
    if protocol == IPPROTO_TCP:
        return Dissected(eth=eth, ipv4=ipv4, tcp=l4)
    if protocol == IPPROTO_UDP:
        return Dissected(eth=eth, ipv4=ipv4, udp=l4)
    return Dissected(eth=eth, ipv4=ipv4, icmpv4=l4)


_L4_V6 = {
    IPPROTO_ICMPV6: ("icmpv6", Icmpv6Repr.parse),
    IPPROTO_UDP: ("udp", UdpRepr.parse),
    IPPROTO_TCP: ("tcp", TcpRepr.parse),
}


def _dissect_ipv6(eth: EthernetRepr) -> Dissected:
    """IPv6, its extension headers (RFC 8200 4), then the upper layer, for version 6 and an
    unfragmented packet or first fragment (RFC 8200 4.5: later ones carry no upper header)."""
    try:
        ipv6 = Ipv6Repr.parse(eth.payload)
    except WireError as e:
        return Dissected(eth=eth, error=f"ipv6: {e.reason}")
    chain = parse_chain(ipv6.next_header, ipv6.payload)
    if chain.error is not None:
        return Dissected(eth=eth, ipv6=ipv6, ipv6_ext=chain, error=f"ipv6: {chain.error}")
    fragment = chain.fragment
    protocol = chain.upper_protocol
    if (protocol not in _L4_V6 or ipv6.version != 6
            or (fragment is not None and fragment.frag_offset != 0)):
        return Dissected(eth=eth, ipv6=ipv6, ipv6_ext=chain)
    name, parse = _L4_V6[protocol]
    try:
        l4 = parse(chain.upper)
    except WireError as e:
        return Dissected(eth=eth, ipv6=ipv6, ipv6_ext=chain, error=f"{name}: {e.reason}")
    return Dissected(eth=eth, ipv6=ipv6, ipv6_ext=chain, **{name: l4})


def build_frame(
    eth_src: bytes,
    eth_dst: bytes,
    ipv4: Ipv4Repr,
    l4: Icmpv4Repr | UdpRepr | TcpRepr | None = None,
) -> bytes:
    """Ethernet + IPv4, with ``l4`` (emitted with the IPv4 addresses) as the IPv4 payload
    in place of ``ipv4.payload`` when given."""
    if l4 is None:
        segment = None
    elif isinstance(l4, Icmpv4Repr):
        segment = l4.emit()
    else:
        segment = l4.emit(ipv4.src, ipv4.dst)
    return EthernetRepr(eth_dst, eth_src, ETH_P_IP, payload=ipv4.emit(segment)).emit()


def build_frame_v6(
    eth_src: bytes,
    eth_dst: bytes,
    ipv6: Ipv6Repr,
    l4: Icmpv6Repr | UdpRepr | TcpRepr | None = None,
    ext: bytes = b"",
) -> bytes:
    """Ethernet + IPv6 + the emitted extension headers ``ext``, with ``l4`` (checksummed
    over the RFC 8200 8.1 pseudo-header) after them in place of ``ipv6.payload`` when
    given."""
    payload = ipv6.payload if l4 is None else ext + l4.emit(ipv6.src, ipv6.dst)
    return EthernetRepr(eth_dst, eth_src, ETH_P_IPV6, payload=ipv6.emit(payload)).emit()
