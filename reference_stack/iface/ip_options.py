"""IPv4 options on input (RFC 791 3.1, RFC 1122 3.2.1.8) and in echo replies (RFC 1122
3.2.2.6: Record Route and Timestamp are updated with this host and returned)."""

from __future__ import annotations

import dataclasses

from reference_stack.profiles import Profile
from reference_stack.wire.ipv4 import (
    Ipv4Option,
    Ipv4OptLsrr,
    Ipv4OptMalformed,
    Ipv4OptRecordRoute,
    Ipv4OptSsrr,
    Ipv4OptTimestamp,
    Ipv4Repr,
)
from reference_stack.wire.ipv4_options import emit_ipv4_options

RULE_OPTION_FORMAT = "RFC1122-3.2.2.5-SHOULD-parameter-problem"
RULE_SOURCE_ROUTE = "LINUX-ip_rcv_options-accept_source_route"
RULE_OPTIONS = "RFC1122-3.2.1.8-MUST-pass-options"
ROUTE_KINDS = (7, 131, 137)  # Record Route, LSRR, SSRR: pointer >= 4 (RFC 791 3.1)
TIMESTAMP_KIND = 68  # Internet Timestamp: pointer >= 5
MS_PER_DAY = 86_400_000


def check(ip: Ipv4Repr, profile: Profile) -> tuple[str, str, int]:
    """(verdict, rule, pointer): verdict is "ok", "drop" or "param" (answer with a Parameter
    Problem whose pointer is the octet offset of the fault, RFC 792)."""
    if profile.ip_options_compile:
        return _check_compiled(ip, profile)
    offset = 20
    for opt in ip.options:
        if isinstance(opt, Ipv4OptMalformed):
            return "param", RULE_OPTION_FORMAT, offset  # broken framing: at the option
        raw = opt.emit()
        if raw[0] in ROUTE_KINDS or raw[0] == TIMESTAMP_KIND:
            least = 5 if raw[0] == TIMESTAMP_KIND else 4
            if len(raw) < least - 1:
                return "param", RULE_OPTION_FORMAT, offset + 1  # the length octet
            if raw[2] < least:
                return "param", RULE_OPTION_FORMAT, offset + 2  # the pointer octet
        if isinstance(opt, Ipv4OptLsrr | Ipv4OptSsrr) and profile.drop_source_routed:
            # RFC 1122 3.2.1.8 asks hosts to accept source routes; Linux drops them
            # (net.ipv4.conf.*.accept_source_route = 0).
            return "drop", RULE_SOURCE_ROUTE, offset
        offset += len(raw)
    return "ok", RULE_OPTIONS, 0


def echo_options(request: Ipv4Repr, our_ip: bytes, now: float) -> tuple[Ipv4Option, ...]:
    """The options of an echo reply: the request's Record Route and Timestamp, updated with
    this host (RFC 1122 3.2.2.6 SHOULD); the others are not returned."""
    out: list[Ipv4Option] = []
    stamp = (int(now * 1000) % MS_PER_DAY).to_bytes(4, "big")  # RFC 791: ms since midnight
    for opt in request.options:
        if isinstance(opt, Ipv4OptRecordRoute):
            out.append(_record(opt, our_ip))
        elif isinstance(opt, Ipv4OptTimestamp):
            out.append(_stamp(opt, our_ip, stamp))
    return tuple(out)


def _record(opt: Ipv4OptRecordRoute, our_ip: bytes) -> Ipv4OptRecordRoute:
    i = (opt.pointer - 4) // 4
    if 0 <= i < len(opt.addresses):
        addresses = opt.addresses[:i] + (our_ip,) + opt.addresses[i + 1:]
        return Ipv4OptRecordRoute(opt.pointer + 4, addresses)
    return opt  # full: RFC 791, the datagram goes on unrecorded


def _stamp(opt: Ipv4OptTimestamp, our_ip: bytes, stamp: bytes) -> Ipv4OptTimestamp:
    i = opt.pointer - 5
    entry = stamp if opt.flag == 0 else our_ip + stamp
    if opt.flag == 3:  # prespecified addresses: only ours is stamped
        if opt.data[i:i + 4] != our_ip:
            return opt
    if i < 0 or i + len(entry) > len(opt.data):
        # RFC 791 3.1: no room, the overflow count goes up (saturating at 15).
        return Ipv4OptTimestamp(opt.pointer, min(opt.overflow + 1, 15), opt.flag, opt.data)
    data = opt.data[:i] + entry + opt.data[i + len(entry):]
    return Ipv4OptTimestamp(opt.pointer + len(entry), opt.overflow, opt.flag, data)


# -- Linux: ip_options_compile (net/ipv4/ip_options.c) ----------------------------------------
IPOPT_END, IPOPT_NOOP, IPOPT_RR, IPOPT_TS, IPOPT_LSRR, IPOPT_SSRR, IPOPT_RA = (
    0, 1, 7, 68, 131, 137, 148)
TS_ONLY, TS_AND_ADDR, TS_PRESPEC = 0, 1, 3  # RFC 791 3.1 Internet Timestamp flags


def compile_options(options: bytes) -> tuple[int | None, bool]:
    """Linux's receive-side validation of the option area (``__ip_options_compile``, the
    RFC 791 3.1 formats checked in the order the octets come): (pointer of the first fault as
    an offset from the IP header, or None; whether a source route is present). Every option
    is checked before ``ip_rcv_options`` looks at a source route, so a malformed option after
    a source route earns a Parameter Problem, not a drop (RFC 1122 3.2.2.5)."""
    seen: set[int] = set()
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == IPOPT_END:
            break  # the rest is padding (Linux overwrites it with EOL)
        if kind == IPOPT_NOOP:
            i += 1
            continue
        at = 20 + i  # the option's offset in the header
        left = len(options) - i
        if left < 2:
            return at, IPOPT_LSRR in seen or IPOPT_SSRR in seen
        optlen = options[i + 1]
        if optlen < 2 or optlen > left:
            return at, IPOPT_LSRR in seen or IPOPT_SSRR in seen
        fault = _option_fault(kind, options[i:i + optlen], seen)
        if fault is not None:
            return at + fault, IPOPT_LSRR in seen or IPOPT_SSRR in seen
        seen.add(kind)
        i += optlen
    return None, IPOPT_LSRR in seen or IPOPT_SSRR in seen


def _option_fault(kind: int, opt: bytes, seen: set[int]) -> int | None:
    """The offset in the option of its fault, or None (RFC 791 3.1 formats as Linux checks
    them; a second route, record route or timestamp option is a fault at the option)."""
    optlen = len(opt)
    if kind in (IPOPT_LSRR, IPOPT_SSRR):
        if optlen < 3:
            return 1
        if opt[2] < 4:
            return 2
        if IPOPT_LSRR in seen or IPOPT_SSRR in seen:  # RFC 1812 5.2.4.1: one source route
            return 0
    elif kind == IPOPT_RR:
        if IPOPT_RR in seen:
            return 0
        if optlen < 3:
            return 1
        if opt[2] < 4:
            return 2
        if opt[2] <= optlen and opt[2] + 3 > optlen:  # room for a part of an address only
            return 2
    elif kind == IPOPT_TS:
        if IPOPT_TS in seen:
            return 0
        if optlen < 4:
            return 1
        if opt[2] < 5:
            return 2
        flag, overflow = opt[3] & 0x0F, opt[3] >> 4
        if opt[2] <= optlen:
            if opt[2] + 3 > optlen:
                return 2
            if flag in (TS_AND_ADDR, TS_PRESPEC) and opt[2] + 7 > optlen:
                return 2  # an address and a time need 8 octets of room
        elif flag != TS_PRESPEC and overflow == 15:
            return 3  # the overflow count cannot go up any more
    elif kind == IPOPT_RA and optlen < 4:
        return 1
    return None


def changes_on_receipt(options: bytes) -> bool:
    """Whether Linux writes into the option area as it accepts it (``is_changed``: a Record
    Route or Timestamp entry recorded, an overflow counted, padding after EOL cleared), so
    that an ICMP error's quote shows the octets as processed, not as sent."""
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == IPOPT_END:
            return any(options[i + 1:])
        if kind == IPOPT_NOOP:
            i += 1
            continue
        if i + 2 > len(options) or options[i + 1] < 2:
            return False
        optlen = options[i + 1]
        if kind in (IPOPT_RR, IPOPT_TS) and optlen >= 3:
            return True
        i += optlen
    return False


def _check_compiled(ip: Ipv4Repr, profile: Profile) -> tuple[str, str, int]:
    pointer, source_routed = compile_options(emit_ipv4_options(ip.options))
    if pointer is not None:
        return "param", RULE_OPTION_FORMAT, pointer
    if source_routed and profile.drop_source_routed:
        # ip_rcv_options, after the options compiled: accept_source_route = 0 drops.
        return "drop", RULE_SOURCE_ROUTE, 0
    return "ok", RULE_OPTIONS, 0


def echo_refused(ip: Ipv4Repr, before: int = 0) -> bool:
    """Whether Linux's ``__ip_options_echo`` refuses (-EINVAL) to build the options of a reply
    or error to ``ip``, so that no echo reply, timestamp reply or ICMP error is sent at all
    (the datagram itself is delivered). It re-checks room at the pointer ``ip_options_compile``
    left: a Record Route or Timestamp option whose remaining room is a partial entry (its
    length not 3 + 4n, resp. 4 + 4n or 4 + 8n) fails; measured on Linux: an echo request with
    a Timestamp option of length 9, 10 or 11 gets no reply, of length 8 or 12 it does.
    ``before``: only the options ending at or before this header offset were compiled (a
    Parameter Problem's pointer; 0: all)."""
    offset = 20
    for opt in ip.options:
        raw = opt.emit()
        end = offset + len(raw)
        if before and end > before:
            break
        if len(raw) >= 4 and raw[0] in (IPOPT_RR, IPOPT_TS) and raw[2] <= raw[1]:
            optlen, pointer = raw[1], raw[2]
            if raw[0] == IPOPT_RR:
                entry = 4
            else:
                flag = raw[3] & 0x0F
                entry = 4 if flag == TS_ONLY else 8 if flag in (TS_AND_ADDR, TS_PRESPEC) else 0
            pointer += entry  # where ip_options_compile left it
            if entry and pointer <= optlen and pointer + entry - 1 > optlen:
                return True
        offset = end
    return False


def options_before(ip: Ipv4Repr, pointer: int) -> Ipv4Repr:
    """``ip`` with only the options Linux compiled before the fault at ``pointer`` (those that
    end at or before it): what ``icmp_send`` can echo into the Parameter Problem."""
    kept, offset = [], 20
    for opt in ip.options:
        offset += len(opt.emit())
        if offset > pointer:
            break
        kept.append(opt)
    return dataclasses.replace(ip, options=tuple(kept))
