"""IPv6 reassembly (RFC 8200 4.5) on the virtual clock, with RFC 5722's overlap rule.

A packet's fragments are keyed by (source, destination, Fragment Identification). The
Unfragmentable Part (the headers before the Fragment header) and the Next Header of the
Fragmentable Part come from the fragment of offset 0. The timer starts with the first-arriving
fragment (RFC 8200 4.5: 60 seconds; the profile's ``ipv6_reassembly_timeout``, Linux's
net.ipv6.ip6frag_time) and is not extended. On expiry the fragments are dropped and, if the
offset-0 fragment arrived, an ICMPv6 Time Exceeded code 1 is due about it.

RFC 5722: a fragment overlapping another ends the reassembly; all the packet's fragments are
discarded, silently. An exact duplicate (same offset, same octets) is dropped alone, as RFC
8200 4.5 allows (Linux: inet_frag_queue_insert's IPFRAG_DUP).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reference_stack.trace import DROP, STATE, Trace
from reference_stack.wire.ipv6 import HEADER_LEN

MAX_PAYLOAD = 65535  # RFC 8200 4.5: the reassembled packet's payload length is 16 bits
FragKey = tuple[bytes, bytes, int]


@dataclass(slots=True, eq=False)
class Datagram:
    deadline: float
    parts: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # start -> (end, data)
    total: int | None = None  # Fragmentable Part length, once the last fragment (M=0) came
    first: bytes | None = None  # the offset-0 fragment as received
    unfragmentable: bytes | None = None  # its headers before the Fragment header
    next_header_at: int = 6  # where, in them, the Next Header naming the Fragment header is
    next_header: int = 0  # the Fragmentable Part's first header

    def overlaps(self, start: int, end: int) -> bool:
        return any(start < e and s < end for s, (e, _) in self.parts.items())

    def complete(self) -> bool:
        if self.total is None or self.first is None:
            return False
        at = 0
        for start in sorted(self.parts):
            if start != at:
                return False
            at = self.parts[start][0]
        return at == self.total


@dataclass(frozen=True, slots=True)
class Fragment:
    """One fragment as ipv6.py reads it: its key, where it goes, and the packet around it."""

    key: FragKey
    start: int  # Fragment Offset * 8
    more: bool
    data: bytes  # the fragment's Fragmentable Part octets
    packet: bytes  # the whole fragment as received (IPv6 header included)
    header_offset: int  # where the Fragment header starts in ``packet``
    next_header_at: int  # the Next Header field naming the Fragment header
    next_header: int  # the Fragment header's Next Header


class Reassembler6:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.datagrams: dict[FragKey, Datagram] = {}

    def poll_at(self) -> float | None:
        return min((d.deadline for d in self.datagrams.values()), default=None)

    def add(self, frag: Fragment, now: float, trace: Trace) -> bytes | None:
        """Add a fragment; the reassembled packet (fixed header and all) once complete."""
        dgram = self.datagrams.get(frag.key)
        if dgram is None:
            dgram = self.datagrams[frag.key] = Datagram(now + self.timeout)
        end = frag.start + len(frag.data)
        held = dgram.parts.get(frag.start)
        if held is not None and held == (end, frag.data):
            # RFC 8200 4.5: an exact duplicate may be dropped alone.
            trace.add("ipv6", DROP, "RFC8200-4.5-MAY-drop-exact-duplicate",
                      f"fragment at {frag.start} again")
            return None
        if dgram.overlaps(frag.start, end) or (
                dgram.total is not None and (end > dgram.total or (
                    not frag.more and end != dgram.total))):
            # RFC 5722 4: overlapping fragments: the whole packet is discarded, silently
            # (a last fragment disagreeing on the length is treated the same way).
            del self.datagrams[frag.key]
            trace.add("ipv6", DROP, "RFC5722-4-MUST-overlap-discard",
                      f"fragment {frag.start}-{end} overlaps")
            return None
        dgram.parts[frag.start] = (end, frag.data)
        if not frag.more:
            dgram.total = end
        if frag.start == 0:
            dgram.first = frag.packet
            dgram.unfragmentable = frag.packet[:frag.header_offset]
            dgram.next_header_at = frag.next_header_at
            dgram.next_header = frag.next_header
        trace.add("ipv6", STATE, "RFC8200-4.5-MUST-reassemble",
                  f"fragment {frag.start}-{end}{' +' if frag.more else ''} held")
        if not dgram.complete():
            return None
        del self.datagrams[frag.key]
        return _whole(dgram)

    def expire(self, now: float, trace: Trace) -> list[bytes]:
        """Drop the packets whose time ran out; the offset-0 fragments of those that had one
        (each owed a Time Exceeded, RFC 8200 4.5)."""
        firsts = []
        for key, dgram in list(self.datagrams.items()):
            if dgram.deadline > now:
                continue
            del self.datagrams[key]
            trace.add("ipv6", DROP, "RFC8200-4.5-MUST-reassembly-timeout",
                      f"{len(dgram.parts)} fragment(s) dropped")
            if dgram.first is not None:
                firsts.append(dgram.first)
        return firsts


def _whole(dgram: Datagram) -> bytes:
    """RFC 8200 4.5: the Unfragmentable Part, the Next Header of the header before the
    Fragment header set to the Fragment header's, the payload length recomputed, then the
    Fragmentable Parts in order."""
    head = bytearray(dgram.unfragmentable or b"")
    head[dgram.next_header_at] = dgram.next_header
    body = b"".join(data for _, (_, data) in sorted(dgram.parts.items()))
    payload_length = len(head) - HEADER_LEN + len(body)
    head[4:6] = payload_length.to_bytes(2, "big")
    return bytes(head) + body
