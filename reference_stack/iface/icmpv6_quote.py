"""The packet an ICMPv6 error quotes (RFC 4443 2.4(c): the invoking packet, as much as fits),
read once for every error handler: it must be one of ours (our address as its source), and
its extension header chain is walked to the upper-layer header, whose ports name the
connection (for TCP: the ports after whatever extension headers it carried)."""

from __future__ import annotations

from reference_stack.iface.state import IfaceState
from reference_stack.trace import DROP, Trace
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import HEADER_LEN
from reference_stack.wire.ipv6_ext import Ipv6Chain, parse_chain

ConnectionKey = tuple[bytes, int, bytes, int]


def quoted_own_packet(st: IfaceState, icmp: Icmpv6Repr, trace: Trace,
                      rule: str) -> tuple[bytes, Ipv6Chain] | None:
    """The quoted packet and its header chain; None (recorded as a drop under ``rule``) when
    it is too short or was not sent from our address."""
    quoted = icmp.payload
    if len(quoted) < HEADER_LEN or quoted[8:24] != st.ip6.ip:
        trace.add("icmpv6", DROP, rule, "not about a packet of ours")
        return None
    return quoted, parse_chain(quoted[6], quoted[HEADER_LEN:])


def connection_key(quoted: bytes, upper: bytes) -> ConnectionKey:
    """(our address, our port, their address, their port) of the quoted segment."""
    return (quoted[8:24], int.from_bytes(upper[0:2], "big"), quoted[24:40],
            int.from_bytes(upper[2:4], "big"))
