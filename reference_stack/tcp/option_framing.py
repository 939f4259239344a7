"""A profile that drops a segment for an illegal option length (``bad_option_length_drops``).

RFC 1122 4.2.2.5: "A TCP MUST be prepared to handle an illegal option length (e.g., zero)
without crashing"; RFC 9293 3.1 suggests resetting the connection. The rfc and linux profiles
survive it by ignoring the rest of the option area (Linux tcp_parse_options stops at
``opsize < 2 || opsize > length``). pytcp drops the whole segment in its parser
(protocols/tcp/fpp.py TcpParser._packet_integrity_check), with its own walk: a length of 0 or
one running past the header fails, a length of 1 is stepped over, End of List stops.
"""

from __future__ import annotations

from reference_stack.wire.tcp import TcpOptMalformed, TcpRepr, emit_tcp_options

RULE = "PYTCP-packet_integrity_check-option-length"


def framing_fails(area: bytes) -> bool:
    """pytcp's walk of the option area: True where it rejects the segment."""
    i, n = 0, len(area)
    while i < n:
        kind = area[i]
        if kind == 0:  # End of Option List
            return False
        if kind == 1:  # No-Operation
            i += 1
            continue
        if i + 1 >= n:
            return True  # its length octet lies beyond the header: past it either way
        length = area[i + 1]
        if length == 0 or i + length > n:
            return True
        i += length
    return False


def drops(seg: TcpRepr) -> bool:
    """Whether the segment's option framing is one pytcp rejects (only a segment whose
    option walk broke somewhere, TcpOptMalformed last, can be)."""
    options = seg.options
    return bool(options) and type(options[-1]) is TcpOptMalformed \
        and framing_fails(emit_tcp_options(options))
