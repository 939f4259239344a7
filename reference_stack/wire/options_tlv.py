"""Kind-length-value option lists, shared by IPv4 (RFC 791 3.1) and TCP (RFC 9293 3.1).

Both use kind 0 = End of Option List (the rest of the area is padding), kind 1 = No-Operation,
and otherwise a kind octet, a length octet counting kind and length themselves, and a body.
The walk stops where Linux stops (length < 2, or an option running past the area): that
remainder becomes one malformed-option object holding the raw bytes, so emit stays byte-exact.
"""

from collections.abc import Callable
from typing import Any

from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits

KIND_EOL = 0
KIND_NOP = 1


def walk_options(
    area: bytes,
    eol: Callable[[bytes], Any],
    nop: Any,
    decode: Callable[[int, bytes], Any],
    malformed: Callable[[bytes], Any],
) -> tuple:
    """Split an option area into objects: ``eol(padding)``, ``nop``, ``decode(kind, body)``
    for each well-framed option, and ``malformed(remainder)`` where framing breaks."""
    options = []
    append = options.append
    i = 0
    n = len(area)
    while i < n:
        kind = area[i]
        if kind == KIND_EOL:
            append(eol(area[i + 1 :]))
            break
        if kind == KIND_NOP:
            append(nop)
            i += 1
            continue
        if i + 1 >= n:
            append(malformed(area[i:]))
            break
        length = area[i + 1]
        if length < 2 or i + length > n:
            append(malformed(area[i:]))
            break
        append(decode(kind, area[i + 2 : i + length]))
        i += length
    return tuple(options)


def emit_tlv(kind: int, body: bytes) -> bytes:
    """One option as kind, length (= 2 + len(body)), body."""
    if len(body) > 253:
        raise WireError(f"option kind {kind} body too long ({len(body)} bytes)")
    return bytes((bits("kind", kind, 8), len(body) + 2)) + body
