"""The DUT control agent of the ``pytcp`` target: runs inside the pytcp process.

Started by the target inside the DUT namespace, optimised (``python -O``, so pytcp's
``__debug__`` logging is compiled out)::

    python -O -m conformance.targets.pytcp_agent --tap TAP --mac MAC --ipv4 ADDR/LEN \\
        --peer-ipv4 TESTER_IPV4 --peer-mac TESTER_MAC

It brings pytcp's stack up on the TAP device (IPv4 only, logging off), then says
``{"ready": true, ...}`` and executes DUT API calls with pytcp's own socket interface, one JSON
line in, one JSON line out (protocol: :mod:`conformance.dut.agent`). It ends when its input
closes (the harness went away). An uncaught exception in any pytcp thread ends the process with
status 70 after printing the traceback, so a crash of the stack is a crash the harness sees
rather than a silent stack.

Set-up choices, each the userspace counterpart of what the fabric does for the kernel:
  * no IPv4 duplicate address detection (pytcp's RFC 5227 probing sleeps 3-6 s and sends ARP
    probes and announcements no test asked for; the kernel DUT gets its address the same way);
  * the tester's MAC is put in pytcp's ARP cache, as the kernel DUT gets a permanent neighbour
    entry, because the tester never answers ARP.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import os
import re
import sys
import threading
import time
import traceback
from importlib import metadata
from typing import Any, BinaryIO

from conformance.dut import agent_server
from conformance.dut.agent_codec import protocol_stream
from conformance.dut.agent_server import CRASH_STATUS, CallError, run_agent
from reference_stack.sockopt import flag_names, option_name

POLL_STEP_S = 0.002
SOL_SOCKET, SO_REUSEADDR, SO_ERROR, SO_KEEPALIVE = 1, 2, 4, 9  # Linux <asm-generic/socket.h>
AF_INET, SOCK_STREAM, SOCK_DGRAM = 2, 1, 2
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
POLLIN, POLLOUT, POLLERR = 0x001, 0x004, 0x008
MSG_DONTWAIT = 0x40  # Linux <bits/socket.h>
ERRNO_IN_MESSAGE = re.compile(r"\[Errno (-?\d+)\]")


def errno_of(exc: BaseException) -> int:
    """The errno a POSIX stack would report for an exception pytcp raised.

    pytcp raises ``OSError("[Errno 98] Address already in use - ...")`` (errno unset, number
    in the text) and its subclasses (ConnectionRefusedError, BrokenPipeError, TimeoutError).
    """
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code > 0:
        return code
    found = ERRNO_IN_MESSAGE.search(str(exc))
    if found and int(found.group(1)) > 0:
        return int(found.group(1))
    by_class: tuple[tuple[type[BaseException], int], ...] = (
        (ConnectionRefusedError, errno.ECONNREFUSED), (BrokenPipeError, errno.EPIPE),
        (TimeoutError, errno.ETIMEDOUT), (OverflowError, errno.EINVAL),
        (OSError, errno.EINVAL),  # pytcp's gaierror: a malformed address
    )
    for cls, code in by_class:
        if isinstance(exc, cls):
            return code
    return errno.EIO


# -- the stack --------------------------------------------------------------------------

class TickCounter:
    """The passes of pytcp's timer loop (subsystems/timer.py Timer.__thread_timer): the clock
    its timers count (a TCP retransmission timer of 1000 is 1000 passes), read by a test that
    times them (``PytcpCalls.timer_ticks``)."""

    def __init__(self) -> None:
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1  # only the timer thread writes it


def start_stack(tap: str, mac: str, ipv4: str, peer_ipv4: str, peer_mac: str) -> TickCounter:
    """pytcp's ``TcpIpStack.start()`` without IPv6 and without IPv4 duplicate address
    detection (see the module docstring)."""
    import pytcp
    from pytcp import config
    from pytcp.lib import stack
    from pytcp.lib.ip4_address import Ip4Address
    from pytcp.lib.mac_address import MacAddress

    config.LOG_CHANEL = set()
    config.LOG_DEBUG = False
    tcpip = pytcp.TcpIpStack(interface=tap, mac_address=mac, ip4_address=ipv4)
    config.IP6_SUPPORT = False  # the constructor turns it on when given no IPv6 address
    config.IP6_LLA_AUTOCONFIG = config.IP6_GUA_AUTOCONFIG = False
    handler = stack.packet_handler
    handler.ip4_host.extend(handler.ip4_host_candidate)  # claimed without probing
    handler.ip4_host_candidate.clear()
    stack.arp_cache.add_entry(Ip4Address(peer_ipv4), MacAddress(peer_mac))
    ticks = TickCounter()
    stack.timer.register_method(method=ticks.tick)  # every pass of its timer loop
    stack.timer.start()
    stack.arp_cache.start()
    stack.rx_ring.start(tcpip.tap)
    stack.tx_ring.start(tcpip.tap)
    handler.start()
    return ticks


def crash_on_thread_exception() -> None:
    """Any exception escaping a pytcp thread kills the process (the harness sees a crash)."""

    def hook(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"pytcp thread {name} died:\n")
        traceback.print_exception(args.exc_type, args.exc_value, args.exc_traceback)
        sys.stderr.flush()
        os._exit(CRASH_STATUS)

    threading.excepthook = hook


# -- the socket calls -------------------------------------------------------------------

class PytcpCalls:
    """The DUT API on pytcp's socket interface; sockets are named by small integers.

    pytcp's blocking calls (accept, recv, connect) have no timeout, so a call waits on the
    readiness pytcp itself signals (the semaphores its sockets release) and only then makes the
    blocking call, which returns at once.
    """

    def __init__(self, ticks: TickCounter) -> None:
        from pytcp.lib import socket as pytcp_socket
        from pytcp.lib import stack

        self.pytcp = pytcp_socket
        self.ticks = ticks
        self.stack = stack
        self.sockets: dict[int, Any] = {}
        self.connecting: dict[int, threading.Thread] = {}
        self.connect_errors: dict[int, int] = {}
        self._next_fd = 3

    # -- bookkeeping
    def _register(self, sock: Any) -> int:
        fd, self._next_fd = self._next_fd, self._next_fd + 1
        self.sockets[fd] = sock
        return fd

    def _sock(self, fd: int) -> Any:
        if fd not in self.sockets:
            raise CallError(errno.EBADF)
        return self.sockets[fd]

    def _is_tcp(self, sock: Any) -> bool:
        return sock.type is self.pytcp.SOCK_STREAM

    def _session(self, fd: int) -> Any:
        session = self._sock(fd).tcp_session
        if session is None:
            raise CallError(errno.ENOTCONN)
        return session

    @staticmethod
    def _wait(semaphore: threading.Semaphore, timeout: float) -> bool:
        """Wait until ``semaphore`` could be taken, without taking it."""
        if not semaphore.acquire(timeout=max(timeout, 0.0)):
            return False
        semaphore.release()
        return True

    @staticmethod
    def _address(addr: Any) -> tuple[str, int]:
        return str(addr[0]), int(addr[1])

    # -- calls
    def socket(self, family: int, type_: int, proto: int = 0) -> int:
        if family != AF_INET:
            raise CallError(errno.EAFNOSUPPORT, "this pytcp is IPv4 only")
        kinds = {SOCK_STREAM: self.pytcp.SOCK_STREAM, SOCK_DGRAM: self.pytcp.SOCK_DGRAM}
        if type_ not in kinds:
            raise CallError(errno.ESOCKTNOSUPPORT)
        return self._register(self.pytcp.socket(self.pytcp.AF_INET4, kinds[type_]))

    def bind(self, fd: int, addr: Any) -> None:
        self._sock(fd).bind(self._address(addr))

    def listen(self, fd: int, backlog: int) -> None:
        sock = self._sock(fd)
        if not self._is_tcp(sock):
            raise CallError(errno.EOPNOTSUPP)
        sock.listen()  # pytcp has no backlog

    def accept(self, fd: int, timeout: float) -> tuple[int, tuple[str, int]]:
        sock = self._sock(fd)
        if not self._is_tcp(sock) or sock.tcp_session is None:
            raise CallError(errno.EINVAL)
        if not self._wait(sock._event_tcp_session_established, timeout):
            raise CallError(errno.EAGAIN)
        conn, peer = sock.accept()
        return self._register(conn), self._address(peer)

    def connect(self, fd: int, addr: Any, timeout: float) -> None:
        """pytcp's connect blocks until the handshake ends: it runs in a thread, and a
        ``timeout`` of 0 returns EINPROGRESS at once (as a non-blocking connect)."""
        sock = self._sock(fd)
        if fd in self.connecting:
            if self.connecting[fd].is_alive():
                raise CallError(errno.EALREADY)
            raise CallError(self.connect_errors.pop(fd, errno.EISCONN))
        if not self._is_tcp(sock):
            sock.connect(self._address(addr))
            return

        def run() -> None:
            try:
                sock.connect(self._address(addr))
            except Exception as exc:  # reported by the next connect or poll
                self.connect_errors[fd] = errno_of(exc)

        thread = threading.Thread(target=run, name=f"connect-{fd}", daemon=True)
        self.connecting[fd] = thread
        thread.start()
        if timeout <= 0:
            raise CallError(errno.EINPROGRESS)
        thread.join(timeout)
        if thread.is_alive():
            raise CallError(errno.ETIMEDOUT)
        if fd in self.connect_errors:
            raise CallError(self.connect_errors[fd])

    def send(self, fd: int, data: bytes, flags: int, timeout: float = 0.0) -> int:
        """pytcp's send never waits (protocols/tcp/session.py TcpSession.send queues the
        whole write in an unbounded buffer), so it is blocking and non-blocking alike:
        MSG_DONTWAIT and a blocking send's ``timeout`` change nothing; any other flag is
        refused by name."""
        other = flags & ~MSG_DONTWAIT
        if other:
            raise CallError(errno.EOPNOTSUPP,
                            f"pytcp's send takes no flags ({', '.join(flag_names(other))})")
        return int(self._sock(fd).send(bytes(data)))

    def sendto(self, fd: int, data: bytes, addr: Any) -> int:
        sock = self._sock(fd)
        if self._is_tcp(sock):
            raise CallError(errno.EISCONN)
        return int(sock.sendto(bytes(data), self._address(addr)))

    def recv(self, fd: int, n: int, timeout: float, flags: int) -> bytes:
        if flags:
            raise CallError(errno.EOPNOTSUPP,
                            f"pytcp's recv takes no flags ({', '.join(flag_names(flags))})")
        sock = self._sock(fd)
        if not self._is_tcp(sock):  # pytcp's recv, unlike recvfrom, reports ICMP unreachables
            try:
                return bytes(sock.recv(n, timeout=max(timeout, 0.0)))
            except self.pytcp.ReceiveTimeout:
                raise CallError(errno.EAGAIN) from None
        if not self._wait(self._session(fd)._event_rx_buffer, timeout):
            raise CallError(errno.EAGAIN)
        return bytes(sock.recv(n))

    def recvfrom(self, fd: int, n: int, timeout: float) -> tuple[bytes, tuple[str, int]]:
        sock = self._sock(fd)
        if self._is_tcp(sock):
            return self.recv(fd, n, timeout, 0), (str(sock.remote_ip_address),
                                                  int(sock.remote_port))
        try:
            data, peer = sock.recvfrom(n, timeout=max(timeout, 0.0))
        except self.pytcp.ReceiveTimeout:
            raise CallError(errno.EAGAIN) from None
        return bytes(data), self._address(peer)

    def shutdown(self, fd: int, how: int) -> None:
        """SHUT_WR is RFC 9293's CLOSE call ("no more to send"), which is what pytcp's close
        does; receiving stays possible. pytcp has no way to stop receiving only."""
        sock = self._sock(fd)
        if not self._is_tcp(sock) or sock.tcp_session is None:
            raise CallError(errno.ENOTCONN)
        if how not in (SHUT_WR, SHUT_RDWR):
            raise CallError(errno.EOPNOTSUPP, "pytcp cannot shut down receiving only")
        sock.close()

    def close(self, fd: int) -> None:
        sock = self.sockets.pop(fd, None)
        if sock is None:
            raise CallError(errno.EBADF)
        if self._is_tcp(sock) and sock.tcp_session is not None:
            sock.close()
        elif self._is_tcp(sock):  # never listened nor connected: only its port to release
            self.stack.sockets.pop(str(sock), None)
        else:
            sock.close()

    def setsockopt(self, fd: int, level: int, name: int, value: Any) -> None:
        """pytcp has no socket options. SO_REUSEADDR is accepted as a no-op: each test gets a
        fresh pytcp with no TIME-WAIT connection for it to act on."""
        self._sock(fd)
        if (level, name) != (SOL_SOCKET, SO_REUSEADDR):
            raise CallError(errno.ENOPROTOOPT,
                            f"pytcp has no socket options ({option_name(level, name)})")

    def getsockopt(self, fd: int, level: int, name: int, size: int) -> int:
        """What pytcp's behaviour answers: SO_ERROR, the outcome of its connect (read once, as
        in POSIX); SO_KEEPALIVE, always 0 (pytcp has no keep-alives, so they are off)."""
        self._sock(fd)
        if (level, name) == (SOL_SOCKET, SO_ERROR):
            return self.connect_errors.pop(fd, 0)
        if (level, name) == (SOL_SOCKET, SO_KEEPALIVE):
            return 0
        raise CallError(errno.ENOPROTOOPT,
                        f"pytcp has no socket options ({option_name(level, name)})")

    def getsockname(self, fd: int) -> tuple[str, int]:
        sock = self._sock(fd)
        return str(sock.local_ip_address), int(sock.local_port)

    def getpeername(self, fd: int) -> tuple[str, int]:
        sock = self._sock(fd)
        if not self._is_tcp(sock) or sock.tcp_session is None:
            raise CallError(errno.ENOTCONN)
        return str(sock.remote_ip_address), int(sock.remote_port)

    def _revents(self, fd: int, events: int) -> int:
        sock = self._sock(fd)
        if fd in self.connect_errors:  # the connect failed; POLLERR is reported unasked
            return (events & POLLOUT) | POLLERR
        if not self._is_tcp(sock):
            return events & (POLLOUT | (POLLIN if sock._packet_rx_md else 0))
        if sock.tcp_session is None:
            return 0
        state = sock.state.name
        if state == "LISTEN" and sock._tcp_accept:
            return events & POLLIN
        readable = bool(sock.tcp_session._rx_buffer) or state in ("CLOSE_WAIT", "CLOSED")
        writable = state in ("ESTABLISHED", "CLOSE_WAIT")
        return events & ((POLLIN if readable else 0) | (POLLOUT if writable else 0))

    def poll(self, fd: int, events: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while True:
            revents = self._revents(fd, events)
            if revents or time.monotonic() >= deadline:
                return revents
            time.sleep(POLL_STEP_S)

    def packet_stats(self) -> dict[str, int]:
        """pytcp's own packet counters (its MIB: what it parsed, dropped, answered and why),
        the non-zero ones, as ``rx.<name>`` and ``tx.<name>``."""
        handler = self.stack.packet_handler
        counters = {}
        for prefix, stats in (("rx", handler.packet_stats_rx), ("tx", handler.packet_stats_tx)):
            counters.update({f"{prefix}.{name}": value
                             for name, value in dataclasses.asdict(stats).items() if value})
        return counters

    def timer_ticks(self) -> int:
        """How many ticks pytcp's timer loop has counted (see TickCounter)."""
        return self.ticks.ticks

    def close_all(self) -> None:
        for fd in sorted(self.sockets):
            try:
                self.close(fd)
            except Exception:  # noqa: BLE001 - best effort at the end of a test
                pass


# -- the line protocol ------------------------------------------------------------------

def handle(calls: PytcpCalls, message: dict[str, Any]) -> dict[str, Any]:
    """Execute one request (conformance.dut.agent_server), pytcp's exceptions as errno values."""
    return agent_server.handle(calls, message, errno_of)


def serve(calls: PytcpCalls, inp: BinaryIO, out: BinaryIO) -> None:
    agent_server.serve(calls, inp, out, errno_of)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tap", required=True)
    parser.add_argument("--mac", required=True)
    parser.add_argument("--ipv4", required=True, help="address/prefix length")
    parser.add_argument("--peer-ipv4", required=True)
    parser.add_argument("--peer-mac", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    t0 = time.perf_counter()
    args = parse_args(argv)
    out = protocol_stream()
    crash_on_thread_exception()
    ticks = start_stack(args.tap, args.mac, args.ipv4, args.peer_ipv4, args.peer_mac)
    facts = {"ready": True, "pid": os.getpid(), "pytcp": metadata.version("pytcp"),
             "optimised": not __debug__, "stack_start_s": round(time.perf_counter() - t0, 4)}
    out.write(json.dumps(facts).encode() + b"\n")
    out.flush()
    serve(PytcpCalls(ticks), sys.stdin.buffer, out)
    # pytcp's threads are not daemons: leave without waiting for them.
    os._exit(0)


if __name__ == "__main__":
    run_agent(main)
