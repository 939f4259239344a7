"""ESP frames of a test, opened for the report (issue 15): with the test's IpsecConfig, an
ESP packet's SA is found by SPI and destination (RFC 4301 4.4.2) and its payload decrypted with
the oracle's ESP code, so the packet ladder shows the inner packet beside the ESP frame and
the SA that carried it."""

from __future__ import annotations

import ipaddress
from typing import Any

from reference_stack.ipsec.config import IPPROTO_ESP, IpsecConfig, SecurityAssociation
from reference_stack.ipsec.esp import HEADER
from reference_stack.ipsec.peer import EspPeer
from reference_stack.wire.errors import WireError
from reference_stack.wire.frame import Dissected
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.ipv6 import Ipv6Repr
from reference_stack.wire.tcp import TcpRepr, flags_str
from reference_stack.wire.udp import UdpRepr

NAMES = {4: "IPv4", 6: "TCP", 17: "UDP", 41: "IPv6", 58: "ICMPv6", 1: "ICMP", 59: "none"}


def _esp_of(d: Dissected) -> tuple[bytes, bytes] | None:
    """(destination, ESP packet) of a frame carrying ESP right after its IP header."""
    if d.ipv4 is not None and d.ipv4.protocol == IPPROTO_ESP:
        return d.ipv4.dst, d.ipv4.payload
    if d.ipv6 is not None and d.ipv6.next_header == IPPROTO_ESP:
        return d.ipv6.dst, d.ipv6.payload
    return None


def _sa(config: IpsecConfig, spi: int, dst: bytes) -> SecurityAssociation | None:
    for sa in config.sas:
        if sa.spi == spi and ipaddress.ip_address(sa.dst).packed == dst:
            return sa
    return None


def _inner(next_header: int, payload: bytes) -> str:
    """A one-line summary of what an ESP packet carried."""
    try:
        if next_header == 17:
            u = UdpRepr.parse(payload)
            return f"UDP {u.src_port}\u2192{u.dst_port} len={len(u.payload)}"
        if next_header == 6:
            t = TcpRepr.parse(payload)
            return (f"TCP {t.src_port}\u2192{t.dst_port} [{flags_str(t.flags)}] "
                    f"seq={t.seq} ack={t.ack} len={len(t.payload)}")
        if next_header == 4:
            ip = Ipv4Repr.parse(payload)
            return (f"IPv4 {ipaddress.ip_address(ip.src)} > {ipaddress.ip_address(ip.dst)} "
                    f"| {_inner(ip.protocol, ip.payload)}")
        if next_header == 41:
            ip6 = Ipv6Repr.parse(payload)
            return (f"IPv6 {ipaddress.ip_address(ip6.src)} > {ipaddress.ip_address(ip6.dst)} "
                    f"| {_inner(ip6.next_header, ip6.payload)}")
    except WireError as exc:
        return f"{NAMES.get(next_header, next_header)} (malformed: {exc.reason})"
    return f"next header {NAMES.get(next_header, next_header)}, {len(payload)} octets"


def esp_row(config: IpsecConfig | None, d: Dissected) -> dict[str, Any] | None:
    """The `esp` entry of a ladder row: SPI, sequence number (and with ESN the high half the
    ICV verified with, `seq_high`), the SA and the inner packet."""
    found = _esp_of(d)
    if found is None or len(found[1]) < HEADER.size:
        return None
    dst, packet = found
    spi, seq = HEADER.unpack_from(packet)
    row: dict[str, Any] = {"spi": f"{spi:#x}", "seq": seq}
    sa = _sa(config, spi, dst) if config is not None else None
    if sa is None:
        row["inner"] = "no SA of the test's configuration"
        return row
    transform = sa.aead.name if sa.aead else f"{sa.enc.name if sa.enc else 'null'}+{sa.auth.name}"
    row["sa"] = f"{sa.src} > {sa.dst} {sa.mode} {transform}"
    peer = EspPeer(sa)
    for high in _high_halves(sa):
        opened = peer.open(packet, seq_high=high)
        if opened is not None:
            if sa.esn:
                row["seq_high"] = high
            row["inner"] = _inner(opened.next_header, opened.payload)
            return row
    row["inner"] = "ICV fails with the SA's keys"
    return row


def _high_halves(sa: SecurityAssociation) -> tuple[int, ...]:
    """The ESN high halves to try an ESP packet's ICV with (RFC 4303 2.2.1: sent by neither
    end, it is authenticated): around where the test started the SA's counters (its
    `oseq`, `replay_seq`), the next subspace, 0; without ESN only 0 (none is authenticated)."""
    if not sa.esn:
        return (0,)
    starts = (sa.oseq >> 32, sa.replay_seq >> 32)
    return tuple(dict.fromkeys((*starts, *(h + 1 for h in starts), 0)))
