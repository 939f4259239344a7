"""Sequence-space translation between the target and the oracle.

A connected target and the in-process oracle choose different ISNs and timestamp clocks
(RFC 9293 3.4.1, RFC 7323 5.4 leave both free). Cases are drawn in a *canonical* space where
the DUT's ISN is :data:`CANONICAL_DUT_ISN` and its TSval :data:`CANONICAL_TSVAL`; before a
frame goes to the target or to the oracle, every field that names a DUT sequence number or a
DUT timestamp is shifted into that stack's own space:

- the acknowledgment number (RFC 9293 3.1),
- the SACK block edges (RFC 2018 3),
- TSecr (RFC 7323 3.2).

Patching is done on the bytes with the incremental checksum update of RFC 1624, so a frame's
checksum stays exactly as right or as wrong as it was drawn. Frames that are not plain TCP
segments of the connection (fragments, other ports, other protocols) pass unchanged. Both
families: an IPv4 segment (RFC 791) or an IPv6 one without extension headers (RFC 8200); the
TCP checksum's pseudo-header (RFC 9293 3.1, RFC 8200 8.1) holds none of the patched fields,
so the same incremental update serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MOD32 = 1 << 32
CANONICAL_DUT_ISN = 0x80000000
CANONICAL_TSVAL = 0x40000000
ETH_HEADER = 14
ETH_P_IP = b"\x08\x00"
ETH_P_IPV6 = b"\x86\xdd"
IPV6_HEADER = 40
IPPROTO_TCP = 6
TCP_KIND_SACK = 5
TCP_KIND_TIMESTAMPS = 8


@dataclass
class SeqShift:
    """Offsets from canonical space to one stack's space (None: not learnt yet, no shift)."""

    isn_delta: int | None = None
    tsval_delta: int | None = None

    def learn_isn(self, isn: int) -> None:
        self.isn_delta = (isn - CANONICAL_DUT_ISN) % MOD32

    def learn_tsval(self, tsval: int) -> None:
        self.tsval_delta = (tsval - CANONICAL_TSVAL) % MOD32


def _fold(x: int) -> int:
    while x >> 16:
        x = (x & 0xFFFF) + (x >> 16)
    return x


def _words(data: bytes | bytearray) -> int:
    """Sum of 16-bit big-endian words (an odd last octet padded with zero, RFC 1071)."""
    if len(data) & 1:
        data = bytes(data) + b"\x00"
    return sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))


def _replace_field(buf: bytearray, at: int, size: int, new: int, checksum_at: int) -> None:
    """Write a 16- or 32-bit field and update the checksum incrementally over the 16-bit
    words it touches (a field after a lone NOP is not word-aligned): RFC 1624 eqn. 3,
    HC' = ~(~HC + ~m + m')."""
    new_bytes = new.to_bytes(size, "big")
    if buf[at:at + size] == new_bytes:
        return
    lo, hi = at & ~1, (at + size + 1) & ~1  # offsets in the frame: TCP starts at an even one
    old_words = _words(buf[lo:hi])
    buf[at:at + size] = new_bytes
    new_words = _words(buf[lo:hi])
    n = (hi - lo) // 2
    hc = int.from_bytes(buf[checksum_at:checksum_at + 2], "big")
    acc = ((~hc) & 0xFFFF) + (0xFFFF * n - old_words) + new_words
    buf[checksum_at:checksum_at + 2] = ((~_fold(acc)) & 0xFFFF).to_bytes(2, "big")


def tcp_header_at(frame: bytes | bytearray, whole: bool = True) -> int | None:
    """Where the TCP header of a TCP packet starts, else None: IPv4 (RFC 791 3.1: after IHL
    words; ``whole``: neither MF nor a fragment offset, else a first fragment too) or IPv6
    with TCP as the fixed header's Next Header (RFC 8200 3: no extension header, so no
    fragment). The caller checks the octets it reads are there."""
    ethertype = frame[12:14]
    if ethertype == ETH_P_IPV6:
        if len(frame) < ETH_HEADER + IPV6_HEADER or frame[20] != IPPROTO_TCP:
            return None
        return ETH_HEADER + IPV6_HEADER
    if ethertype != ETH_P_IP or len(frame) < ETH_HEADER + 20 or frame[23] != IPPROTO_TCP:
        return None
    if int.from_bytes(frame[20:22], "big") & (0x3FFF if whole else 0x1FFF):
        return None
    off = ETH_HEADER + (frame[14] & 0x0F) * 4
    return off if off >= ETH_HEADER + 20 else None


def tcp_offset(frame: bytes | bytearray, tester_port: int, dut_port: int) -> int | None:
    """Where the TCP header of a plain (unfragmented) segment from ``tester_port`` to
    ``dut_port`` starts, else None."""
    off = tcp_header_at(frame)
    if off is None or len(frame) < off + 20:
        return None
    if (int.from_bytes(frame[off:off + 2], "big") != tester_port
            or int.from_bytes(frame[off + 2:off + 4], "big") != dut_port):
        return None
    return off


@dataclass(frozen=True)
class PortMap:
    """The canonical ports a case was drawn with and the ones it is sent with: the tester's
    port is fresh for every case, the DUT's is the scenario's."""

    canonical: int
    actual: int
    canonical_dut: int
    dut: int


def shift_frame(frame: bytes, shift: SeqShift, ports: PortMap) -> bytes:
    """``frame`` moved from canonical space into the space ``shift`` describes, and from the
    canonical ports to the actual ones."""
    off = tcp_offset(frame, ports.canonical, ports.canonical_dut)
    if off is None:
        return frame
    buf = bytearray(frame)
    checksum_at = off + 16
    _replace_field(buf, off, 2, ports.actual, checksum_at)
    _replace_field(buf, off + 2, 2, ports.dut, checksum_at)
    if shift.isn_delta:
        ack = int.from_bytes(buf[off + 8:off + 12], "big")
        _replace_field(buf, off + 8, 4, (ack + shift.isn_delta) % MOD32, checksum_at)
    end = min(len(buf), off + (buf[off + 12] >> 4) * 4)
    i = off + 20
    while i < end:
        kind = buf[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end or buf[i + 1] < 2 or i + buf[i + 1] > end:
            break  # malformed: left exactly as drawn
        length = buf[i + 1]
        if kind == TCP_KIND_SACK and shift.isn_delta and (length - 2) % 8 == 0:
            for edge in range(i + 2, i + length, 4):
                value = int.from_bytes(buf[edge:edge + 4], "big")
                _replace_field(buf, edge, 4, (value + shift.isn_delta) % MOD32, checksum_at)
        elif kind == TCP_KIND_TIMESTAMPS and length == 10 and shift.tsval_delta:
            value = int.from_bytes(buf[i + 6:i + 10], "big")
            _replace_field(buf, i + 6, 4, (value + shift.tsval_delta) % MOD32, checksum_at)
        i += length
    return bytes(buf)


def is_fragment(frame: bytes) -> bool:
    """An IPv4 fragment (MF set or a fragment offset, RFC 791 3.1)."""
    return (len(frame) >= ETH_HEADER + 20 and frame[12:14] == ETH_P_IP
            and int.from_bytes(frame[20:22], "big") & 0x3FFF != 0)


class IdentMap:
    """A case's fragments moved to IP identifications of their own (RFC 791 3.2: fragments
    reassemble by source, destination, protocol and identification): each identification a
    case draws gets the next unused one of its session, so a case's fragments meet only
    each other, never an earlier case's leftovers (both stacks keep those for their
    reassembly timeout, RFC 791 3.2 / Linux ipfrag_time 30 s, and a replay would not)."""

    def __init__(self, fresh: Callable[[], int]) -> None:
        self.fresh = fresh
        self.idents: dict[int, int] = {}

    def apply(self, frame: bytes) -> bytes:
        """``frame`` with its identification mapped (the header checksum updated, RFC 1624,
        so it stays as right or as wrong as drawn); non-fragments pass unchanged."""
        if not is_fragment(frame):
            return frame
        buf = bytearray(frame)
        drawn = int.from_bytes(buf[18:20], "big")
        if drawn not in self.idents:
            self.idents[drawn] = self.fresh()
        _replace_field(buf, 18, 2, self.idents[drawn], ETH_HEADER + 10)
        return bytes(buf)


def shift_seq(frame: bytes, delta: int, ports: PortMap) -> bytes:
    """A segment the DUT sends on the case's connection with its sequence number moved by
    ``delta`` (checksum updated incrementally)."""
    off = tcp_offset(frame, ports.dut, ports.actual)
    if off is None or not delta:
        return frame
    buf = bytearray(frame)
    seq = int.from_bytes(buf[off + 4:off + 8], "big")
    _replace_field(buf, off + 4, 4, (seq + delta) % MOD32, off + 16)
    return bytes(buf)
