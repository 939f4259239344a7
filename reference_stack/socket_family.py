"""Socket addresses of the two families (POSIX sockaddr_in, sockaddr_in6; RFC 3493) as the
socket API takes and returns them, and the IPv4-mapped IPv6 addresses of a dual-stack socket
(RFC 4291 2.5.5.2: ::ffff:a.b.c.d names an IPv4 node to an IPv6 socket).

Inside the stack an address is raw bytes of its family: a mapped address is the IPv4 address
itself (4 octets), so an AF_INET6 socket speaking to an IPv4 peer uses the IPv4 layer."""

from __future__ import annotations

import errno
import socket as pysock

from reference_stack.wire.addr import ip4, ip4_str, ip6
from reference_stack.wire.errors import WireError

AF_INET = pysock.AF_INET
AF_INET6 = pysock.AF_INET6
IPPROTO_IPV6 = pysock.IPPROTO_IPV6
IPV6_V6ONLY = pysock.IPV6_V6ONLY
ANY4 = bytes(4)
ANY6 = bytes(16)
MAPPED_PREFIX = bytes(10) + b"\xff\xff"  # RFC 4291 2.5.5.2: 80 zero bits, 16 one bits


def wildcard(family: int) -> bytes:
    return ANY6 if family == AF_INET6 else ANY4


def parse(family: int, host: bytes | str, v6only: bool) -> tuple[bytes | None, int]:
    """(raw address, 0) for a socket of ``family``, or (None, errno): a mapped address on an
    AF_INET6 socket is its IPv4 address, refused (ENETUNREACH, as Linux's ip6_datagram and
    tcp_v6_connect do) under IPV6_V6ONLY."""
    if isinstance(host, bytes):
        if len(host) == (16 if family == AF_INET6 else 4):
            raw = host
        else:
            raise TypeError(f"not an address of family {family}: {host!r}")
    elif family == AF_INET6:
        try:
            raw = ip6(host)
        except WireError:
            return None, errno.EINVAL
    else:
        try:
            raw = ip4(host)
        except WireError:
            return None, errno.EAFNOSUPPORT if ":" in host else errno.EINVAL
    if family == AF_INET6 and raw.startswith(MAPPED_PREFIX):
        if v6only:
            return None, errno.ENETUNREACH
        return raw[12:], 0
    return raw, 0


def text(family: int, raw: bytes, port: int) -> tuple:
    """The address a call returns (accept, recvfrom): (host, port) for AF_INET, (host, port,
    flowinfo, scope_id) for AF_INET6, an IPv4 peer shown mapped (RFC 4291 2.5.5.2)."""
    if family != AF_INET6:
        return (ip4_str(raw), port)
    if len(raw) == 4:
        raw = MAPPED_PREFIX + raw
    return (pysock.inet_ntop(AF_INET6, raw), port, 0, 0)


def overlaps(a: bytes, a_v6only: bool, b: bytes, b_v6only: bool) -> bool:
    """Whether two local addresses of sockets on one port collide (Linux inet_bind_conflict,
    ipv6_rcv_saddr_equal): equal, or a wildcard covering the other (the IPv6 one covers
    IPv4 too unless IPV6_V6ONLY)."""
    if a == b:
        return True
    return _covers(a, a_v6only, b) or _covers(b, b_v6only, a)


def _covers(wild: bytes, v6only: bool, other: bytes) -> bool:
    if wild == ANY4:
        return len(other) == 4
    if wild == ANY6:
        return len(other) == 16 or not v6only
    return False
