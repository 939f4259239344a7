"""IPv4 options as Linux handles them, on the raw option area (net/ipv4/ip_options.c,
net/ipv4/cipso_ipv4.c; RFC 791 3.1 formats, RFC 1122 3.2.1.8, 3.2.2.5, 3.2.2.6, RFC 1812
5.2.4.1).

`compile_options` is ``__ip_options_compile`` on receipt: every option is checked in the order
its octets come, before ``ip_rcv_options`` looks at a source route; Record Route and Timestamp
entries are written as they are accepted (``is_changed``), octets after an End of Option List
cleared; a CIPSO option is refused (no DOI configured: ``cipso_v4_validate``) after it was
noted. It stops at the first fault, with the state so far: what ``icmp_send`` echoes into the
Parameter Problem. `echo` is ``__ip_options_echo`` then ``ip_options_build``: the options of a
reply or an ICMP error (Record Route and Timestamp with this host's entry added, a source route
reversed, CIPSO copied, in that order), and where the reply goes: the reversed route's first
hop (``icmp_route_lookup``: ``faddr``) or the datagram's source.
"""

from __future__ import annotations

from dataclasses import dataclass

from reference_stack.iface.addressing import Addressing
from reference_stack.wire.ipv4 import Ipv4Option, Ipv4Repr
from reference_stack.wire.ipv4_options import emit_ipv4_options, parse_ipv4_options

IPOPT_END, IPOPT_NOOP, IPOPT_RR, IPOPT_TS = 0, 1, 7, 68
IPOPT_LSRR, IPOPT_SSRR, IPOPT_CIPSO, IPOPT_RA = 131, 137, 134, 148
TS_ONLY, TS_AND_ADDR, TS_PRESPEC = 0, 1, 3  # RFC 791 3.1 Internet Timestamp flags
CIPSO_MIN = 8  # CIPSO_V4_HDR_LEN + a tag
HEADER = 20
MS_PER_DAY = 86_400_000


@dataclass(slots=True)
class Compiled:
    """``struct ip_options`` after ``__ip_options_compile``: offsets in the option area."""

    area: bytearray
    fault: int | None = None  # offset of the first fault in the area (None: all valid)
    rr: int | None = None
    ts: int | None = None
    srr: int | None = None
    cipso: int | None = None
    rr_needaddr: bool = False
    ts_needaddr: bool = False
    ts_needtime: bool = False
    changed: bool = False


@dataclass(frozen=True, slots=True)
class Echo:
    options: tuple[Ipv4Option, ...]
    dst: bytes  # the reversed source route's first hop, else the datagram's source
    changed: bool  # the datagram's option area was written on receipt (its quote differs)


def stamp_of(now: float) -> bytes:
    """RFC 791 3.1: milliseconds since midnight UT (Linux inet_current_timestamp)."""
    return (int(now * 1000) % MS_PER_DAY).to_bytes(4, "big")


def unicast(addr: Addressing, a: bytes) -> bool:
    """Linux ``inet_addr_type(net, a) == RTN_UNICAST``: not this host's, a broadcast, a
    multicast, a zero-network or a loopback address (those the local table knows)."""
    return not (a == addr.ip or a[0] in (0, 127) or addr.is_multicast(a)
                or addr.is_broadcast(a))


def compile_options(area: bytes, addr: Addressing, stamp: bytes) -> Compiled:
    c = Compiled(bytearray(area))
    a = c.area
    i, n = 0, len(a)
    while i < n:
        kind = a[i]
        if kind == IPOPT_END:
            if any(a[i + 1:]):
                a[i + 1:] = bytes(n - i - 1)
                c.changed = True
            return c
        if kind == IPOPT_NOOP:
            i += 1
            continue
        if n - i < 2:
            c.fault = i
            return c
        optlen = a[i + 1]
        if optlen < 2 or optlen > n - i:
            c.fault = i
            return c
        fault = _compile_one(c, i, optlen, addr, stamp)
        if fault is not None:
            c.fault = i + fault
            return c
        i += optlen
    return c


def _compile_one(c: Compiled, i: int, optlen: int, addr: Addressing, stamp: bytes
                 ) -> int | None:
    """One option at area offset ``i``: the offset of its fault in it, or None."""
    a = c.area
    kind = a[i]
    if kind in (IPOPT_LSRR, IPOPT_SSRR):
        if optlen < 3:
            return 1
        if a[i + 2] < 4:
            return 2
        if c.srr is not None:  # RFC 1812 5.2.4.1: one source route
            return 0
        c.srr = i
    elif kind == IPOPT_RR:
        fault = _entry_fault(c.rr is not None, a, i, optlen, 3, 4)
        if fault is not None:
            return fault
        ptr = a[i + 2]
        if ptr <= optlen:
            a[i + ptr - 1:i + ptr + 3] = addr.ip  # our entry, written on receipt
            a[i + 2] = ptr + 4
            c.rr_needaddr = c.changed = True
        c.rr = i
    elif kind == IPOPT_TS:
        return _compile_timestamp(c, i, optlen, addr, stamp)
    elif kind == IPOPT_RA and optlen < 4:
        return 1
    elif kind == IPOPT_CIPSO:
        if c.cipso is not None:
            return 0
        c.cipso = i  # noted before validation: an error about it echoes it
        # cipso_v4_validate with no DOI defined: too short, else an unknown DOI.
        return 1 if optlen < CIPSO_MIN else 2
    return None


def _entry_fault(seen: bool, a: bytearray, i: int, optlen: int, least_len: int,
                 least_ptr: int) -> int | None:
    """What Record Route and Timestamp check alike (RFC 791 3.1): one of each, a length and
    a pointer at their minimums, room for an entry where the pointer is inside the option."""
    if seen:
        return 0
    if optlen < least_len:
        return 1
    ptr = a[i + 2]
    if ptr < least_ptr or (ptr <= optlen and ptr + 3 > optlen):
        return 2
    return None


def _compile_timestamp(c: Compiled, i: int, optlen: int, addr: Addressing, stamp: bytes
                       ) -> int | None:
    a = c.area
    fault = _entry_fault(c.ts is not None, a, i, optlen, 4, 5)
    if fault is not None:
        return fault
    ptr = a[i + 2]
    flag = a[i + 3] & 0x0F
    if ptr <= optlen:
        at = None
        if flag == TS_ONLY:
            at = i + ptr - 1
            c.ts_needtime = True
            a[i + 2] = ptr + 4
        elif flag in (TS_AND_ADDR, TS_PRESPEC):
            if ptr + 7 > optlen:  # an address and a time need 8 octets of room
                return 2
            if flag == TS_AND_ADDR:
                a[i + ptr - 1:i + ptr + 3] = addr.ip
                c.ts_needaddr = True
            if flag == TS_AND_ADDR or not unicast(addr, bytes(a[i + ptr - 1:i + ptr + 3])):
                at = i + ptr + 3
                c.ts_needtime = True
                a[i + 2] = ptr + 8
        if at is not None:
            a[at:at + 4] = stamp
            c.changed = True
    elif flag != TS_PRESPEC:
        overflow = a[i + 3] >> 4
        if overflow == 15:  # RFC 791 3.1: the overflow count cannot go up any more
            return 3
        a[i + 3] = flag | (overflow + 1) << 4
        c.changed = True
    c.ts = i
    return None


def compile_ip(ip: Ipv4Repr, addr: Addressing, now: float) -> Compiled:
    return compile_options(emit_ipv4_options(ip.options), addr, stamp_of(now))


def echo(ip: Ipv4Repr, addr: Addressing, now: float) -> Echo | None:
    """The options and destination of a reply or ICMP error about ``ip``, or None where
    ``__ip_options_echo`` refuses (-EINVAL: a recorded route or timestamp without room for
    the entry it promised), so that nothing is sent."""
    stamp = stamp_of(now)
    c = compile_ip(ip, addr, now)
    a = c.area
    out = bytearray()
    if c.rr is not None:
        part = _echo_rr(c, a, addr)
        if part is None:
            return None
        out += part
    if c.ts is not None:
        part = _echo_ts(c, a, addr, stamp)
        if part is None:
            return None
        out += part
    dst = ip.src
    if c.srr is not None:
        route = _echo_srr(a, c.srr, ip.src)
        if route is not None:
            dst, part = route
            out += part
    if c.cipso is not None:
        out += a[c.cipso:c.cipso + a[c.cipso + 1]]
    while len(out) & 3:
        out.append(IPOPT_END)
    return Echo(parse_ipv4_options(bytes(out)), dst, c.changed)


def _echo_rr(c: Compiled, a: bytearray, addr: Addressing) -> bytearray | None:
    optlen, ptr = a[c.rr + 1], a[c.rr + 2]
    d = bytearray(a[c.rr:c.rr + optlen])
    if c.rr_needaddr and ptr <= optlen:
        if ptr + 3 > optlen:
            return None
        d[2] = ptr + 4
        d[ptr - 1:ptr + 3] = addr.ip  # ip_options_build: this host again, as the sender
    return d


def _echo_ts(c: Compiled, a: bytearray, addr: Addressing, stamp: bytes) -> bytearray | None:
    optlen, ptr = a[c.ts + 1], a[c.ts + 2]
    d = bytearray(a[c.ts:c.ts + optlen])
    if ptr > optlen:
        return d
    needaddr = needtime = False
    if c.ts_needaddr:
        if ptr + 3 > optlen:
            return None
        needaddr = True
        ptr += 4
    if c.ts_needtime:
        if ptr + 3 > optlen:
            return None
        if d[3] & 0x0F != TS_PRESPEC:
            needtime = True
            ptr += 4
        elif ptr + 7 <= optlen and not unicast(addr, bytes(d[ptr - 1:ptr + 3])):
            needtime = True
            ptr += 8
    d[2] = ptr
    if needaddr:
        d[ptr - 9:ptr - 5] = addr.ip
    if needtime:
        d[ptr - 5:ptr - 1] = stamp
    return d


def _echo_srr(a: bytearray, srr: int, saddr: bytes) -> tuple[bytes, bytearray] | None:
    """The reversed source route (RFC 1122 3.2.1.8, RFC 1812 5.2.4.1) and its first hop, or
    None when no hop was recorded (the reply then goes to the source without it)."""
    optlen, soffset = a[srr + 1], a[srr + 2]
    if soffset > optlen:
        soffset = optlen + 1
    soffset -= 4
    if soffset <= 3:
        return None
    faddr = bytes(a[srr + soffset - 1:srr + soffset + 3])
    hops = []
    soffset -= 4
    while soffset > 3:
        hops.append(bytes(a[srr + soffset - 1:srr + soffset + 3]))
        soffset -= 4
    slots = len(hops) + 1
    if bytes(a[srr + soffset + 3:srr + soffset + 7]) == saddr:
        slots -= 1  # RFC 1812 ("fix illegal source routes"): the source itself is no hop
    if slots == 0:
        return None
    # ip_options_build writes the final destination (the datagram's source) in the last slot.
    route = bytearray((a[srr], 3 + 4 * slots, 4)) + b"".join(hops[:slots - 1]) + saddr
    return faddr, route
