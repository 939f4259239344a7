"""ARP (RFC 826) for Ethernet/IPv4: the neighbour cache and the packet reception algorithm.

RFC 826, "Packet Reception": if the pair <protocol type, sender protocol address> is already in
the table, update the sender hardware address (the merge flag is set). Then, if we are the
target protocol address and the merge flag is false, add the triplet. Then, if the opcode is
request, swap the addresses, put in ours, and send a reply. A gratuitous ARP (RFC 5227 3,
SPA == TPA) therefore refreshes an existing entry but creates none.
"""

from __future__ import annotations

from dataclasses import dataclass

from reference_stack.trace import ACCEPT, DROP, REPLY, STATE, Trace
from reference_stack.wire.arp import ARP_REPLY, ARP_REQUEST, ArpRepr

BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = b"\0" * 6


@dataclass(slots=True)
class Neighbour:
    mac: bytes
    static: bool = False
    updated: float = 0.0


class ArpCache:
    def __init__(self, mac: bytes, ip: bytes) -> None:
        self.mac = mac
        self.ip = ip
        self.entries: dict[bytes, Neighbour] = {}

    def lookup(self, ip: bytes) -> bytes | None:
        entry = self.entries.get(ip)
        return entry.mac if entry is not None else None

    def add_static(self, ip: bytes, mac: bytes) -> None:
        self.entries[ip] = Neighbour(mac, static=True)

    def request_for(self, target: bytes) -> ArpRepr:
        """An ARP request for `target` (RFC 826: THA is ignored, sent as zero)."""
        return ArpRepr(ARP_REQUEST, self.mac, self.ip, ZERO_MAC, target)

    def announcement(self) -> ArpRepr:
        """A gratuitous ARP announcing our address (RFC 5227 3: SPA = TPA = our address)."""
        return ArpRepr(ARP_REQUEST, self.mac, self.ip, ZERO_MAC, self.ip)

    def receive(self, arp: ArpRepr, now: float, trace: Trace,
                accept_unsolicited: bool = True) -> ArpRepr | None:
        """RFC 826 packet reception; returns the reply to send, if any.

        `accept_unsolicited` False: a reply from an unknown sender adds no entry (Linux
        arp_process with net.ipv4.conf.*.arp_accept = 0, against ARP cache poisoning); RFC 826
        adds the sender of any packet that targets us."""
        if not (arp.htype == 1 and arp.ptype == 0x0800 and arp.hlen == 6 and arp.plen == 4):
            trace.add("arp", DROP, "RFC826-MUST-hardware-protocol-type",
                      "not Ethernet/IPv4")
            return None
        if arp.sha == BROADCAST_MAC or arp.sha[0] & 1:
            trace.add("arp", DROP, "RFC1812-3.3.2-MUST-NOT-multicast-sha",
                      "sender hardware address is multicast")
            return None
        if arp.spa == self.ip:
            trace.add("arp", DROP, "RFC5227-2.4-MUST-conflict-detected",
                      "sender claims our address")
            return None
        if arp.spa == b"\0\0\0\0":
            # RFC 5227 2.1.1: an ARP probe (sender IP 0) updates no cache; a probe for our
            # address is answered (address conflict detection, RFC 5227 2.1.1 / 2.4).
            if arp.op == ARP_REQUEST and arp.tpa == self.ip:
                trace.add("arp", REPLY, "RFC5227-2.1.1-MUST-answer-probe")
                return ArpRepr(ARP_REPLY, self.mac, self.ip, arp.sha, arp.spa)
            trace.add("arp", DROP, "RFC5227-2.1.1-MUST-NOT-learn-from-probe")
            return None
        merge = False
        entry = self.entries.get(arp.spa)
        if entry is not None:
            merge = True
            if entry.static:
                trace.add("arp", ACCEPT, "RFC826-MUST-merge-static-kept",
                          "static entry not overwritten")
            else:
                entry.mac = arp.sha
                entry.updated = now
                trace.add("arp", STATE, "RFC826-MUST-merge", "sender entry updated")
        if arp.tpa != self.ip:
            trace.add("arp", DROP, "RFC826-MUST-not-target", "target is not us")
            return None
        if not merge and arp.op != ARP_REQUEST and not accept_unsolicited:
            trace.add("arp", DROP, "LINUX-arp_process-arp-accept",
                      "unsolicited reply from an unknown sender: no entry (arp_accept = 0)")
            return None
        if not merge:
            self.entries[arp.spa] = Neighbour(arp.sha, updated=now)
            trace.add("arp", STATE, "RFC826-MUST-add-entry", "sender entry added")
        if arp.op != ARP_REQUEST:
            return None
        trace.add("arp", REPLY, "RFC826-MUST-reply")
        return ArpRepr(ARP_REPLY, self.mac, self.ip, arp.sha, arp.spa)
