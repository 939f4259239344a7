"""IPv4 reassembly (RFC 791 3.2, RFC 815) on the virtual clock, with an overlap policy.

A buffer is keyed by (source, destination, protocol, identification) (RFC 791 3.2). Its timer
starts with the first fragment and is not extended (RFC 1122 3.3.2 allows a fixed timeout; the
profile sets it). On expiry the buffer is dropped and, if the first fragment (offset 0) arrived,
an ICMP Time Exceeded (code 1) is due (RFC 792, RFC 1122 3.3.2).

Overlaps (RFC 791 leaves them open): `last` copies each fragment over the buffer in turn (RFC
791's procedure), `first` keeps the bytes already held, `discard` drops the whole datagram
(Linux since 4.19, after RFC 5722 for IPv6). Exact duplicates are always harmless.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from reference_stack.profiles import OVERLAP_DISCARD, OVERLAP_FIRST_WINS, Profile
from reference_stack.trace import DROP, STATE, Trace
from reference_stack.wire.ipv4 import Ipv4Repr

MAX_DATAGRAM = 65535
FragKey = tuple[bytes, bytes, int, int]


@dataclass(slots=True, eq=False)
class Buffer:
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    have: bytearray = field(default_factory=bytearray)  # 1 per octet received
    total: int | None = None  # payload length, known once the last fragment (MF=0) arrived
    first: Ipv4Repr | None = None  # the offset-0 fragment (header for the whole datagram)

    def covered(self, start: int, end: int) -> tuple[bool, bool]:
        """(any octet of [start, end) held, all of them held)."""
        seg = self.have[start:end]
        n_have = seg.count(1)
        return n_have > 0, n_have == end - start and end <= len(self.have)


class Reassembler:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.buffers: dict[FragKey, Buffer] = {}

    def poll_at(self) -> float | None:
        return min((b.deadline for b in self.buffers.values()), default=None)

    def add(self, ip: Ipv4Repr, now: float, trace: Trace) -> Ipv4Repr | None:
        """Add a fragment; return the whole datagram when it is complete."""
        key = (ip.src, ip.dst, ip.protocol, ip.ident)
        start = ip.frag_offset * 8
        end = start + len(ip.payload)
        if end + ip.ihl * 4 > MAX_DATAGRAM:
            trace.add("ipv4", DROP, "RFC791-3.1-MUST-max-datagram", f"fragment ends at {end}")
            return None
        if ip.mf and len(ip.payload) % 8:
            trace.add("ipv4", DROP, "RFC791-3.2-MUST-fragment-multiple-of-8",
                      f"{len(ip.payload)} octets with MF set")
            return None
        buf = self.buffers.get(key)
        if buf is None:
            buf = Buffer(deadline=now + self.profile.reassembly_timeout)
            self.buffers[key] = buf
        if len(buf.data) < end:
            grow = end - len(buf.data)
            buf.data += bytes(grow)
            buf.have += bytes(grow)
        if not ip.mf:
            if buf.total is not None and buf.total != end:
                trace.add("ipv4", DROP, "RFC791-3.2-MUST-conflicting-last-fragment")
                del self.buffers[key]
                return None
            buf.total = end
        any_held, all_held = buf.covered(start, end)
        policy = self.profile.fragment_overlap
        if any_held:
            duplicate = all_held and bytes(buf.data[start:end]) == ip.payload
            if duplicate:
                trace.add("ipv4", DROP, "RFC791-3.2-MUST-duplicate-fragment", "exact duplicate")
                return None
            if policy == OVERLAP_DISCARD:
                trace.add("ipv4", DROP, "RFC5722-4-MUST-overlap-discard",
                          "overlapping fragment: datagram discarded")
                del self.buffers[key]
                return None
        if any_held and policy == OVERLAP_FIRST_WINS:
            for i in range(start, end):
                if not buf.have[i]:
                    buf.data[i] = ip.payload[i - start]
                    buf.have[i] = 1
            rule = "RFC791-3.2-MAY-overlap-first-wins"
        else:
            buf.data[start:end] = ip.payload
            buf.have[start:end] = b"\x01" * (end - start)
            rule = ("RFC791-3.2-MAY-overlap-last-wins" if any_held
                    else "RFC791-3.2-MUST-reassemble")
        if start == 0:
            buf.first = ip
        trace.add("ipv4", STATE, rule, f"fragment [{start}, {end}) mf={int(ip.mf)}")
        if buf.total is None or buf.first is None:
            return None
        if buf.have[:buf.total].count(1) != buf.total:
            return None
        del self.buffers[key]
        trace.add("ipv4", "accept", "RFC791-3.2-MUST-reassemble", f"complete, {buf.total} octets")
        checksum = None  # (the whole datagram's header checksum, computed)
        if self.profile.reassembled_keeps_first_checksum:
            # gVisor network/ipv4/ipv4.go handleValidatedPacket: "The reassembler doesn't take
            # care of fixing up the header": the first fragment's checksum stays (RFC 791
            # leaves the reassembled header's fields to the implementation).
            checksum = buf.first.checksum
            trace.add("ipv4", STATE, "GVISOR-handle_validated_packet-first-fragment-checksum",
                      f"the reassembled header keeps checksum {checksum:#06x}")
        return dataclasses.replace(buf.first, payload=bytes(buf.data[:buf.total]), mf=False,
                                   frag_offset=0, total_length=None, checksum=checksum, ihl=None)

    def expire(self, now: float, trace: Trace) -> list[Ipv4Repr]:
        """Drop timed-out buffers; return the first fragments of those that had one."""
        firsts = []
        for key in [k for k, b in self.buffers.items() if b.deadline <= now]:
            buf = self.buffers.pop(key)
            trace.add("ipv4", DROP, "RFC1122-3.3.2-MUST-reassembly-timeout",
                      f"ident {key[3]}")
            if buf.first is not None:
                firsts.append(buf.first)
        return firsts
