"""What the interface holds, shared by its rooms (ethernet, ipv4, icmp, udp, tcp, link):
our addresses, the neighbour cache and the datagrams waiting on it, reassembly buffers,
precomputed IPv4 headers and the transports it delivers to. Time is never held here: every
room takes `now` as an argument."""

from __future__ import annotations

import random

from reference_stack.iface.addressing import Addressing
from reference_stack.iface.arp import ArpCache
from reference_stack.iface.ipv6_addressing import Ipv6Addressing, NeighborCache
from reference_stack.iface.reassembly import Reassembler
from reference_stack.iface.reassembly6 import Reassembler6
from reference_stack.iface.udp_sockets import UdpLayer
from reference_stack.ipsec.config import IpsecConfig
from reference_stack.ipsec.processing import IpsecState
from reference_stack.ipsec.sad import SaState
from reference_stack.profiles import Profile
from reference_stack.route_metrics import path_mtu
from reference_stack.tcp.layer import TcpLayer
from reference_stack.variance import AnyValue, Prediction, Range
from reference_stack.wire.ipv4 import Ipv4Repr, Ipv4Template

Output = list[tuple[bytes, Prediction]]
# A datagram held until its next hop is resolved: (datagram, rule, variance).
Held = tuple[Ipv4Repr, str, dict]


class IfaceState:
    def __init__(self, profile: Profile, mac: bytes, ip: bytes, prefix_len: int,
                 rng: random.Random, tcp: TcpLayer, udp: UdpLayer,
                 tcp_fast_path: bool = True, ip6: bytes | None = None) -> None:
        self.profile = profile
        self.mac = mac
        self.ip = ip
        self.rng = rng
        self.addr = Addressing(ip, prefix_len)
        self.arp = ArpCache(mac, ip)
        self.reasm = Reassembler(profile)
        self.tcp = tcp
        self.udp = udp
        # Header prediction (tcp/fast_path.py); off only to check it against the full path.
        self.tcp_fast_path = self.fast_path_wanted = tcp_fast_path
        # IPsec (iface/ipsec.py): the SPD and SAD when the stack has a configuration, and
        # the SAs that decrypted the packet being delivered (RFC 4301 5.2).
        self.ipsec: IpsecState | None = None
        self.secpath: tuple[SaState, ...] = ()
        # Precomputed IPv4 headers of recent unicast destinations on our link (ipv4_output),
        # keyed by (destination, protocol, TTL, TOS, DF).
        self.ip_templates: dict[tuple, Ipv4Template] = {}
        # What the checks of a common TCP datagram need of its address pair (ipv4.tcp_pair),
        # keyed by (source, destination); a function of the profile too: emptied with it.
        self.tcp_pairs: dict[tuple[bytes, bytes], tuple] = {}
        self.pending: dict[bytes, list[Held]] = {}  # next hop -> datagrams awaiting ARP
        self.arp_retry: dict[bytes, tuple[float, int]] = {}  # next hop -> (deadline, tries)
        # IPv6 (iface/ipv6.py): our address, if any, the neighbour cache (RFC 4861 5.1) and
        # the packets waiting for a neighbour's link-layer address.
        self.ip6 = Ipv6Addressing(ip6) if ip6 is not None else None
        self.nd = NeighborCache()
        self.nd_pending: dict[bytes, list[tuple]] = {}
        self.reasm6 = Reassembler6(profile.ipv6_reassembly_timeout)
        self.mld_due: float | None = None  # when our MLD report answering a query is due
        self.dad: dict = {}  # tentative address -> dad.Probe (RFC 4862 5.4, iface/dad.py)
        # Path MTU estimates lowered by a Packet Too Big about a datagram (RFC 8201 4, per
        # destination as Linux's route exceptions: iface/pmtu6.py, fragment6.py).
        self.pmtu6: dict[bytes, int] = {}
        self.mtu4, self.mtu6 = route_mtus(profile)  # the routes' MTUs (route_metrics.path_mtu)
        self.fit4 = min(self.mtu4, profile.mtu)  # a datagram this size needs no checks
        # IP-level latitude (RFC 6864: the ident of an atomic datagram is free; RFC 1122
        # 3.2.1.7: any non-zero TTL; RFC 1191: DF is the sender's choice).
        self.ip_variance: dict = {"ipv4.ident": AnyValue()}
        if not profile.exact_choices:
            self.ip_variance.update({"ipv4.ttl": Range(1, 255), "ipv4.df": AnyValue()})

    def set_ipsec(self, config: IpsecConfig | None) -> None:
        """Install an IPsec configuration (None: none; a fresh SAD either way). The in-place
        TCP input (iface/tcp_frame.py, header prediction) skips the delivery step where
        the SPD-I check is: with IPsec every datagram takes the full path."""
        self.ipsec = IpsecState(config, self.profile, self.rng) if config else None
        self.tcp_fast_path = self.fast_path_wanted and self.ipsec is None
        self.ip_templates.clear()

    def set_profile(self, profile: Profile) -> None:
        self.profile = profile
        self.mtu4, self.mtu6 = route_mtus(profile)
        self.fit4 = min(self.mtu4, profile.mtu)
        if self.ipsec is not None:
            self.ipsec.profile = profile
        self.tcp_pairs.clear()
        self.reasm.profile = profile
        self.reasm6.timeout = profile.ipv6_reassembly_timeout


def route_mtus(profile: Profile) -> tuple[int, int]:
    """The largest datagram to an on-link destination, IPv4 and IPv6: the family's route's
    mtu, else the link's (RFC 1191 3, RFC 8201 4: the host's path MTU; Linux ip_finish_output
    and ip6_finish_output fragment to dst_mtu)."""
    return (path_mtu(profile.route4, profile.mtu, ipv6=False),
            path_mtu(profile.route6, profile.mtu, ipv6=True))
