"""Byte-level looks at frames on the fuzz hot path: which frames the target sent belong to a
case, and the frames the runner itself crafts (handshakes, resets; the barrier probes are
conformance.author.barriers', as for the suites). What kind of frame a case is (the coverage
cells' column) is the judge's frame_kind (conformance.judge.divergence)."""

from __future__ import annotations

from typing import Any

from conformance.author.background import is_background
from conformance.author.family import Family
from fuzz.seqspace import tcp_header_at
from fuzz.strategies import LinkAddresses
from fuzz.strategies_ipv6 import Link6
from reference_stack.wire.frame import build_frame, build_frame_v6
from reference_stack.wire.ipv4 import IPPROTO_TCP, Ipv4Repr
from reference_stack.wire.ipv6 import Ipv6Repr
from reference_stack.wire.ipv6_ext import parse_chain
from reference_stack.wire.tcp import TcpOption, TcpRepr

ETH_P_IP = b"\x08\x00"
ETH_P_IPV6 = b"\x86\xdd"
ETH_HEADER = 14
IPV6_QUOTE_KEY = 48  # the IPv6 header and the next 8 octets (a Fragment header's whole)
ICMP_ERRORS = frozenset((3, 4, 5, 11, 12))  # RFC 792 error messages


def tcp_ports(frame: bytes) -> tuple[int, int] | None:
    """(source, destination) port of a TCP frame (IPv4, a first fragment included; IPv6
    without extension headers: :func:`fuzz.seqspace.tcp_header_at`), else None."""
    off = tcp_header_at(frame, whole=False)
    if off is None or len(frame) < off + 4:
        return None
    return int.from_bytes(frame[off:off + 2], "big"), int.from_bytes(frame[off + 2:off + 4], "big")


def tcp_source(frame: bytes) -> int | None:
    """The TCP source port of a frame the tester sent, also behind IPv6 extension headers
    (RFC 8200 4) and in a first fragment (RFC 7112: it holds the upper-layer header), else
    None."""
    ports = tcp_ports(frame)
    if ports is not None:
        return ports[0]
    if frame[12:14] != ETH_P_IPV6 or len(frame) < ETH_HEADER + 40:
        return None
    chain = parse_chain(frame[ETH_HEADER + 6], frame[ETH_HEADER + 40:])
    first = chain.fragment is None or chain.fragment.frag_offset == 0
    if chain.upper_protocol != IPPROTO_TCP or not first or len(chain.upper) < 2:
        return None
    return int.from_bytes(chain.upper[:2], "big")


def belongs_to_case(frame: bytes, tester_port: int, sent: list[bytes]) -> bool:
    """Whether a frame the target sent may answer the current case: not background traffic;
    for TCP, addressed to the case's tester port (a delayed ACK or a SYN,ACK retransmission
    of an earlier case's port is not the case's); for an ICMP error, quoting a datagram of
    the case (RFC 792: the error carries the offending IP header; a reassembly timeout of an
    earlier case's fragments arrives whenever its timer fires)."""
    if is_background(frame):
        return False
    ports = tcp_ports(frame)
    if ports is not None:  # (or a port a frame of the case was drawn from: fuzz.compact_ipv6)
        return ports[1] == tester_port or any(tcp_source(f) == ports[1] for f in sent)
    quoted6 = icmpv6_error_quote(frame)
    if quoted6 is not None:
        # RFC 4443 2.4(c): the invoking packet as received; its header (and a fragment's
        # Fragment header: a reassembly timeout's, RFC 8200 4.5) names the case that sent it
        head = quoted6[:IPV6_QUOTE_KEY]
        return any(f[ETH_HEADER:ETH_HEADER + len(head)] == head for f in sent)
    quoted = icmp_error_quote(frame)
    if quoted is None:
        return True
    return any(f[18:20] == quoted[4:6] and f[23:24] == quoted[9:10] for f in sent)


def icmpv6_error_quote(frame: bytes) -> bytes | None:
    """The packet an ICMPv6 error quotes (RFC 4443 2.1: types below 128 are errors), for an
    error without extension headers of its own, else None."""
    if frame[12:14] != ETH_P_IPV6 or len(frame) < ETH_HEADER + 48 + 40 or frame[20] != 58:
        return None
    if frame[ETH_HEADER + 40] >= 128:
        return None
    return frame[ETH_HEADER + 48:]


def icmp_error_quote(frame: bytes) -> bytes | None:
    """The IP header an ICMPv4 error quotes (its first 20 octets), else None."""
    if frame[12:14] != ETH_P_IP or len(frame) < 34 or frame[23] != 1:
        return None
    off = 14 + (frame[14] & 0x0F) * 4
    if len(frame) < off + 28 or frame[off] not in ICMP_ERRORS:
        return None
    return frame[off + 8:off + 28]


def link_addresses(endpoints: Any, family: Family) -> LinkAddresses | Link6:
    """The link's addresses in ``family``'s wire format (raw octets, tester -> DUT)."""
    if family.wire == "ipv6":
        return Link6.from_endpoints(endpoints)
    return LinkAddresses.from_endpoints(endpoints)


class FrameFactory:
    """Frames the runner itself sends, built once per call with the strict codecs, in the
    family of the addresses it is given (:func:`link_addresses`: 4-octet IPv4 or 16-octet
    IPv6 ones): the one place the fuzzers wrap a TCP segment of their own in IP."""

    def __init__(self, addrs: LinkAddresses | Link6) -> None:
        self.addrs = addrs
        self.ipv6 = len(addrs.tester_ip) == 16

    def segment(self, seg: TcpRepr) -> bytes:
        """``seg`` from the tester to the DUT: over IPv4 with DF set (RFC 791 3.1), over IPv6
        with no extension header (RFC 8200 3; checksum over its pseudo-header, 8.1)."""
        a = self.addrs
        if self.ipv6:
            return build_frame_v6(a.tester_mac, a.dut_mac,
                                  Ipv6Repr(a.tester_ip, a.dut_ip, IPPROTO_TCP, b""), seg)
        ip = Ipv4Repr(src=a.tester_ip, dst=a.dut_ip, protocol=IPPROTO_TCP, df=True)
        return build_frame(a.tester_mac, a.dut_mac, ip, seg)

    def tcp(self, sport: int, dport: int, flags: int, seq: int, ack: int = 0,
            options: tuple[TcpOption, ...] = (), window: int = 64240) -> bytes:
        return self.segment(TcpRepr(sport, dport, seq, ack, flags, window, b"", options))
