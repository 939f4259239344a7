"""ICMPv4: echo (RFC 792, RFC 1122 3.2.2.6), timestamp (RFC 1122 3.2.2.8) and the rules for
sending errors (RFC 1122 3.2.2)."""

from __future__ import annotations

import errno

from reference_stack.iface.addressing import Addressing
from reference_stack.profiles import Profile
from reference_stack.variance import PrefixOf, Range
from reference_stack.wire.icmpv4 import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REPLY,
    ICMP_PARAM_PROBLEM,
    ICMP_PORT_UNREACH,
    ICMP_PROT_UNREACH,
    ICMP_REDIRECT,
    ICMP_SOURCE_QUENCH,
    ICMP_TIME_EXCEEDED,
    ICMP_TIMESTAMP_REPLY,
    Icmpv4Repr,
)
from reference_stack.wire.ipv4 import IPPROTO_ICMP, Ipv4Repr

ERROR_TYPES = frozenset((ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT,
                         ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM))
ICMP_HEADER = 8
IP_HEADER = 20
TOS_PREC_INTERNETCONTROL = 0xC0  # RFC 1812 4.3.2.5 (Linux icmp_send)


# RFC 1122 4.2.3.9: protocol and port unreachable are hard errors (errno as Linux's
# icmp_err_convert: ENOPROTOOPT, ECONNREFUSED).
HARD_UNREACH_ERRNO = {ICMP_PROT_UNREACH: errno.ENOPROTOOPT, ICMP_PORT_UNREACH: errno.ECONNREFUSED}
# The other Destination Unreachable codes (soft errors, RFC 1122 4.2.3.9) and the errno Linux's
# icmp_err_convert gives them (code 4, fragmentation needed, is path MTU discovery's).
SOFT_UNREACH_ERRNO = {0: errno.ENETUNREACH, 1: errno.EHOSTUNREACH, 5: errno.EOPNOTSUPP,
                      6: errno.ENETUNREACH, 7: errno.EHOSTDOWN, 8: errno.ENONET,
                      9: errno.ENETUNREACH, 10: errno.EHOSTUNREACH, 11: errno.ENETUNREACH,
                      12: errno.EHOSTUNREACH, 13: errno.EHOSTUNREACH, 14: errno.EHOSTUNREACH,
                      15: errno.EHOSTUNREACH}


def error_errno(icmp_type: int, code: int) -> tuple[int | None, bool]:
    """(the errno an ICMP error converts to, or None; whether it is a hard error)."""
    if icmp_type != ICMP_DEST_UNREACH:
        return None, False
    hard = HARD_UNREACH_ERRNO.get(code)
    if hard is not None:
        return hard, True
    return SOFT_UNREACH_ERRNO.get(code), False


NR_ICMP_TYPES = 18  # Linux: the highest ICMP type it knows (RFC 950 address mask reply)
# Types Linux's icmp_pointers[] mark `.error = 1`: the RFC 792 errors and the unassigned or
# obsolete 1, 2, 6, 7, 9, 10 (icmp_send sends no error about any of them).
LINUX_ERROR_TYPES = frozenset((1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12))


def error_forbidden(original: Ipv4Repr, link_broadcast: bool, addr: Addressing,
                    unknown_type_is_error: bool = False) -> str | None:
    """The RFC 1122 3.2.2 rule that forbids an ICMP error about `original`, or None.
    ``unknown_type_is_error``: an ICMP message of a type above 18, or of one Linux marks as an
    error (:data:`LINUX_ERROR_TYPES`), may be an error too (Linux icmp_send: ``*itp >
    NR_ICMP_TYPES || icmp_pointers[*itp].error``), so none is sent about it either."""
    if original.protocol == IPPROTO_ICMP and original.frag_offset == 0:
        icmp_type = original.payload[0] if original.payload else None
        if icmp_type is None or icmp_type in ERROR_TYPES or (
                unknown_type_is_error and (icmp_type > NR_ICMP_TYPES
                                           or icmp_type in LINUX_ERROR_TYPES)):
            return "RFC1122-3.2.2-MUST-NOT-error-about-icmp-error"
    if addr.is_broadcast(original.dst) or 224 <= original.dst[0] <= 239:
        return "RFC1122-3.2.2-MUST-NOT-error-to-broadcast"
    if link_broadcast:
        return "RFC1122-3.2.2-MUST-NOT-error-link-broadcast"
    if original.frag_offset != 0:
        return "RFC1122-3.2.2-MUST-NOT-error-non-first-fragment"
    if not addr.is_single_host(original.src):
        return "RFC1122-3.2.2-MUST-NOT-error-source-not-single-host"
    return None


def quote(original_bytes: bytes, profile: Profile, options_len: int = 0) -> bytes:
    """The quoted datagram: as much as fits in `icmp_error_max_len` octets in total (RFC 1812
    4.3.2.3; RFC 1122 3.2.2 requires at least the header and 8 data octets), the error's own
    IP options (``options_len`` octets, Linux icmp_send: room -= optlen) included."""
    return original_bytes[:profile.icmp_error_max_len - IP_HEADER - options_len - ICMP_HEADER]


def quote_variance(original_bytes: bytes, header_len: int, profile: Profile,
                   options_len: int = 0) -> dict:
    if profile.icmp_quote_exact:
        return {}
    full = quote(original_bytes, profile, options_len)
    least = min(header_len + 8, len(full))
    fixed = IP_HEADER + ICMP_HEADER
    return {"icmpv4.payload": PrefixOf(full, least),
            "ipv4.total_length": Range(fixed + least, fixed + len(full))}


def error_tos(original: Ipv4Repr) -> int:
    return TOS_PREC_INTERNETCONTROL | (original.tos & 0x1E)


def echo_reply(request: Icmpv4Repr, copy_code: bool = False) -> Icmpv4Repr:
    """RFC 792 / RFC 1122 3.2.2.6: the reply carries the request's identifier, sequence number
    and data, with code 0 (``copy_code``: the request's, as Linux's icmp_echo)."""
    return Icmpv4Repr(ICMP_ECHO_REPLY, request.code if copy_code else 0, request.rest,
                      request.payload)




def timestamp_reply(request: Icmpv4Repr, now: float) -> Icmpv4Repr | None:
    """RFC 792 Timestamp Reply, as Linux's icmp_timestamp builds it (RFC 1122 3.2.2.8 MAY):
    None for a request with fewer than 4 data octets (too short, dropped); else identifier
    and sequence number kept, code 0, the originate timestamp copied and receive and transmit
    set to this host's clock (ms since midnight UT), 12 data octets whatever the request
    carried."""
    if len(request.payload) < 4:
        return None
    ms = (int(now * 1000) % 86_400_000).to_bytes(4, "big")
    return Icmpv4Repr(ICMP_TIMESTAMP_REPLY, 0, request.rest, request.payload[:4] + ms + ms)
