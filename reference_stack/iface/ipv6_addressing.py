"""IPv6 addresses as a host sees them (RFC 4291 2.8: the addresses a host recognises as its
own; 2.7: multicast; 2.5.2, 2.5.3: unspecified and loopback) and our neighbour cache
(RFC 4861 5.1, 7.3)."""

from __future__ import annotations

from dataclasses import dataclass

from reference_stack.wire.ipv6 import multicast_mac, solicited_node

ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")  # RFC 4291 2.7.1
UNSPECIFIED = bytes(16)
LOOPBACK = bytes(15) + b"\x01"

# RFC 4861 7.3.2 neighbour cache entry states.
INCOMPLETE = "INCOMPLETE"
REACHABLE = "REACHABLE"
STALE = "STALE"
DELAY = "DELAY"
PROBE = "PROBE"
PERMANENT = "PERMANENT"  # a static entry (Linux NUD_PERMANENT), never changed by ND


class Ipv6Addressing:
    """Our unicast addresses and the groups they imply (all-nodes, each one's solicited-node
    group). The first is assigned from the start (the harness adds it without DAD); one added
    later is tentative while Duplicate Address Detection runs (RFC 4862 5.4, iface/dad.py)."""

    __slots__ = ("ip", "groups", "group_macs", "prefix", "assigned", "tentative")

    def __init__(self, ip: bytes, prefix_len: int = 64) -> None:
        self.ip = ip
        self.prefix = (int.from_bytes(ip, "big") >> (128 - prefix_len), prefix_len)
        self.assigned = {ip}
        self.tentative: set[bytes] = set()
        # RFC 4291 2.8: all-nodes, and the solicited-node group of each unicast address.
        self.groups = frozenset((ALL_NODES, solicited_node(ip)))
        self.group_macs = frozenset(multicast_mac(g) for g in self.groups)

    def is_ours(self, dst: bytes) -> bool:
        """RFC 4291 2.8: our unicast address or a group we belong to (RFC 4862 5.4: not a
        tentative address)."""
        return dst == self.ip or dst in self.groups or dst in self.assigned

    def add_tentative(self, addr: bytes) -> None:
        """RFC 4862 5.4.2: before its first Neighbor Solicitation, an interface joins the
        all-nodes group and the solicited-node group of the tentative address."""
        self.tentative.add(addr)
        self.add_group(solicited_node(addr))

    def assign(self, addr: bytes) -> None:
        """RFC 4862 5.4: the address is unique (or not checked): assigned to the interface."""
        self.tentative.discard(addr)
        self.assigned.add(addr)
        self.add_group(solicited_node(addr))

    def add_group(self, group: bytes) -> None:
        if group not in self.groups:
            self.groups = self.groups | {group}
            self.group_macs = frozenset(multicast_mac(g) for g in self.groups)

    def on_link(self, addr: bytes) -> bool:
        """RFC 4861 5.2: an address of our on-link prefix (the /64 of our address)."""
        value, length = self.prefix
        return int.from_bytes(addr, "big") >> (128 - length) == value

    def for_us_link(self, mac: bytes) -> bool:
        """RFC 2464 7: the Ethernet address of a group we belong to (33:33 + low 32 bits)."""
        return mac in self.group_macs

    @staticmethod
    def martian_source(src: bytes) -> str | None:
        """Why ``src`` cannot be a packet's source, or None (RFC 4291 2.7: a multicast address
        MUST NOT be a source; 2.5.3: the loopback address is never sent outside a node)."""
        if src[0] == 0xFF:
            return "multicast source"
        if src == LOOPBACK:
            return "loopback source"
        return None


@dataclass
class Neighbor:
    mac: bytes | None
    state: str
    # The state's timer (RFC 4861 7.3.3, iface/nud.py); None: no timer, or one that starts
    # when the call that set the state ends (NeighborCache.unarmed).
    due: float | None = None
    probes: int = 0  # solicitations sent in INCOMPLETE or PROBE
    confirmed: float = 0.0  # the last reachability confirmation (a solicited NA)
    used: float = 0.0  # the last packet sent through it while not REACHABLE (Linux's used)


class NeighborCache:
    """RFC 4861 5.1: IPv6 address -> link-layer address and reachability state. Static
    entries (``add_static``) are never changed by Neighbor Discovery."""

    def __init__(self) -> None:
        self.entries: dict[bytes, Neighbor] = {}
        # Entries whose timer starts, or whose use is recorded, at the end of the current call
        # (output has no clock of its own: iface/nud.py arm).
        self.unarmed: set[bytes] = set()

    def add_static(self, ip: bytes, mac: bytes) -> None:
        self.entries[ip] = Neighbor(mac, PERMANENT)

    def lookup(self, ip: bytes) -> bytes | None:
        entry = self.entries.get(ip)
        return entry.mac if entry is not None else None

    def state(self, ip: bytes) -> str | None:
        entry = self.entries.get(ip)
        return entry.state if entry is not None else None

    def incomplete(self, ip: bytes) -> None:
        """RFC 4861 7.2.2: an entry in INCOMPLETE while its address is being resolved (one
        solicitation sent; its retransmission timer starts with the call's time)."""
        if ip not in self.entries:
            self.entries[ip] = Neighbor(None, INCOMPLETE, probes=1)
            self.unarmed.add(ip)

    def update(self, ip: bytes, mac: bytes, state: str) -> bool:
        """Record ``mac`` for ``ip`` in ``state`` (False: a static entry, left alone)."""
        entry = self.entries.get(ip)
        if entry is not None and entry.state == PERMANENT:
            return False
        if entry is None or entry.mac != mac:
            self.entries[ip] = Neighbor(mac, state)
        elif state == REACHABLE:
            entry.state = REACHABLE
        return True
