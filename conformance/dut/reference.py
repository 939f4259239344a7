"""The DUT socket API of the reference target: POSIX-shaped calls on the sans-IO reference
stack, made through a stack driver (which sends what each call emits and serialises calls
with frame processing). Blocking calls wait on the driver for the stack to become ready."""

from __future__ import annotations

import errno
import select
import time
from collections.abc import Callable
from typing import Any

from conformance.dut.api import Address, DutApi, Result
from reference_stack.sockopt import MSG_DONTWAIT, MSG_WAITALL
from reference_stack.stack import CallResult
from reference_stack.tcp.state import State

LINGERING = (State.FIN_WAIT_1, State.CLOSING, State.LAST_ACK)  # (Linux sk_stream_closing)
WAKES_SENDER = select.POLLOUT | select.POLLERR | select.POLLHUP


class ReferenceSocketApi(DutApi):
    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.stack = driver.stack
        self.open_fds: set[int] = set()

    def _do(self, fn: Callable[[float], CallResult]) -> Result:
        result = self.driver.call(fn)
        return result.value, result.errno

    def _blocking(self, fn: Callable[[float], CallResult], timeout: float) -> Result:
        """Retry ``fn`` while it says EAGAIN, waiting for the stack for up to ``timeout`` s."""
        value, err = self._do(fn)
        if err != errno.EAGAIN or timeout <= 0:
            return value, err
        outcome: list[Result] = []

        def ready() -> bool:
            result = self.driver.call(fn)  # (what the call sends, e.g. a window update, goes)
            if result.errno == errno.EAGAIN:
                return False
            outcome.append((result.value, result.errno))
            return True

        if self.driver.wait_until(ready, timeout):
            return outcome[0]
        return None, errno.EAGAIN

    def socket_with_errno(self, family: int, type_: int, proto: int = 0) -> Result:
        value, err = self._do(lambda now: self.stack.socket(family, type_))
        if not err:
            self.open_fds.add(value)
        return value, err

    def bind_with_errno(self, fd: int, addr: Address) -> Result:
        return self._do(lambda now: self.stack.bind(fd, addr, now))

    def listen_with_errno(self, fd: int, backlog: int) -> Result:
        return self._do(lambda now: self.stack.listen(fd, backlog, now))

    def accept_with_errno(self, fd: int, timeout: float = 2.0) -> Result:
        value, err = self._blocking(lambda now: self.stack.accept(fd, now), timeout)
        if not err:
            self.open_fds.add(value[0])
        return value, err

    def connect_with_errno(self, fd: int, addr: Address, timeout: float = 0.0) -> Result:
        value, err = self._do(lambda now: self.stack.connect(fd, addr, now))
        if err != errno.EINPROGRESS or timeout <= 0:
            return value, err
        connected = self.driver.wait_until(
            lambda: self.stack.tcp_state(fd) not in (State.SYN_SENT, State.SYN_RECEIVED), timeout
        )
        if not connected:
            return None, errno.ETIMEDOUT
        state = self.stack.tcp_state(fd)
        return (None, 0) if state is not None and state != State.CLOSED else (None,
                                                                                errno.ECONNREFUSED)

    def send_with_errno(self, fd: int, data: bytes, flags: int = 0,
                        timeout: float = 0.0) -> Result:
        if timeout <= 0 or flags & MSG_DONTWAIT:
            return self._do(lambda now: self.stack.send(fd, data, now, flags))
        return self._send_blocking(fd, data, flags, timeout)

    def _send_blocking(self, fd: int, data: bytes, flags: int, timeout: float) -> Result:
        """A blocking send: what fits, then more each time the socket is writeable again
        (poll's POLLOUT: Linux's sk_stream_write_space wakes the sender under the same
        condition), until all is queued, the connection fails or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        sent = 0
        while True:
            rest = data[sent:]
            value, err = self._do(lambda now, rest=rest: self.stack.send(fd, rest, now, flags))
            if err and err != errno.EAGAIN:
                return (sent, 0) if sent else (None, err)
            sent += value or 0
            left = deadline - time.monotonic()
            if sent >= len(data) or left <= 0 or not self.driver.wait_until(
                    lambda: self.stack.poll_events(fd) & WAKES_SENDER, left):
                return (sent, 0) if sent else (None, errno.EAGAIN)

    def sendto_with_errno(self, fd: int, data: bytes, addr: Address) -> Result:
        return self._do(lambda now: self.stack.sendto(fd, data, addr, now))

    def recv_with_errno(self, fd: int, n: int, timeout: float = 2.0, flags: int = 0) -> Result:
        if flags & MSG_WAITALL and timeout > 0:  # a blocking read of all n octets
            ready = self.driver.wait_until(lambda: self._queued(fd) >= n, timeout)
            if not ready:
                return None, errno.EAGAIN
        return self._blocking(lambda now: self.stack.recv(fd, n, now, flags), timeout)

    def _queued(self, fd: int) -> int:
        sock = self.stack.api.get(fd)
        tcb = sock.tcb if sock is not None else None
        if tcb is None or tcb.state not in (State.ESTABLISHED, State.FIN_WAIT_1,
                                            State.FIN_WAIT_2):
            return 1 << 30  # nothing more will come: the read returns what there is
        return len(tcb.recv.ready)

    def recvfrom_with_errno(self, fd: int, n: int, timeout: float = 2.0) -> Result:
        return self._blocking(lambda now: self.stack.recvfrom(fd, n, now), timeout)

    def shutdown_with_errno(self, fd: int, how: int) -> Result:
        return self._do(lambda now: self.stack.shutdown(fd, how, now))

    def close_with_errno(self, fd: int) -> Result:
        self.open_fds.discard(fd)
        sock = self.stack.api.get(fd)
        lingers = self.stack.api.close_lingers(fd)
        value, err = self._do(lambda now: self.stack.close(fd, now))
        if not err and lingers:
            # SO_LINGER: close returns once the FIN is acknowledged or the time is up
            # (RFC 9293 3.9.1.4 leaves the wait to the interface; Linux sk_stream_wait_close)
            tcb = sock.tcb
            self.driver.wait_until(lambda: tcb.state not in LINGERING, sock.linger.seconds)
        return value, err

    def setsockopt_with_errno(self, fd: int, level: int, name: int, value: int | bytes) -> Result:
        return self._do(lambda now: self.stack.setsockopt(fd, level, name, value, now))

    def getsockopt_with_errno(self, fd: int, level: int, name: int, size: int = 0) -> Result:
        return self._do(lambda now: self.stack.getsockopt(fd, level, name))

    def getsockname_with_errno(self, fd: int) -> Result:
        return self._do(lambda now: self.stack.getsockname(fd, now))

    def getpeername_with_errno(self, fd: int) -> Result:
        return self._do(lambda now: self.stack.getpeername(fd, now))

    def poll_with_errno(self, fd: int, events: int, timeout: float) -> Result:
        if self.stack.tcp_state(fd) is None and self.stack.api.get(fd) is None:
            return None, errno.EBADF
        ready: list[int] = []

        def any_event() -> bool:
            ready[:] = [self.stack.poll_events(fd) & (events | select.POLLERR | select.POLLHUP)]
            return bool(ready[0])

        self.driver.wait_until(any_event, timeout)
        return ready[0] if ready else 0, 0

    def close_all(self) -> None:
        for fd in sorted(self.open_fds):
            self.driver.call(lambda now, fd=fd: self.stack.close(fd, now))
        self.open_fds.clear()
