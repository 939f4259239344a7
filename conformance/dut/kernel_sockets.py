"""The DUT socket API for a kernel stack reached from this process: real sockets, created inside
the DUT namespace with setns (so they live there), driven with ordinary system calls
(:class:`~conformance.dut.socket_calls.SocketCalls`).

With no namespace name the sockets are made where the process already is (the ``vm``
target's agent, in the VM's own namespace)."""

from __future__ import annotations

import _socket

from conformance.dut.api import DutApi, Result
from conformance.dut.socket_calls import SocketCalls
from conformance.fabric.fork_lock import closing_sockets


class KernelSocketApi(SocketCalls, DutApi):
    def __init__(self, netns_name: str | None) -> None:
        super().__init__()
        self.netns = netns_name

    def socket_with_errno(self, family: int, type_: int, proto: int = 0) -> Result:
        if self.netns is None:
            return super().socket_with_errno(family, type_, proto)
        from conformance.fabric import netns  # (only this call enters a namespace)

        with netns.entered(self.netns):
            return super().socket_with_errno(family, type_, proto)

    def _close(self, sock: _socket.socket) -> None:
        # (the last descriptor: closed now, conformance.fabric.spawn)
        with closing_sockets():
            sock.close()
