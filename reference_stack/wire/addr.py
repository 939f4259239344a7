"""Text <-> raw-bytes conversion of MAC, IPv4 and IPv6 addresses (addresses are raw bytes
everywhere)."""

import ipaddress

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


def ip6(text: str) -> bytes:
    """RFC 4291 2.2 text form ``"2001:db8::1"`` -> 16 bytes."""
    try:
        return ipaddress.IPv6Address(text).packed
    except ValueError:
        raise WireError(f"bad IPv6 address {text!r}") from None


def ip6_str(raw: bytes) -> str:
    """Raw IPv6 bytes -> RFC 5952 text (other lengths print as hex, so odd addresses print)."""
    if len(raw) != 16:
        return raw.hex()
    return str(ipaddress.IPv6Address(raw))


def ip_str(raw: bytes) -> str:
    """An IPv4 or IPv6 address as text, by its length."""
    return ip6_str(raw) if len(raw) == 16 else ip4_str(raw)
