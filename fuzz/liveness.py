"""Liveness: is the target still there after a batch, and did its kernel complain?

- :func:`health_probe`: the barrier probe (an ICMP echo, or the fallback bed set-up chose,
  conformance.author.barriers) and a fresh handshake (SYN to the listening port, the
  SYN,ACK, then a RST to clear it). A failure is a liveness finding (a hung or dead target).
- :class:`KernelLog`: new ``WARNING``/``BUG``/``KASAN`` (and similar) lines in the kernel log
  (``/dev/kmsg``) since the last look: for the linux target each becomes a finding.
"""

from __future__ import annotations

import errno
import os
import re

from conformance.author import barriers
from fuzz.seqspace import PortMap
from fuzz.session import BARRIER_TIMEOUT, DifferentialSession, TargetUnresponsive
from reference_stack.wire.tcp import ACK, RST, SYN

HEALTH_PORT = 64999
HEALTH_ISS = 0x12345678
KMSG = "/dev/kmsg"
ALARMING = re.compile(r"WARNING:|BUG:|KASAN|UBSAN|Oops|general protection|Kernel panic|"
                      r"list_del corruption|refcount_t:|kernel BUG")


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


class KernelLog:
    """Reads kernel log records appended after it was opened (None-safe when unreadable)."""

    def __init__(self, path: str = KMSG) -> None:
        try:
            self.fd: int | None = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.lseek(self.fd, 0, os.SEEK_END)
        except OSError:
            self.fd = None

    @property
    def available(self) -> bool:
        return self.fd is not None

    def new_problems(self) -> list[str]:
        """Alarming lines logged since the last call."""
        if self.fd is None:
            return []
        out = []
        while True:
            try:
                record = os.read(self.fd, 8192)
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # overwritten before we read it: go on
                    continue
                break
            if not record:
                break
            text = record.decode(errors="replace").split(";", 1)[-1].strip()
            if ALARMING.search(text):
                out.append(text)
        return out

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
