"""Observing whether the DUT's IP layer accepted a datagram: a UDP socket bound to the
wildcard address on PROBE_PORT either receives the datagram or not (RFC 1122 3.2.1, 4.1.3)."""

from __future__ import annotations

import socket
from typing import Any

from conformance.author.family import IPV4, Family
from conformance.author.templates import UDP, Payload

PROBE_PORT = 5353
PROBE_DATA = b"is this delivered?"


def bound_socket(dut: Any, address: str | None = None, port: int = PROBE_PORT,
                 family: Family = IPV4) -> int:
    """A UDP socket of ``family`` bound to ``address`` (its wildcard address by default)."""
    fd = dut.socket(family.socket_family, socket.SOCK_DGRAM)
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    dut.bind(fd, (family.wildcard if address is None else address, port))
    return fd


def probe_layers(data: bytes = PROBE_DATA, **udp_fields: Any) -> tuple:
    return (UDP(src_port=40000, dst_port=PROBE_PORT, **udp_fields), Payload(data))


def received(dut: Any, fd: int) -> bytes | None:
    """What the socket holds now (None: nothing), after a barrier made sure of it."""
    value, err = dut.recvfrom_with_errno(fd, 65536, 0)
    return None if err else value[0]
