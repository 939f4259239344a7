"""Multicast Listener Discovery bodies: MLDv1 Query, Report and Done (RFC 2710 3), MLDv2
Query (RFC 3810 5.1) and Report (RFC 3810 5.2), read from and turned into an ``Icmpv6Repr``.
A Query is v2 when its ICMP length is at least 28 octets (RFC 3810 8.1)."""

import struct
from dataclasses import dataclass

from reference_stack.wire.addr import ip6_str
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, octets, pack
from reference_stack.wire.icmpv6 import (
    MLD_LISTENER_DONE,
    MLD_LISTENER_QUERY,
    MLD_LISTENER_REPORT,
    MLDV2_LISTENER_REPORT,
    Icmpv6Repr,
)

# RFC 3810 5.2.12 multicast address record types.
MODE_IS_INCLUDE = 1
MODE_IS_EXCLUDE = 2
CHANGE_TO_INCLUDE_MODE = 3
CHANGE_TO_EXCLUDE_MODE = 4
ALLOW_NEW_SOURCES = 5
BLOCK_OLD_SOURCES = 6

_RECORD = struct.Struct("!BBH16s")
_QUERY2 = struct.Struct("!BBH")  # S/QRV, QQIC, number of sources


@dataclass(frozen=True, slots=True)
class MldV1:
    """Query (130), Report (131) or Done (132): maximum response delay, reserved, group."""

    type: int
    group: bytes
    max_delay: int = 0
    reserved: int = 0

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        rest = (bits("max_delay", self.max_delay, 16) << 16) | bits("reserved",
                                                                   self.reserved, 16)
        return Icmpv6Repr(self.type, code, rest, octets("group", self.group, 16))


@dataclass(frozen=True, slots=True)
class MldV2Query:
    group: bytes
    max_resp_code: int = 10000
    suppress: bool = False
    qrv: int = 2
    qqic: int = 125
    sources: tuple[bytes, ...] = ()
    reserved: int = 0

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        rest = (bits("max_resp_code", self.max_resp_code, 16) << 16) | self.reserved
        flags = (bits("reserved_high", 0, 4) << 4) | (0x08 if self.suppress else 0) | bits(
            "qrv", self.qrv, 3)
        body = octets("group", self.group, 16) + pack(_QUERY2, flags, self.qqic,
                                                       len(self.sources))
        return Icmpv6Repr(MLD_LISTENER_QUERY, code, rest, body + b"".join(self.sources))


@dataclass(frozen=True, slots=True)
class MldRecord:
    """RFC 3810 5.2.4: record type, aux data length (32-bit words), sources, group."""

    record_type: int
    group: bytes
    sources: tuple[bytes, ...] = ()
    aux: bytes = b""

    def emit(self) -> bytes:
        if len(self.aux) % 4:
            raise WireError("cannot emit: MLD aux data is not whole 32-bit words")
        return (pack(_RECORD, self.record_type, len(self.aux) // 4, len(self.sources),
                     octets("group", self.group, 16)) + b"".join(self.sources) + self.aux)


@dataclass(frozen=True, slots=True)
class MldV2Report:
    """RFC 3810 5.2: reserved (16 bits), number of records, the records. ``trailing`` holds
    octets the records do not account for (a malformed count or record)."""

    records: tuple[MldRecord, ...] = ()
    reserved: int = 0
    trailing: bytes = b""
    count: int | None = None  # None = the number of records

    def to_icmp(self, code: int = 0) -> Icmpv6Repr:
        count = len(self.records) if self.count is None else self.count
        rest = (bits("reserved", self.reserved, 16) << 16) | bits("count", count, 16)
        return Icmpv6Repr(MLDV2_LISTENER_REPORT, code, rest,
                          b"".join(r.emit() for r in self.records) + self.trailing)


Mld = MldV1 | MldV2Query | MldV2Report


def from_icmp(icmp: Icmpv6Repr) -> Mld:
    t, rest, body = icmp.type, icmp.rest, icmp.payload
    if t == MLDV2_LISTENER_REPORT:
        return _report(rest, body)
    if t not in (MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_DONE):
        raise WireError(f"not an MLD message: type {t}")
    if len(body) < 16:
        raise WireError("truncated MLD message")
    if t == MLD_LISTENER_QUERY and len(body) >= 20:
        flags, qqic, nsrc = _QUERY2.unpack_from(body, 16)
        sources = tuple(body[20 + 16 * i : 36 + 16 * i] for i in range(nsrc)
                        if 36 + 16 * i <= len(body))
        return MldV2Query(body[:16], rest >> 16, bool(flags & 0x08), flags & 7, qqic,
                          sources, rest & 0xFFFF)
    return MldV1(t, body[:16], rest >> 16, rest & 0xFFFF)


def _report(rest: int, body: bytes) -> MldV2Report:
    count = rest & 0xFFFF
    records: list[MldRecord] = []
    i = 0
    for _ in range(count):
        if i + _RECORD.size > len(body):
            break
        rtype, aux_words, nsrc, group = _RECORD.unpack_from(body, i)
        end = i + _RECORD.size + 16 * nsrc + 4 * aux_words
        if end > len(body):
            break
        src_at = i + _RECORD.size
        sources = tuple(body[src_at + 16 * k : src_at + 16 * k + 16] for k in range(nsrc))
        records.append(MldRecord(rtype, group, sources, body[src_at + 16 * nsrc : end]))
        i = end
    return MldV2Report(tuple(records), rest >> 16, body[i:],
                       None if count == len(records) else count)


def summary(message: Mld) -> str:
    if isinstance(message, MldV2Report):
        return "MLDv2 report " + ",".join(
            f"{r.record_type}:{ip6_str(r.group)}" for r in message.records)
    if isinstance(message, MldV2Query):
        return f"MLDv2 query {ip6_str(message.group)}"
    return f"MLDv1 {message.type} {ip6_str(message.group)}"
