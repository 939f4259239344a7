"""A datagram the DUT's IP layer answers, for the tests that see through the answer that the
DUT took a datagram in (whatever its TOS, a low TTL, once reassembled, the ARP table through
the answer's destination MAC): an echo request, answered by an echo reply with its data (RFC
1122 3.2.2.6 MUST), or where the DUT ignores echo requests (profile echo_ignore_all: Linux
net.ipv4.icmp_echo_ignore_all, icmp_echo) a UDP datagram to a closed port, answered by a Port
Unreachable (RFC 1122 4.1.3.1 SHOULD; Linux __udp4_lib_rcv checks the whole datagram's
checksum before icmp_send, so the answer also says the datagram arrived whole)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.author.templates import UDP, ICMPv4, Layer, Payload
from reference_stack.wire.icmpv4 import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_PORT_UNREACH,
)

CLOSED_PORT = 9  # discard: no suite opens it on the DUT (nor the barrier's port)


@dataclass(frozen=True)
class Probe:
    """The layers of the datagram to send (after any IPv4 layer of the test's) and of the
    DUT's answer."""

    request: tuple[Layer, ...]
    answer: tuple[Layer, ...]


def answered_probe(bed: Any, ident_seq: int, data: bytes) -> Probe:
    """The echo request with ``ident_seq`` (identifier and sequence number) and ``data``, or
    for a DUT that ignores echo requests a UDP datagram carrying ``data`` from the port
    ``ident_seq`` names (its sequence number's low bits) to a closed port."""
    if not bed.oracle_profile.echo_ignore_all:
        return Probe((ICMPv4(type=ICMP_ECHO_REQUEST, rest=ident_seq), Payload(data)),
                     (ICMPv4(type=ICMP_ECHO_REPLY, rest=ident_seq), Payload(data)))
    src_port = 40000 + (ident_seq & 0xFFF)
    return Probe((UDP(src_port=src_port, dst_port=CLOSED_PORT), Payload(data)),
                 (ICMPv4(type=ICMP_DEST_UNREACH, code=ICMP_PORT_UNREACH),))
