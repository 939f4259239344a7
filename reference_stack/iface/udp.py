"""UDP (RFC 768, RFC 1122 4.1): input validation and the bound-port table."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from reference_stack.trace import Trace
from reference_stack.wire.udp import UdpRepr

HEADER = 8


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


def validate(udp: UdpRepr, ip_payload_len: int, src: bytes, dst: bytes,
             trace: Trace, check_checksum: bool) -> bytes | None:
    """The datagram's data, or None (dropped, with the rule in the trace)."""
    if udp.length is None or udp.length < HEADER or udp.length > ip_payload_len:
        trace.add("udp", "drop", "RFC768-MUST-length", f"length field {udp.length}, "
                  f"IP payload {ip_payload_len}")
        return None
    if check_checksum and udp.checksum and not udp.checksum_ok(src, dst):
        # RFC 1122 4.1.3.4: a datagram with a bad checksum MUST be silently discarded;
        # a zero checksum means none was computed (RFC 768).
        trace.add("udp", "drop", "RFC1122-4.1.3.4-MUST-discard-bad-checksum")
        return None
    if not udp.checksum:
        trace.add("udp", "accept", "RFC768-MAY-zero-checksum", "no checksum transmitted")
    return udp.payload[:udp.length - HEADER]


class UdpLayer:
    def __init__(self) -> None:
        self.endpoints: dict[tuple[bytes, int], UdpEndpoint] = {}

    def lookup(self, dst: bytes, port: int) -> UdpEndpoint | None:
        return self.endpoints.get((dst, port)) or self.endpoints.get((b"\0\0\0\0", port))
