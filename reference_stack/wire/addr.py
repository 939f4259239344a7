"""Text <-> raw-bytes conversion of MAC and IPv4 addresses (addresses are raw bytes everywhere)."""

from reference_stack.wire.errors import WireError


def mac(text: str) -> bytes:
    """``"02:00:00:00:00:01"`` (or ``-`` separated) -> 6 bytes."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
        raise WireError(f"bad MAC address {text!r}")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise WireError(f"bad MAC address {text!r}") from None


def ip4(text: str) -> bytes:
    """Dotted quad ``"198.18.0.1"`` -> 4 bytes (no shorthand forms, no leading zeros)."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and p.isascii() for p in parts):
        raise WireError(f"bad IPv4 address {text!r}")
    if any(len(p) > 1 and p[0] == "0" for p in parts):
        raise WireError(f"bad IPv4 address {text!r}")
    values = [int(p) for p in parts]
    if any(v > 255 for v in values):
        raise WireError(f"bad IPv4 address {text!r}")
    return bytes(values)


def mac_str(raw: bytes) -> str:
    """Raw MAC bytes -> ``"02:00:00:00:00:01"`` (any length, so odd hardware addresses print)."""
    return ":".join(f"{b:02x}" for b in raw)


def ip4_str(raw: bytes) -> str:
    """Raw IPv4 bytes -> dotted quad (any length, so odd protocol addresses print)."""
    return ".".join(str(b) for b in raw)
