"""The DUT socket API for a kernel stack reached from this process: real sockets, created inside
the DUT namespace with setns (so they live there), driven with ordinary system calls.

With no namespace name the sockets are made where the process already is: the ``gvisor``
target's agent runs these calls inside a runsc sandbox, whose system calls netstack serves.
Every module that agent imports costs CPU in each sandbox's start (gVisor serves its file
reads and page faults), so what only some calls need (entering a namespace, TCP_INFO's record)
is imported by those calls."""

from __future__ import annotations

import errno
import select
import socket
import struct
from collections.abc import Callable
from typing import Any

from conformance.dut.api import Address, DutApi, Result
from conformance.fabric.fork_lock import closing_sockets
from reference_stack import sockopt


def _call(fn: Callable[[], Any]) -> Result:
    try:
        return fn(), 0
    except (TimeoutError, BlockingIOError):
        return None, errno.EAGAIN
    except OSError as exc:
        return None, exc.errno or errno.EIO


def _timeo(sock: socket.socket, name: int, timeout: float) -> None:
    """SO_RCVTIMEO or SO_SNDTIMEO (0: none)."""
    seconds = int(timeout)
    sock.setsockopt(socket.SOL_SOCKET, name,
                    struct.pack("ll", seconds, int((timeout - seconds) * 1e6)))


def _stop_lingering(sock: socket.socket) -> None:
    """SO_LINGER off on a socket that would linger: its close returns at once."""
    onoff, seconds = sockopt.LINGER.unpack(
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, sockopt.LINGER.size))
    if onoff and seconds > 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, sockopt.LINGER.pack(0, 0))


class KernelSocketApi(DutApi):
    def __init__(self, netns_name: str | None) -> None:
        self.netns = netns_name
        self.sockets: dict[int, socket.socket] = {}

    def _sock(self, fd: int) -> socket.socket:
        try:
            return self.sockets[fd]
        except KeyError:
            raise ValueError(f"fd {fd} is not a socket this test opened") from None

    def _register(self, sock: socket.socket) -> int:
        self.sockets[sock.fileno()] = sock
        return sock.fileno()

    def socket_with_errno(self, family: int, type_: int, proto: int = 0) -> Result:
        def make() -> int:
            if self.netns is None:
                return self._register(socket.socket(family, type_, proto))
            from conformance.fabric import netns  # (module notes)

            with netns.entered(self.netns):
                return self._register(socket.socket(family, type_, proto))

        return _call(make)

    def bind_with_errno(self, fd: int, addr: Address) -> Result:
        return _call(lambda: self._sock(fd).bind(addr))

    def listen_with_errno(self, fd: int, backlog: int) -> Result:
        return _call(lambda: self._sock(fd).listen(backlog))

    def accept_with_errno(self, fd: int, timeout: float = 2.0) -> Result:
        sock = self._sock(fd)

        def accept() -> tuple[int, Address]:
            sock.settimeout(timeout)
            try:
                conn, peer = sock.accept()
            finally:
                sock.settimeout(None)
            conn.settimeout(None)
            return self._register(conn), peer

        return _call(accept)

    def connect_with_errno(self, fd: int, addr: Address, timeout: float = 0.0) -> Result:
        sock = self._sock(fd)
        if timeout == 0:
            # Start the handshake and return at once (EINPROGRESS for TCP).
            sock.setblocking(False)
            try:
                code = sock.connect_ex(addr)
            finally:
                sock.setblocking(True)
            return None, code
        sock.settimeout(timeout)
        try:
            return _call(lambda: sock.connect(addr))
        finally:
            sock.settimeout(None)

    def send_with_errno(self, fd: int, data: bytes, flags: int = 0,
                        timeout: float = 0.0) -> Result:
        sock = self._sock(fd)
        if timeout > 0 and not flags & socket.MSG_DONTWAIT:
            # a blocking send: the kernel's own send timeout (SO_SNDTIMEO), as _recv_blocking
            _timeo(sock, socket.SO_SNDTIMEO, timeout)
            try:
                return _call(lambda: sock.send(data, flags))
            finally:
                _timeo(sock, socket.SO_SNDTIMEO, 0.0)
        return _call(lambda: sock.send(data, flags | socket.MSG_DONTWAIT))

    def sendto_with_errno(self, fd: int, data: bytes, addr: Address) -> Result:
        return _call(lambda: self._sock(fd).sendto(data, socket.MSG_DONTWAIT, addr))

    def _wait_readable(self, sock: socket.socket, timeout: float) -> bool:
        readable, _, _ = select.select([sock], [], [], timeout)
        return bool(readable)

    def recv_with_errno(self, fd: int, n: int, timeout: float = 2.0, flags: int = 0) -> Result:
        sock = self._sock(fd)
        if flags & socket.MSG_WAITALL and not flags & socket.MSG_DONTWAIT and timeout > 0:
            return self._recv_blocking(sock, n, timeout, flags)
        if timeout > 0 and not self._wait_readable(sock, timeout):
            return None, errno.EAGAIN
        return _call(lambda: sock.recv(n, flags | socket.MSG_DONTWAIT))

    def _recv_blocking(self, sock: socket.socket, n: int, timeout: float, flags: int) -> Result:
        """A blocking recv (MSG_WAITALL: until ``n`` octets, end of file or an error), up to
        ``timeout`` seconds."""
        # (a Python timeout would make the descriptor non-blocking, where MSG_WAITALL returns
        # what there is: the kernel's own receive timeout keeps the call blocking)
        _timeo(sock, socket.SO_RCVTIMEO, timeout)
        try:
            return _call(lambda: sock.recv(n, flags))
        finally:
            _timeo(sock, socket.SO_RCVTIMEO, 0.0)

    def recvfrom_with_errno(self, fd: int, n: int, timeout: float = 2.0) -> Result:
        sock = self._sock(fd)
        if timeout > 0 and not self._wait_readable(sock, timeout):
            return None, errno.EAGAIN
        return _call(lambda: sock.recvfrom(n, socket.MSG_DONTWAIT))

    def shutdown_with_errno(self, fd: int, how: int) -> Result:
        return _call(lambda: self._sock(fd).shutdown(how))

    def close_with_errno(self, fd: int) -> Result:
        sock = self.sockets.pop(fd, None)
        if sock is None:
            return None, errno.EBADF
        with closing_sockets():  # (the last descriptor: closed now, conformance.fabric.spawn)
            return _call(sock.close)

    def setsockopt_with_errno(self, fd: int, level: int, name: int, value: Any) -> Result:
        if sockopt.kind(level, name) is not None:  # a value (an int, a Linger) or its bytes
            value = sockopt.for_kernel(level, name, value)
        return _call(lambda: self._sock(fd).setsockopt(level, name, value))

    def getsockopt_with_errno(self, fd: int, level: int, name: int, size: int = 0) -> Result:
        sock = self._sock(fd)
        if size:
            return _call(lambda: sock.getsockopt(level, name, size))
        what = sockopt.kind(level, name)
        if what == "linger":
            return _call(lambda: sockopt.as_value(
                level, name, sock.getsockopt(level, name, sockopt.LINGER.size)))
        if what == "tcp_info":
            from reference_stack.tcp.info import TcpInfo  # (module notes)

            return _call(lambda: TcpInfo.parse(sock.getsockopt(level, name, TcpInfo.SIZE)))
        return _call(lambda: sock.getsockopt(level, name))

    def getsockname_with_errno(self, fd: int) -> Result:
        return _call(lambda: self._sock(fd).getsockname())

    def getpeername_with_errno(self, fd: int) -> Result:
        return _call(lambda: self._sock(fd).getpeername())

    def poll_with_errno(self, fd: int, events: int, timeout: float) -> Result:
        def poll() -> int:
            poller = select.poll()
            poller.register(self._sock(fd), events)
            ready = poller.poll(int(timeout * 1000))
            return ready[0][1] if ready else 0

        return _call(poll)

    def close_all(self) -> None:
        with closing_sockets():
            for sock in self.sockets.values():
                try:
                    _stop_lingering(sock)  # (the test is over: no close may block its tear-down)
                    sock.close()
                except OSError:
                    pass
        self.sockets.clear()
