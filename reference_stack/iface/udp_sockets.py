"""UDP sockets (RFC 768, RFC 1122 4.1): the bound-port table and each socket's receive side."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True, eq=False)
class UdpEndpoint:
    """A bound UDP socket's receive side."""

    local_ip: bytes
    port: int
    rcvbuf: int
    queue: deque = field(default_factory=deque)  # (src ip, src port, data)
    queued: int = 0
    connected: tuple[bytes, int] | None = None
    error: int = 0
    v6only: bool = True  # bound to the IPv6 unspecified address: no IPv4 datagrams

    def deliver(self, src: bytes, sport: int, data: bytes) -> bool:
        if self.queued + len(data) > self.rcvbuf:
            return False
        self.queue.append((src, sport, data))
        self.queued += len(data)
        return True

    def read(self) -> tuple[bytes, int, bytes] | None:
        if not self.queue:
            return None
        item = self.queue.popleft()
        self.queued -= len(item[2])
        return item


ANY4 = bytes(4)
ANY6 = bytes(16)


class UdpLayer:
    def __init__(self) -> None:
        self.endpoints: dict[tuple[bytes, int], UdpEndpoint] = {}

    def lookup(self, dst: bytes, port: int) -> UdpEndpoint | None:
        endpoints = self.endpoints
        if len(dst) == 16:
            return endpoints.get((dst, port)) or endpoints.get((ANY6, port))
        ep = endpoints.get((dst, port)) or endpoints.get((ANY4, port))
        if ep is None:
            # RFC 4291 2.5.5.2 (RFC 3493 3.7): a socket on the IPv6 unspecified address without
            # IPV6_V6ONLY receives IPv4 datagrams too, from IPv4-mapped sources.
            ep = endpoints.get((ANY6, port))
            if ep is not None and ep.v6only:
                return None
        return ep

    def icmp_error(self, local: tuple[bytes, int], remote: tuple[bytes, int],
                   hard_errno: int | None) -> None:
        """An ICMP error about a datagram sent from `local` to `remote` (RFC 1122 4.1.3.3:
        passed to the application): a hard one (`hard_errno`, else None) is reported to a
        socket connected to `remote` (as Linux's __udp4_lib_err does without IP_RECVERR)."""
        ep = self.lookup(*local)
        if ep is not None and hard_errno is not None and ep.connected == remote:
            ep.error = hard_errno
