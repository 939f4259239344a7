"""Emit-side field checks shared by the codecs: a value that does not fit its field raises
WireError, instead of struct.error or silently spilling into a neighbouring bit field."""

import struct

from reference_stack.wire.errors import WireError


def pack(fmt: struct.Struct, *values: int) -> bytes:
    try:
        return fmt.pack(*values)
    except struct.error as e:
        raise WireError(f"cannot emit: {e}") from None


def bits(name: str, value: int, width: int) -> int:
    """``value`` if it fits in an unsigned ``width``-bit field."""
    if not 0 <= value < (1 << width):
        raise WireError(f"cannot emit: {name}={value} does not fit in {width} bits")
    return value


def octets(name: str, value: bytes, size: int) -> bytes:
    """``value`` if it is exactly ``size`` octets long."""
    if len(value) != size:
        raise WireError(f"cannot emit: {name} is {len(value)} octets, not {size}")
    return value
