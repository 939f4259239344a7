"""One test body, three address families (packetdrill runs every script as IPv4, IPv6 and
IPv4-mapped IPv6): what a test needs of its family, in one object.

    ipv4         AF_INET socket, IPv4 frames
    ipv6         AF_INET6 socket, IPv6 frames (RFC 8200)
    ipv4-mapped  AF_INET6 socket naming IPv4 peers as ::ffff:a.b.c.d (RFC 4291 2.5.5.2),
                 IPv4 frames: socket-level behaviour of a dual-stack socket

A test marked ``@pytest.mark.families(...)`` (or a module's ``pytestmark``) runs once per
family, the family in its id (``[ipv4]``, ``[ipv6]``, ``[ipv4-mapped]``); ``ex.family`` is
the family of the test, IPV4 for every other test. Frames are built with ``family.ip(...)``
(an IPv4 or IPv6 template layer), sockets made with ``family.socket_family`` and addressed
with ``family.dut_host``/``tester_host``; ``family.peer`` is what accept and recvfrom return.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

from conformance.author.templates import IPv4, IPv6, Layer

MAPPED = "::ffff:"


@dataclass(frozen=True)
class Family:
    name: str
    socket_family: int
    wire: str  # "ipv4" or "ipv6": the IP layer of the frames (the Dissected attribute)
    mapped: bool = False

    @property
    def needs_ipv6(self) -> bool:
        """The target must speak IPv6 (an AF_INET6 socket, even for IPv4-mapped peers)."""
        return self.socket_family == socket.AF_INET6

    @property
    def ip_header_len(self) -> int:
        """The fixed IP header (RFC 791: 20, RFC 8200: 40): MSS = MTU - this - 20."""
        return 40 if self.wire == "ipv6" else 20

    def ip(self, **fields: Any) -> Layer:
        """The IP layer of a template in this family (``ipv4``/``ipv6`` field names)."""
        return IPv6(**fields) if self.wire == "ipv6" else IPv4(**fields)

    # addresses on the wire
    def dut_ip(self, endpoints: Any) -> str:
        return _text(endpoints.dut_ipv6) if self.wire == "ipv6" else endpoints.dut_ipv4

    def tester_ip(self, endpoints: Any) -> str:
        return _text(endpoints.tester_ipv6) if self.wire == "ipv6" else endpoints.tester_ipv4

    # addresses as the DUT's socket names them
    def dut_host(self, endpoints: Any) -> str:
        return MAPPED + endpoints.dut_ipv4 if self.mapped else self.dut_ip(endpoints)

    def tester_host(self, endpoints: Any) -> str:
        return MAPPED + endpoints.tester_ipv4 if self.mapped else self.tester_ip(endpoints)

    @property
    def wildcard(self) -> str:
        return "::" if self.socket_family == socket.AF_INET6 else "0.0.0.0"

    def peer(self, endpoints: Any, port: int) -> tuple:
        """The tester's address as accept() and recvfrom() on the DUT return it."""
        host = self.tester_host(endpoints)
        return (host, port, 0, 0) if self.socket_family == socket.AF_INET6 else (host, port)

    def ip_of(self, dissected: Any) -> Any:
        """The frame's IP header of this family (None: the frame is of the other)."""
        return getattr(dissected, self.wire)


def _text(address: str) -> str:
    """RFC 5952 text, as the kernel's inet_ntop writes it (accept's and recvfrom's peer)."""
    return str(ipaddress.IPv6Address(address))


IPV4 = Family("ipv4", socket.AF_INET, "ipv4")
IPV6 = Family("ipv6", socket.AF_INET6, "ipv6")
IPV4_MAPPED = Family("ipv4-mapped", socket.AF_INET6, "ipv4", mapped=True)
FAMILIES = {f.name: f for f in (IPV4, IPV6, IPV4_MAPPED)}
# Frame-level behaviour: one run per wire family; socket-level: the dual-stack socket too.
WIRE = ("ipv4", "ipv6")
ALL = ("ipv4", "ipv6", "ipv4-mapped")
