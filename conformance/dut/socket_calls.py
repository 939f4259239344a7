"""The DUT socket calls on real sockets of this process: each ``*_with_errno`` call of
:class:`~conformance.dut.api.DutApi` done with ordinary system calls, its failure as an errno.

Used by :class:`~conformance.dut.kernel_sockets.KernelSocketApi` (the ``linux`` and ``vm``
targets: sockets made inside a DUT namespace), and served on the agent's line protocol by
:func:`handle` (the ``vm`` target's agent, inside the VM). The ``gvisor`` target's agent makes
the same system calls in C (conformance/targets/gvisor_agent.c: a Python agent's start cost too
much CPU in each sandbox); tests/integration/test_gvisor_agent.py runs the same calls through
both on the host kernel and compares their answers.

It imports only C modules, :mod:`reference_stack.sockopt` and the agent's codec, and what only
some calls need (TCP_INFO's record) is imported by those calls: ``_socket`` rather than
``socket`` (the same calls; socket.py builds enums of every constant when imported), no
``typing`` (it imports ``re``, ``functools``, ``collections``), so that an agent serving them
starts fast."""

from __future__ import annotations

import _socket
import errno
import select
import struct

from conformance.dut.agent_codec import decode, encode
from reference_stack import sockopt

TYPE_CHECKING = False
if TYPE_CHECKING:  # (names for annotations only: typing is not imported at run time)
    from collections.abc import Callable
    from typing import Any

    from conformance.dut.api import Address, Result


def _call(fn: Callable[[], Any]) -> Result:
    try:
        return fn(), 0
    except (TimeoutError, BlockingIOError):
        return None, errno.EAGAIN
    except OSError as exc:
        return None, exc.errno or errno.EIO


def _timeo(sock: _socket.socket, name: int, timeout: float) -> None:
    """SO_RCVTIMEO or SO_SNDTIMEO (0: none)."""
    seconds = int(timeout)
    sock.setsockopt(_socket.SOL_SOCKET, name,
                    struct.pack("ll", seconds, int((timeout - seconds) * 1e6)))


def _stop_lingering(sock: _socket.socket) -> None:
    """SO_LINGER off on a socket that would linger: its close returns at once."""
    onoff, seconds = sockopt.LINGER.unpack(
        sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, sockopt.LINGER.size))
    if onoff and seconds > 0:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, sockopt.LINGER.pack(0, 0))



class SocketCalls:
    """The ``*_with_errno`` socket calls on sockets named by their descriptors."""

    def __init__(self) -> None:
        self.sockets: dict[int, _socket.socket] = {}

    def _sock(self, fd: int) -> _socket.socket:
        try:
            return self.sockets[fd]
        except KeyError:
            raise ValueError(f"fd {fd} is not a socket this test opened") from None

    def _register(self, sock: _socket.socket) -> int:
        self.sockets[sock.fileno()] = sock
        return sock.fileno()

    def _close(self, sock: _socket.socket) -> None:
        """Close one socket (KernelSocketApi: under the harness's fork lock)."""
        sock.close()

    def socket_with_errno(self, family: int, type_: int, proto: int = 0) -> Result:
        return _call(lambda: self._register(_socket.socket(family, type_, proto)))

    def bind_with_errno(self, fd: int, addr: Address) -> Result:
        return _call(lambda: self._sock(fd).bind(addr))

    def listen_with_errno(self, fd: int, backlog: int) -> Result:
        return _call(lambda: self._sock(fd).listen(backlog))

    def accept_with_errno(self, fd: int, timeout: float = 2.0) -> Result:
        sock = self._sock(fd)

        def accept() -> tuple[int, Address]:
            sock.settimeout(timeout)
            try:
                conn_fd, peer = sock._accept()  # (what socket.socket.accept wraps)
            finally:
                sock.settimeout(None)
            conn = _socket.socket(sock.family, sock.type, sock.proto, fileno=conn_fd)
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
        if timeout > 0 and not flags & _socket.MSG_DONTWAIT:
            # a blocking send: the kernel's own send timeout (SO_SNDTIMEO), as _recv_blocking
            _timeo(sock, _socket.SO_SNDTIMEO, timeout)
            try:
                return _call(lambda: sock.send(data, flags))
            finally:
                _timeo(sock, _socket.SO_SNDTIMEO, 0.0)
        return _call(lambda: sock.send(data, flags | _socket.MSG_DONTWAIT))

    def sendto_with_errno(self, fd: int, data: bytes, addr: Address) -> Result:
        return _call(lambda: self._sock(fd).sendto(data, _socket.MSG_DONTWAIT, addr))

    def _wait_readable(self, sock: _socket.socket, timeout: float) -> bool:
        readable, _, _ = select.select([sock], [], [], timeout)
        return bool(readable)

    def recv_with_errno(self, fd: int, n: int, timeout: float = 2.0, flags: int = 0) -> Result:
        sock = self._sock(fd)
        if flags & _socket.MSG_WAITALL and not flags & _socket.MSG_DONTWAIT and timeout > 0:
            return self._recv_blocking(sock, n, timeout, flags)
        if timeout > 0 and not self._wait_readable(sock, timeout):
            return None, errno.EAGAIN
        return _call(lambda: sock.recv(n, flags | _socket.MSG_DONTWAIT))

    def _recv_blocking(self, sock: _socket.socket, n: int, timeout: float,
                       flags: int) -> Result:
        """A blocking recv (MSG_WAITALL: until ``n`` octets, end of file or an error), up to
        ``timeout`` seconds."""
        # (a Python timeout would make the descriptor non-blocking, where MSG_WAITALL returns
        # what there is: the kernel's own receive timeout keeps the call blocking)
        _timeo(sock, _socket.SO_RCVTIMEO, timeout)
        try:
            return _call(lambda: sock.recv(n, flags))
        finally:
            _timeo(sock, _socket.SO_RCVTIMEO, 0.0)

    def recvfrom_with_errno(self, fd: int, n: int, timeout: float = 2.0) -> Result:
        sock = self._sock(fd)
        if timeout > 0 and not self._wait_readable(sock, timeout):
            return None, errno.EAGAIN
        return _call(lambda: sock.recvfrom(n, _socket.MSG_DONTWAIT))

    def shutdown_with_errno(self, fd: int, how: int) -> Result:
        return _call(lambda: self._sock(fd).shutdown(how))

    def close_with_errno(self, fd: int) -> Result:
        sock = self.sockets.pop(fd, None)
        if sock is None:
            return None, errno.EBADF
        return _call(lambda: self._close(sock))

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
        for sock in self.sockets.values():
            try:
                _stop_lingering(sock)  # (the test is over: no close may block its tear-down)
                self._close(sock)
            except OSError:
                pass
        self.sockets.clear()


def handle(api: SocketCalls, message: dict[str, Any]) -> dict[str, Any]:
    """One request of the agent's line protocol (conformance.dut.agent) executed on ``api``;
    every outcome is a reply (errno 0 on success)."""
    reply: dict[str, Any] = {"id": message.get("id")}
    call = str(message.get("call"))
    if call == "close_all":
        api.close_all()
        return {**reply, "value": None, "errno": 0}
    method = getattr(api, f"{call}_with_errno", None)
    if method is None or call.startswith("_"):
        return {**reply, "value": None, "errno": errno.ENOSYS, "detail": "no such call"}
    try:
        value, err = method(*decode(message.get("args", [])))
    except ValueError as exc:  # a descriptor this agent never handed out
        return {**reply, "value": None, "errno": errno.EBADF, "detail": str(exc)}
    except (TypeError, OverflowError) as exc:  # arguments the socket module refuses
        return {**reply, "value": None, "errno": errno.EINVAL,
                "detail": f"{type(exc).__name__}: {exc}"}
    return {**reply, "value": encode(value), "errno": err}
