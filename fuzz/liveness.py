"""Liveness: is the target still there after a batch, and did its kernel complain?

- :func:`health_probe`: the barrier probe (an ICMP echo, or the fallback bed set-up chose,
  conformance.author.barriers) and a fresh handshake (SYN to the listening port, the
  SYN,ACK, then a RST to clear it). A failure is a liveness finding (a hung or dead target).
- :class:`KernelLog` (:mod:`conformance.evidence.kmsg`): new ``WARNING``/``BUG``/``KASAN``
  (and similar) lines in the kernel log
  (``/dev/kmsg``) since the last look: for the linux target each becomes a finding.
"""

from __future__ import annotations

from conformance.author import barriers
from conformance.evidence.kmsg import KMSG, KernelLog
from fuzz.seqspace import PortMap
from fuzz.session import BARRIER_TIMEOUT, DifferentialSession, TargetUnresponsive
from reference_stack.wire.tcp import ACK, RST, SYN

__all__ = ["KMSG", "KernelLog", "health_probe"]

HEALTH_PORT = 64999
HEALTH_ISS = 0x12345678


def health_probe(session: DifferentialSession, listen_port: int) -> str | None:
    """None when the target answers the barrier probe and a handshake, else what failed."""
    try:
        session.probe()
    except TargetUnresponsive:
        return f"no reply to the barrier probe ({barriers.DESCRIPTIONS[session.caps.barrier]})"
    ports = PortMap(HEALTH_PORT, HEALTH_PORT, listen_port, listen_port)
    syn = session.factory.tcp(HEALTH_PORT, listen_port, SYN, HEALTH_ISS)
    if not session.expect_tcp(syn, ports, SYN | ACK, BARRIER_TIMEOUT):
        return f"no SYN,ACK from the listening port {listen_port}"
    session.link.send(session.factory.tcp(HEALTH_PORT, listen_port, RST, HEALTH_ISS + 1))
    session.link.drain()
    return None
