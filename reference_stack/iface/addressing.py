"""IPv4 address classes as a host sees them (RFC 1122 3.2.1.3, RFC 1812 5.3.7)."""

from __future__ import annotations


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

    def on_link(self, addr: bytes) -> bool:
        return int.from_bytes(addr, "big") & self.mask == self.net

    def martian_source(self, src: bytes) -> str | None:
        """Why `src` cannot be a single host's address (RFC 1122 3.2.1.3), or None."""
        first = src[0]
        if first == 0:
            return "this-network source"  # { 0, * }: only as a source during startup
        if first == 127:
            return "loopback source"  # (g) MUST NOT appear outside a host
        if 224 <= first <= 239:
            return "multicast source"
        if self.is_broadcast(src):
            return "broadcast source"
        return None

    def is_single_host(self, addr: bytes) -> bool:
        """RFC 1122 3.2.2: an address that names one host (for ICMP error generation)."""
        return self.martian_source(addr) is None and addr[0] < 240
