"""IPv4 input validation (RFC 1122 3.2.1, RFC 791 3.1, RFC 1812 5.2.2)."""

from __future__ import annotations

from reference_stack.iface.addressing import Addressing
from reference_stack.profiles import Profile
from reference_stack.wire.checksum import internet_checksum
from reference_stack.wire.ipv4 import Ipv4Repr

RULE_VERSION = "RFC1122-3.2.1.1-MUST-version"
RULE_IHL = "RFC791-3.1-MUST-ihl"
RULE_TOTAL_LENGTH = "RFC1812-5.2.2-MUST-total-length"
RULE_CHECKSUM = "RFC1122-3.2.1.2-MUST-verify-checksum"
RULE_SRC = "RFC1122-3.2.1.3-MUST-src-martian"
RULE_DST = "RFC1122-3.2.1.3-MUST-dst-not-ours"
RULE_ACCEPT = "RFC1122-3.2.1-MUST-validate"


def validate(ip: Ipv4Repr, raw: bytes, addr: Addressing, profile: Profile,
             ) -> tuple[bool, str, str]:
    """(accepted, rule, detail) for a parsed IPv4 header and the raw datagram bytes."""
    raw_len = len(raw)
    if ip.version != 4:
        # RFC 1122 3.2.1.1: a datagram whose version number is not 4 MUST be silently discarded.
        return False, RULE_VERSION, f"version {ip.version}"
    header_len = ip.ihl * 4
    if ip.ihl < 5 or header_len > raw_len:
        return False, RULE_IHL, f"IHL {ip.ihl}"
    if ip.total_length < header_len or ip.total_length > raw_len:
        return False, RULE_TOTAL_LENGTH, f"total length {ip.total_length}, have {raw_len}"
    if internet_checksum(raw[:header_len]) != 0 and not profile.breaks(RULE_CHECKSUM):
        # RFC 1122 3.2.1.2: a host MUST verify the header checksum and silently discard a
        # datagram whose checksum is bad.
        return False, RULE_CHECKSUM, "bad header checksum"
    why = addr.martian_source(ip.src, profile.directed_broadcast_source_martian)
    if why is None and ip.src == addr.ip and not profile.accept_own_source:
        why = "our own address as source"
    if why is not None:
        return False, RULE_SRC, why
    if ip.dst != addr.ip and not addr.is_broadcast(ip.dst) and not addr.is_member(ip.dst):
        # RFC 1122 3.2.1.3: a datagram not destined for the host (our address, a broadcast
        # address, or a group we belong to) is silently discarded
        # (a host does not forward, RFC 1122 3.3.1.6).
        return False, RULE_DST, "not for us"
    return True, RULE_ACCEPT, ""

