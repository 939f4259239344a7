"""Analyses of gVisor's netstack behaviour that a data entry of suites/expectations/gvisor.toml
cannot state (conformance.judge.store: the entries naming an ``analysis`` by id)."""

from __future__ import annotations

from conformance.judge.store import Context
from reference_stack.wire.frame import dissect


def udp_octets_beyond_length(ctx: Context) -> bool:
    """The datagram that diverged carries octets beyond its UDP length field (RFC 768: the
    length counts the header and the data; the rest is not data). netstack's
    transport/udp/endpoint.go checksums the whole IP payload, so such a datagram fails its
    checksum and is dropped before the port lookup (no delivery, no Port Unreachable)."""
    if ctx.sent is None:
        return False
    d = dissect(ctx.sent)
    if d.udp is None or d.ipv4 is None or d.udp.length is None:
        return False
    return 8 <= d.udp.length < len(d.ipv4.payload) and d.udp.checksum != 0


ANALYSES = {"udp-octets-beyond-length": udp_octets_beyond_length}
