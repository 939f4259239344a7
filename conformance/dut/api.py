"""The DUT socket API: POSIX-shaped calls executed by the stack under test.

Each call comes in two variants, as in gVisor's packetimpact: ``bind(...)`` fails the test when
the call fails, ``bind_with_errno(...)`` returns ``(result, errno)`` (errno 0 on success) for a
test that is about the failure. Sockets are named by integer descriptors so that an
implementation can run the calls anywhere: in-process inside a namespace (Linux), over an
agent's line protocol (a userspace stack, a VM) or in the reference stack.

Calls never block the test forever: ``accept``, ``recv``, ``poll`` and a blocking ``send`` take a
timeout; ``connect``
with ``timeout=0`` only starts the handshake (EINPROGRESS for TCP) so that the tester, running
in the same thread, can answer the SYN.
"""

from __future__ import annotations

import errno as errno_mod
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from conformance.fabric.threads import start_daemon
from reference_stack.sockopt import option_name

Address = tuple[Any, ...]
Result = tuple[Any, int]  # (value, errno); errno 0 means success


class DutCallFailed(AssertionError):
    """A DUT call failed where the test required it to succeed (fails the test)."""


def errno_name(code: int) -> str:
    return errno_mod.errorcode.get(code, str(code))


class PendingCall:
    """A DUT call running in a thread of its own while the test goes on (issue 12 item 3: a
    blocking accept, recv, connect, or a close that lingers), awaited with a deadline. The
    recording DUT API notes when it started and when it returned; the lockstep replays it
    as pending over that interval."""

    def __init__(self, name: str, run: Callable[[], Any]) -> None:
        self.name = name
        self.started = time.time()
        self._run = run
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        self.returned: float | None = None  # time.time() when it returned
        self.thread = start_daemon(self._body, f"nc-dut-{name}")

    def _body(self) -> None:
        try:
            self._value = self._run()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting test
            self._error = exc
        finally:
            self.returned = time.time()
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, deadline: float) -> Any:
        """The call's result, once it returned within ``deadline`` seconds; else fails the
        test (the call was still pending)."""
        if not self._done.wait(deadline):
            raise DutCallFailed(f"DUT {self.name} still pending after {deadline:g} s")
        if self._error is not None:
            raise self._error
        return self._value

    @property
    def duration(self) -> float | None:
        return None if self.returned is None else self.returned - self.started


class DutApi(ABC):
    @abstractmethod
    def socket_with_errno(self, family: int, type_: int, proto: int = 0) -> Result: ...

    @abstractmethod
    def bind_with_errno(self, fd: int, addr: Address) -> Result: ...

    @abstractmethod
    def listen_with_errno(self, fd: int, backlog: int) -> Result: ...

    @abstractmethod
    def accept_with_errno(self, fd: int, timeout: float = 2.0) -> Result:
        """((new_fd, peer_address), errno); EAGAIN when nothing arrived within ``timeout``."""

    @abstractmethod
    def connect_with_errno(self, fd: int, addr: Address, timeout: float = 0.0) -> Result: ...

    @abstractmethod
    def send_with_errno(self, fd: int, data: bytes, flags: int = 0,
                        timeout: float = 0.0) -> Result:
        """``timeout`` > 0 (without MSG_DONTWAIT): a blocking send, which waits for room in
        the send buffer until all of ``data`` is queued (the count), at most ``timeout`` s (the
        count queued by then, or EAGAIN; an error once the connection fails with nothing
        queued); 0: it takes what fits at once, or EAGAIN."""

    @abstractmethod
    def sendto_with_errno(self, fd: int, data: bytes, addr: Address) -> Result: ...

    @abstractmethod
    def recv_with_errno(self, fd: int, n: int, timeout: float = 2.0, flags: int = 0) -> Result: ...

    @abstractmethod
    def recvfrom_with_errno(self, fd: int, n: int, timeout: float = 2.0) -> Result:
        """((data, address), errno)."""

    @abstractmethod
    def shutdown_with_errno(self, fd: int, how: int) -> Result: ...

    @abstractmethod
    def close_with_errno(self, fd: int) -> Result: ...

    @abstractmethod
    def setsockopt_with_errno(self, fd: int, level: int, name: int, value: Any) -> Result:
        """``value``: an int, a :class:`~reference_stack.sockopt.Linger` pair for SO_LINGER,
        or the raw bytes a kernel takes (reference_stack/sockopt.py converts)."""

    @abstractmethod
    def getsockopt_with_errno(self, fd: int, level: int, name: int, size: int = 0) -> Result:
        """The option's value (an int, a Linger, a TcpInfo for TCP_INFO); ``size`` > 0: the
        raw bytes instead, as ``socket.getsockopt`` returns them."""

    @abstractmethod
    def getsockname_with_errno(self, fd: int) -> Result: ...

    @abstractmethod
    def getpeername_with_errno(self, fd: int) -> Result: ...

    @abstractmethod
    def poll_with_errno(self, fd: int, events: int, timeout: float) -> Result:
        """(revents, errno): the ready events of ``fd`` (0 after ``timeout``)."""

    @abstractmethod
    def close_all(self) -> None:
        """Close every socket this API opened (end of test)."""

    def start(self, call: str, *args: Any) -> PendingCall:
        """Start ``call`` (a method of this API, e.g. ``"recv_with_errno"`` or ``"close"``)
        and return at once; ``.wait(deadline)`` gives its result. The stack under test keeps
        answering the tester meanwhile. An agent serves one call at a time: other DUT calls
        wait for a pending one to return."""
        method = getattr(self, call, None)
        if call.startswith("_") or not callable(method) or call in ("start", "close_all"):
            raise ValueError(f"{call!r} is not a DUT call")
        return PendingCall(call, lambda: method(*args))

    # The failing variants, written once for every implementation.
    @staticmethod
    def _ok(call: str, result: Result) -> Any:
        value, err = result
        if err:
            raise DutCallFailed(f"DUT {call} failed: {errno_name(err)} ({err})")
        return value

    def socket(self, family: int, type_: int, proto: int = 0) -> int:
        return self._ok("socket", self.socket_with_errno(family, type_, proto))

    def bind(self, fd: int, addr: Address) -> None:
        self._ok("bind", self.bind_with_errno(fd, addr))

    def listen(self, fd: int, backlog: int = 16) -> None:
        self._ok("listen", self.listen_with_errno(fd, backlog))

    def accept(self, fd: int, timeout: float = 2.0) -> tuple[int, Address]:
        return self._ok("accept", self.accept_with_errno(fd, timeout))

    def connect(self, fd: int, addr: Address, timeout: float = 0.0) -> None:
        value, err = self.connect_with_errno(fd, addr, timeout)
        if err not in (0, errno_mod.EINPROGRESS):
            self._ok("connect", (value, err))

    def send(self, fd: int, data: bytes, flags: int = 0, timeout: float = 0.0) -> int:
        return self._ok("send", self.send_with_errno(fd, data, flags, timeout))

    def sendto(self, fd: int, data: bytes, addr: Address) -> int:
        return self._ok("sendto", self.sendto_with_errno(fd, data, addr))

    def recv(self, fd: int, n: int = 65536, timeout: float = 2.0, flags: int = 0) -> bytes:
        return self._ok("recv", self.recv_with_errno(fd, n, timeout, flags))

    def recvfrom(self, fd: int, n: int = 65536, timeout: float = 2.0) -> tuple[bytes, Address]:
        return self._ok("recvfrom", self.recvfrom_with_errno(fd, n, timeout))

    def shutdown(self, fd: int, how: int) -> None:
        self._ok("shutdown", self.shutdown_with_errno(fd, how))

    def close(self, fd: int) -> None:
        self._ok("close", self.close_with_errno(fd))

    def setsockopt(self, fd: int, level: int, name: int, value: Any) -> None:
        self._ok(f"setsockopt({option_name(level, name)})",
                 self.setsockopt_with_errno(fd, level, name, value))

    def getsockopt(self, fd: int, level: int, name: int, size: int = 0) -> Any:
        return self._ok(f"getsockopt({option_name(level, name)})",
                        self.getsockopt_with_errno(fd, level, name, size))

    def getsockname(self, fd: int) -> Address:
        return self._ok("getsockname", self.getsockname_with_errno(fd))

    def getpeername(self, fd: int) -> Address:
        return self._ok("getpeername", self.getpeername_with_errno(fd))

    def poll(self, fd: int, events: int, timeout: float) -> int:
        return self._ok("poll", self.poll_with_errno(fd, events, timeout))
