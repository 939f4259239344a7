"""IPv4 address classes as a host sees them (RFC 1122 3.2.1.3, RFC 1812 5.3.7)."""

from __future__ import annotations

ALL_HOSTS = b"\xe0\x00\x00\x01"
ALL_HOSTS_MAC = b"\x01\x00\x5e\x00\x00\x01"


def prefix_mask(prefix_len: int) -> int:
    return (0xFFFFFFFF << (32 - prefix_len)) & 0xFFFFFFFF if prefix_len else 0


class Addressing:
    """Our address and subnet, and the classification of others."""

    __slots__ = ("ip", "ip_int", "mask", "net", "bcast")

    def __init__(self, ip: bytes, prefix_len: int) -> None:
        self.ip = ip
        self.ip_int = int.from_bytes(ip, "big")
        self.mask = prefix_mask(prefix_len)
        self.net = self.ip_int & self.mask
        self.bcast = (self.net | ~self.mask & 0xFFFFFFFF).to_bytes(4, "big")

    def is_broadcast(self, addr: bytes) -> bool:
        """Limited (255.255.255.255) or our subnet-directed broadcast."""
        return addr == b"\xff\xff\xff\xff" or (self.mask != 0xFFFFFFFF and addr == self.bcast)

    def is_multicast(self, addr: bytes) -> bool:
        return 224 <= addr[0] <= 239

    def is_member(self, addr: bytes) -> bool:
        """A multicast group this host belongs to: all-hosts, 224.0.0.1 (RFC 1112 4)."""
        return addr == ALL_HOSTS

    def for_us_link(self, mac: bytes, own_mac: bytes) -> bool:
        """Frames the interface takes: ours, broadcast, or a joined group's multicast MAC
        (RFC 1112 6.4: 01:00:5e + the group's low 23 bits)."""
        return mac == own_mac or mac == b"\xff" * 6 or mac == ALL_HOSTS_MAC

    def on_link(self, addr: bytes) -> bool:
        return int.from_bytes(addr, "big") & self.mask == self.net

    def martian_source(self, src: bytes, directed_broadcast: bool = True) -> str | None:
        """Why `src` cannot be a single host's address (RFC 1122 3.2.1.3), or None."""
        first = src[0]
        if first == 0:
            return "this-network source"  # { 0, * }: only as a source during startup
        if first == 127:
            return "loopback source"  # (g) MUST NOT appear outside a host
        if 224 <= first <= 239:
            return "multicast source"
        if src == b"\xff\xff\xff\xff" or (directed_broadcast and self.is_broadcast(src)):
            return "broadcast source"
        return None

    def is_single_host(self, addr: bytes) -> bool:
        """RFC 1122 3.2.2: an address that names one host (for ICMP error generation)."""
        return self.martian_source(addr) is None and addr[0] < 240
