"""A packet the DUT's IP layer answers, for the tests that see through the answer that the DUT
took a packet in: processed its options or extension headers, reassembled its fragments,
assigned the address it went to, resolved the neighbour the answer goes to.

The probe follows the DUT (the profile the oracle judges it with, which follows its sysctls):

- an Echo Request, answered by an Echo Reply with its identifier, sequence number and data
  (IPv4: RFC 1122 3.2.2.6 MUST; IPv6: RFC 4443 4.2 MUST);
- where the DUT ignores echo requests (profile ``echo_ignore_all``, Linux
  net.ipv4.icmp_echo_ignore_all, icmp_echo; ``echo6_ignore_all``, Linux
  net.ipv6.icmp.echo_ignore_all, icmpv6_rcv) a UDP datagram with the same data to a closed
  port, answered by a Port Unreachable (IPv4: RFC 1122 4.1.3.1 SHOULD; IPv6: Destination
  Unreachable code 4, RFC 4443 3.1). Linux's __udp4_lib_rcv and __udp6_lib_rcv check the
  whole datagram's checksum before icmp_send / icmpv6_send, so the answer also says the
  datagram arrived whole.

The request goes after the test's IP layer and any extension headers, which name
``Probe.protocol`` as their Next Header. A test about the echo itself (the reply's contents)
declares ``@pytest.mark.needs(echo_ignore_all=False)`` (or ``echo6_ignore_all``) instead.
To a multicast destination only the echo is answered (RFC 4443 2.4(e.3): no error about a
packet to a multicast address): such a test declares the need too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.author.family import IPV4, Family
from conformance.author.templates import UDP, ICMPv4, ICMPv6, Layer, Payload
from reference_stack.wire import icmpv4, icmpv6
from reference_stack.wire.ipv4 import IPPROTO_ICMP, IPPROTO_UDP
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6

CLOSED_PORT = 9  # discard: no suite opens it on the DUT (nor the barrier's port)
SRC_PORT_BASE = 40000


@dataclass(frozen=True)
class Probe:
    """The layers of the packet to send (after the test's IP layer and extension headers),
    its upper-layer protocol number, and the layers of the DUT's answer."""

    request: tuple[Layer, ...]
    answer: tuple[Layer, ...]
    protocol: int


def ignores_echo(bed: Any, family: Family = IPV4) -> bool:
    """Whether the DUT ignores echo requests of ``family`` (the oracle's profile of it)."""
    profile = bed.oracle_profile
    return profile.echo6_ignore_all if family.wire == "ipv6" else profile.echo_ignore_all


def answered_probe(bed: Any, ident_seq: int, data: bytes, family: Family = IPV4) -> Probe:
    """The echo request with ``ident_seq`` (identifier and sequence number) and ``data``, or
    for a DUT that ignores echo requests a UDP datagram carrying ``data`` from the port
    ``ident_seq`` names (its sequence number's low bits) to a closed port."""
    v6 = family.wire == "ipv6"
    if not ignores_echo(bed, family):
        if v6:
            return Probe((ICMPv6(type=icmpv6.ICMP6_ECHO_REQUEST, rest=ident_seq), Payload(data)),
                         (ICMPv6(type=icmpv6.ICMP6_ECHO_REPLY, rest=ident_seq), Payload(data)),
                         IPPROTO_ICMPV6)
        return Probe((ICMPv4(type=icmpv4.ICMP_ECHO_REQUEST, rest=ident_seq), Payload(data)),
                     (ICMPv4(type=icmpv4.ICMP_ECHO_REPLY, rest=ident_seq), Payload(data)),
                     IPPROTO_ICMP)
    request = (UDP(src_port=SRC_PORT_BASE + (ident_seq & 0xFFF), dst_port=CLOSED_PORT),
               Payload(data))
    if v6:  # RFC 4443 3.1: Destination Unreachable, code 4 (port unreachable)
        return Probe(request, (ICMPv6(type=icmpv6.ICMP6_DST_UNREACH,
                                      code=icmpv6.UNREACH_PORT),), IPPROTO_UDP)
    return Probe(request, (ICMPv4(type=icmpv4.ICMP_DEST_UNREACH,
                                  code=icmpv4.ICMP_PORT_UNREACH),), IPPROTO_UDP)
