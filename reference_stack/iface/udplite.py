"""UDP-Lite input (RFC 3828), as Linux runs it with no UDP-Lite socket open: a datagram the
checks let through is for a port nobody holds, so it draws Port Unreachable (udplite_rcv ->
__udp4_lib_rcv: udplite_checksum_init, then no socket in udplite_table -> icmp_send). A host
that does not speak UDP-Lite answers IP protocol 136 with Protocol Unreachable instead."""

from __future__ import annotations

from reference_stack.iface.icmp_error import send_error
from reference_stack.iface.icmpv6_error import send_error6
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, Trace
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.icmpv4 import ICMP_DEST_UNREACH, ICMP_PORT_UNREACH
from reference_stack.wire.icmpv6 import ICMP6_DST_UNREACH, UNREACH_PORT
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.ipv6 import Ipv6Repr
from reference_stack.wire.ipv6_ext import Ipv6Chain

IPPROTO_UDPLITE = 136  # RFC 3828
HEADER = 8


def check(src: bytes, dst: bytes, dgram: bytes) -> tuple[bool, str, str]:
    """(valid, rule, detail) for a UDP-Lite datagram (the whole IP payload)."""
    if len(dgram) < HEADER:
        return False, "RFC3828-3.1-MUST-header", f"{len(dgram)} octets"
    coverage = int.from_bytes(dgram[4:6], "big")
    if coverage and (coverage < HEADER or coverage > len(dgram)):
        # RFC 3828 3.1: a coverage of 1 to 7 octets, or past the IP length, is illegal and the
        # packet MUST be silently discarded (0 means the whole datagram).
        return False, "RFC3828-3.1-MUST-discard-illegal-coverage", f"coverage {coverage}"
    if dgram[6:8] == b"\0\0":
        # RFC 3828 3.1: the checksum is mandatory (no "no checksum" value as in UDP); Linux's
        # udplite_checksum_init drops a zero checksum field.
        return False, "RFC3828-3.1-MUST-checksum-mandatory", "zero checksum"
    covered = dgram[:coverage or len(dgram)]
    # RFC 3828 3.2: the pseudo-header's length is the IP payload's, the sum covers `coverage`.
    if internet_checksum(covered, pseudo_header_sum(src, dst, IPPROTO_UDPLITE,
                                                    len(dgram))) != 0:
        return False, "RFC3828-3.2-MUST-discard-bad-checksum", "bad checksum"
    return True, "", ""


def receive6(st: IfaceState, ip: Ipv6Repr, original: bytes, chain: Ipv6Chain,
             link_mcast: bool, trace: Trace, out: Output) -> None:
    """The same over IPv6 (Linux udplitev6_rcv; RFC 3828 3.2 with the RFC 8200 8.1
    pseudo-header): Port Unreachable is Destination Unreachable code 4 (RFC 4443 3.1)."""
    ok, rule, detail = check(ip.src, ip.dst, chain.upper)
    if not ok:
        trace.add("udp", DROP, rule, detail)
        return
    dport = int.from_bytes(chain.upper[2:4], "big")
    trace.add("udp", DROP, "LINUX-udplite_rcv-port-unreachable", f"no socket on port {dport}")
    send_error6(st, ip, original, chain, link_mcast, ICMP6_DST_UNREACH, UNREACH_PORT,
                "LINUX-udplite_rcv-port-unreachable", trace, out)


def receive(st: IfaceState, ip: Ipv4Repr, original: bytes, link_bcast: bool, now: float,
            trace: Trace, out: Output) -> None:
    ok, rule, detail = check(ip.src, ip.dst, ip.payload)
    if not ok:
        trace.add("udp", DROP, rule, detail)
        return
    dport = int.from_bytes(ip.payload[2:4], "big")
    # RFC 1122 4.1.3.1 (UDP-Lite keeps UDP's semantics, RFC 3828 1): no socket on the port.
    trace.add("udp", DROP, "LINUX-udplite_rcv-port-unreachable", f"no socket on port {dport}")
    send_error(st, ip, original, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, link_bcast, now, trace,
               out)
