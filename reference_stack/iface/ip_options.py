"""IPv4 options on input (RFC 791 3.1, RFC 1122 3.2.1.8) and in echo replies (RFC 1122
3.2.2.6: Record Route and Timestamp are updated with this host and returned)."""

from __future__ import annotations

from reference_stack.iface import linux_options
from reference_stack.iface.addressing import Addressing
from reference_stack.profiles import Profile
from reference_stack.wire.ipv4 import (
    Ipv4OptEol,
    Ipv4Option,
    Ipv4OptLsrr,
    Ipv4OptMalformed,
    Ipv4OptNop,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptSsrr,
    Ipv4OptTimestamp,
    Ipv4Repr,
)
from reference_stack.wire.ipv4_options import emit_ipv4_options, parse_ipv4_options

RULE_OPTION_FORMAT = "RFC1122-3.2.2.5-SHOULD-parameter-problem"
RULE_SOURCE_ROUTE = "LINUX-ip_rcv_options-accept_source_route"
RULE_OPTIONS = "RFC1122-3.2.1.8-MUST-pass-options"
RULE_TIMESTAMP_ROOM = "GVISOR-handle_timestamp-no-room-parameter-problem"
RULE_REPEATED = "GVISOR-process_ip_options-repeated-option-parameter-problem"
ROUTE_KINDS = (7, 131, 137)  # Record Route, LSRR, SSRR: pointer >= 4 (RFC 791 3.1)
TIMESTAMP_KIND = 68  # Internet Timestamp: pointer >= 5
MS_PER_DAY = 86_400_000
HEADER = 20


def check(ip: Ipv4Repr, profile: Profile, addr: Addressing, now: float
          ) -> tuple[str, str, int]:
    """(verdict, rule, pointer): verdict is "ok", "drop" or "param" (answer with a Parameter
    Problem whose pointer is the octet offset of the fault, RFC 792). With the profile's
    ``ip_options_compile``, Linux's order (linux_options.py)."""
    if profile.ip_options_compile:
        return _check_compiled(ip, profile, addr, now)
    offset = 20
    seen: set[int] = set()
    for opt in ip.options:
        if isinstance(opt, Ipv4OptMalformed):
            return "param", RULE_OPTION_FORMAT, offset  # broken framing: at the option
        raw = opt.emit()
        if profile.ip_option_repeat_param_problem and not isinstance(opt, Ipv4OptNop | Ipv4OptEol):
            # RFC 791 3.1 has most options appear at most once in a datagram; gVisor
            # (network/ipv4/ipv4.go processIPOptions: seenOptions) answers any repeated kind
            # with a Parameter Problem pointing at the repeat (RFC 1122 3.2.2.5).
            if raw[0] in seen:
                return "param", RULE_REPEATED, offset
            seen.add(raw[0])
        if raw[0] in ROUTE_KINDS or raw[0] == TIMESTAMP_KIND:
            least = 5 if raw[0] == TIMESTAMP_KIND else 4
            if len(raw) < least - 1:
                return "param", RULE_OPTION_FORMAT, offset + 1  # the length octet
            if raw[2] < least:
                return "param", RULE_OPTION_FORMAT, offset + 2  # the pointer octet
            if (raw[0] == TIMESTAMP_KIND and profile.timestamp_no_room_param_problem
                    and _no_room_for_an_entry(raw)):
                # RFC 791 3.1: "If there is some room but not enough room for a full
                # timestamp to be inserted ... the original datagram is considered to be in
                # error and is discarded ... an ICMP parameter problem message may be sent"
                # (gVisor network/ipv4/ipv4.go handleTimestamp: pointing at the pointer).
                return "param", RULE_TIMESTAMP_ROOM, offset + 2
        if isinstance(opt, Ipv4OptLsrr | Ipv4OptSsrr) and profile.drop_source_routed:
            # RFC 1122 3.2.1.8 asks hosts to accept source routes; Linux drops them
            # (net.ipv4.conf.*.accept_source_route = 0).
            return "drop", RULE_SOURCE_ROUTE, offset
        offset += len(raw)
    return "ok", RULE_OPTIONS, 0


def _no_room_for_an_entry(raw: bytes) -> bool:
    """A Timestamp option whose pointer lies within its length but whose next entry (4
    octets, or 8 with addresses: flags 1 and 3) does not fit (RFC 791 3.1)."""
    if len(raw) < 4:
        return False
    entry = 4 if raw[3] & 0x0F == 0 else 8
    return raw[2] <= len(raw) < raw[2] + entry - 1


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


def echo_option_area(request: Ipv4Repr, our_ip: bytes, now: float) -> tuple[Ipv4Option, ...]:
    """The options of an echo reply that rebuilds the request's option area in order (gVisor
    network/ipv4/icmp.go, ICMPv4Echo, through ipv4.go processIPOptions with optionUsageEcho):
    Record Route and Timestamp updated with this host (RFC 1122 3.2.2.6), NOP, End of List
    and Router Alert kept, any other option left out, the area padded with zero octets to a
    multiple of four (RFC 791 3.1; header.IPv4OptionIterator.Finalize)."""
    kept: list[Ipv4Option] = []
    stamp = (int(now * 1000) % MS_PER_DAY).to_bytes(4, "big")
    for opt in request.options:
        if isinstance(opt, Ipv4OptEol):
            kept.append(Ipv4OptEol())
            break
        if isinstance(opt, Ipv4OptNop | Ipv4OptRouterAlert):
            kept.append(opt)
        elif isinstance(opt, Ipv4OptRecordRoute):
            kept.append(_record(opt, our_ip))
        elif isinstance(opt, Ipv4OptTimestamp):
            kept.append(_stamp(opt, our_ip, stamp))
    area = emit_ipv4_options(tuple(kept))
    return parse_ipv4_options(area + bytes(-len(area) % 4))


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


def _check_compiled(ip: Ipv4Repr, profile: Profile, addr: Addressing, now: float
                    ) -> tuple[str, str, int]:
    compiled = linux_options.compile_ip(ip, addr, now)
    if compiled.fault is not None:
        return "param", RULE_OPTION_FORMAT, HEADER + compiled.fault
    if compiled.srr is not None and profile.drop_source_routed:
        # ip_rcv_options, after the options compiled: accept_source_route = 0 drops.
        return "drop", RULE_SOURCE_ROUTE, 0
    return "ok", RULE_OPTIONS, 0


def recorded_on_receive(original: Ipv4Repr, original_bytes: bytes, our_ip: bytes, now: float
                        ) -> tuple[bytes, tuple[tuple[int, int], ...]]:
    """The datagram as gVisor's netstack holds it after its receive-side option processing
    (network/ipv4/ipv4.go processIPOptions: handleRecordRoute records this host's address in
    a Record Route option in place, its pointer advanced; handleTimestamp stamps a Timestamp
    option (this host's address too for flags 1 and 3) or counts an overflow; the header
    checksum is left as it came): what an ICMP error about it quotes (profile
    icmp_quote_recorded_route), with the spans of the datagram holding a timestamp (netstack's
    clock). RFC 792 quotes "the internet header" of the datagram; RFC 791 3.1 records the
    route and the timestamps at each host. Other options are quoted as received."""
    kinds = (Ipv4OptRecordRoute, Ipv4OptTimestamp)
    if not any(isinstance(opt, kinds) for opt in original.options):
        return original_bytes, ()
    stamp = (int(now * 1000) % MS_PER_DAY).to_bytes(4, "big")
    options, spans, at = [], [], HEADER
    for opt in original.options:
        new = opt
        if isinstance(opt, Ipv4OptRecordRoute):
            new = _record(opt, our_ip)
        elif isinstance(opt, Ipv4OptTimestamp):
            new = _stamp(opt, our_ip, stamp)
            if new.pointer != opt.pointer:  # stamped: the entry's last 4 octets
                end = at + 4 + (new.pointer - 5)
                spans.append((end - 4, end))
        options.append(new)
        at += len(opt.emit())
    area = emit_ipv4_options(tuple(options))
    start = HEADER
    end = original.header_len
    if len(area) > end - start:
        return original_bytes, ()
    area += original_bytes[start + len(area):end]
    return original_bytes[:start] + area + original_bytes[end:], tuple(spans)
