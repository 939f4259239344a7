"""The DUT control agent of the ``lwip`` target: lwIP (Debian's liblwip 2.1.3) in this process.

Started by the target inside the DUT namespace::

    python .../conformance/targets/lwip_agent.py --shim LIBNCLWIP.so --tap TAP --mac MAC \\
        --ipv4 ADDR/LEN

(by its path, with the checkout on PYTHONPATH: ``-m`` would import the conformance.targets
package and its fabric first, which tripled the agent's start-up under load).

It loads the project's C shim (lwip_shim.c, built by lwip_build.py), which starts lwIP with
``tcpip_init`` and a netif of its own on the TAP device, then says ``{"ready": true, ...}`` and
executes DUT API calls as ``lwip_*`` socket calls, one JSON line in, one JSON line out (the
protocol of :mod:`conformance.dut.agent`, served by :mod:`conformance.dut.agent_server`).

Why ctypes plus a small C shim rather than a C agent: the netif needs lwIP's struct layouts,
so it is C, compiled against Debian's headers; everything else (the JSON-lines protocol, socket
address packing, timeouts) is the same Python the pytcp agent runs, so the protocol has one
implementation. ctypes releases the GIL during each ``lwip_*`` call, and lwIP's own threads
(tcpip and the shim's TAP reader) never touch Python.

Addresses and constants are Linux's: this lwIP is built with glibc's socket headers
(``LWIP_SOCKET_EXTERNAL_HEADERS``), so ``AF_INET``, ``SOL_SOCKET``, ``SO_*``, ``TCP_NODELAY``,
``MSG_DONTWAIT``, ``O_NONBLOCK``, ``struct sockaddr_in`` and errno values are the harness's.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import ipaddress
import json
import os
import socket
import struct
import sys
import time
from typing import Any

from conformance.dut.agent_codec import protocol_stream
from conformance.dut.agent_server import CallError, run_agent, serve
from reference_stack import sockopt

F_GETFL, F_SETFL, O_NONBLOCK = 3, 4, 0o4000  # glibc <fcntl.h>
POLLIN, POLLOUT = 0x001, 0x004  # glibc <poll.h>
SOCKADDR_IN = struct.Struct("=H2s4s8x")  # sin_family (host order), sin_port, sin_addr, zero
COUNTERS = ("rx.frames", "tx.frames", "rx.refused", "tx.errors")  # nc_counter(0..3)
SETTLE_MAX_US = 200_000  # a frame takes lwIP microseconds; this bounds a stuck reader


class PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


def sockaddr_in(addr: Any) -> bytes:
    host, port = str(addr[0]), int(addr[1])
    try:
        packed = socket.inet_aton(host)
    except OSError:
        raise CallError(errno.EINVAL, f"not an IPv4 address: {host!r}") from None
    return SOCKADDR_IN.pack(socket.AF_INET, port.to_bytes(2, "big"), packed)


def address_of(raw: bytes) -> tuple[str, int]:
    _family, port, addr = SOCKADDR_IN.unpack(raw[:SOCKADDR_IN.size])
    return socket.inet_ntoa(addr), int.from_bytes(port, "big")


def load_stack(shim: str, tap: str, mac: str, ipv4: str) -> ctypes.CDLL:
    """Load the shim (and through it liblwip) and start lwIP on ``tap``."""
    lib = ctypes.CDLL(shim, use_errno=True)
    lib.nc_counter.restype = ctypes.c_uint64
    # The calls with size_t lengths and ssize_t results (the others take and return ints).
    size, ssize, ptr = ctypes.c_size_t, ctypes.c_ssize_t, ctypes.c_void_p
    for name, argtypes in (("lwip_send", [ctypes.c_int, ctypes.c_char_p, size, ctypes.c_int]),
                           ("lwip_recv", [ctypes.c_int, ptr, size, ctypes.c_int]),
                           ("lwip_sendto", [ctypes.c_int, ctypes.c_char_p, size, ctypes.c_int,
                                            ctypes.c_char_p, ctypes.c_uint32]),
                           ("lwip_recvfrom", [ctypes.c_int, ptr, size, ctypes.c_int, ptr, ptr])):
        getattr(lib, name).argtypes = argtypes
        getattr(lib, name).restype = ssize
    iface = ipaddress.IPv4Interface(ipv4)
    status = lib.nc_start(tap.encode(), bytes.fromhex(mac.replace(":", "")),
                          ctypes.c_uint32(int.from_bytes(iface.ip.packed, "little")),
                          ctypes.c_uint32(int.from_bytes(iface.netmask.packed, "little")))
    if status != 0:
        what = os.strerror(-status) if -1000 < status < 0 else f"lwIP error {-1000 - status}"
        raise RuntimeError(f"nc_start({tap}) failed: {what}")
    lib.lwip_socket_thread_init()
    return lib


class LwipCalls:
    """The DUT API on lwIP's socket API; sockets are named by lwIP's own descriptors.

    Mirrors conformance/dut/kernel_sockets.py: send does not block (MSG_DONTWAIT) but with a
    timeout (a blocking send, waiting on lwIP's POLLOUT), recv and
    accept wait for readiness with ``lwip_poll`` and then do not block, connect with a timeout
    of 0 starts the handshake and returns EINPROGRESS.
    """

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        self.sockets: set[int] = set()

    def _check(self, result: int) -> int:
        if result < 0:
            raise CallError(ctypes.get_errno() or errno.EIO)
        return result

    def _fd(self, fd: int) -> int:
        if fd not in self.sockets:
            raise CallError(errno.EBADF)
        return fd

    def _set_nonblocking(self, fd: int, on: bool) -> None:
        flags = self._check(self.lib.lwip_fcntl(fd, F_GETFL, 0))
        flags = flags | O_NONBLOCK if on else flags & ~O_NONBLOCK
        self._check(self.lib.lwip_fcntl(fd, F_SETFL, flags))

    def _wait(self, fd: int, events: int, timeout: float) -> int:
        pfd = PollFd(fd, events, 0)
        self._check(self.lib.lwip_poll(ctypes.byref(pfd), 1, max(int(timeout * 1000), 0)))
        return int(pfd.revents)

    # -- calls
    def socket(self, family: int, type_: int, proto: int = 0) -> int:
        if family != socket.AF_INET:
            raise CallError(errno.EAFNOSUPPORT, "the lwip target drives IPv4 only")
        fd = self._check(self.lib.lwip_socket(family, type_, proto))
        self.sockets.add(fd)
        return fd

    def bind(self, fd: int, addr: Any) -> None:
        raw = sockaddr_in(addr)
        self._check(self.lib.lwip_bind(self._fd(fd), raw, len(raw)))

    def listen(self, fd: int, backlog: int) -> None:
        self._check(self.lib.lwip_listen(self._fd(fd), backlog))

    def accept(self, fd: int, timeout: float) -> tuple[int, tuple[str, int]]:
        if not self._wait(self._fd(fd), POLLIN, timeout):
            raise CallError(errno.EAGAIN)
        raw = ctypes.create_string_buffer(16)
        size = ctypes.c_uint32(16)
        conn = self._check(self.lib.lwip_accept(fd, raw, ctypes.byref(size)))
        self.sockets.add(conn)
        return conn, address_of(raw.raw)

    def connect(self, fd: int, addr: Any, timeout: float) -> None:
        raw = sockaddr_in(addr)
        self._set_nonblocking(self._fd(fd), True)
        try:
            if self.lib.lwip_connect(fd, raw, len(raw)) == 0:
                return
            code = ctypes.get_errno()
            if code != errno.EINPROGRESS or timeout <= 0:
                raise CallError(code)
            if not self._wait(fd, POLLOUT, timeout):
                raise CallError(errno.ETIMEDOUT)
            error = self.getsockopt(fd, socket.SOL_SOCKET, socket.SO_ERROR, 0)
            if error:
                raise CallError(int(error))
        finally:
            self._set_nonblocking(fd, False)

    def send(self, fd: int, data: bytes, flags: int, timeout: float = 0.0) -> int:
        """``timeout`` > 0 (no MSG_DONTWAIT): a blocking send, for at most ``timeout`` s: what
        fits is written, then the rest as lwIP reports room again (POLLOUT: its sendevent,
        api_msg.c sent_tcp); the count written, or EAGAIN when nothing fitted in time (as
        lwIP's own blocking send with SO_SNDTIMEO, netconn_write_partly). (lwIP's blocking
        lwip_send itself is not called: it would hold the agent past its deadline.)"""
        data = bytes(data)
        lwfd = self._fd(fd)
        if timeout <= 0 or flags & socket.MSG_DONTWAIT:
            return self._check(self.lib.lwip_send(lwfd, data, len(data),
                                                  flags | socket.MSG_DONTWAIT))
        deadline = time.monotonic() + timeout
        done = 0
        while done < len(data):
            left = deadline - time.monotonic()
            if left <= 0 or not self._wait(lwfd, POLLOUT, left) & POLLOUT:
                break
            rest = data[done:]
            n = self.lib.lwip_send(lwfd, rest, len(rest), flags | socket.MSG_DONTWAIT)
            if n < 0 and ctypes.get_errno() in (errno.EAGAIN, errno.EWOULDBLOCK):
                continue
            done += self._check(n)
        if not done:
            raise CallError(errno.EAGAIN)
        return done

    def sendto(self, fd: int, data: bytes, addr: Any) -> int:
        data, raw = bytes(data), sockaddr_in(addr)
        return self._check(self.lib.lwip_sendto(self._fd(fd), data, len(data),
                                                socket.MSG_DONTWAIT, raw, len(raw)))

    def recv(self, fd: int, n: int, timeout: float, flags: int) -> bytes:
        if timeout > 0 and not self._wait(self._fd(fd), POLLIN, timeout):
            raise CallError(errno.EAGAIN)
        buf = ctypes.create_string_buffer(max(n, 1))
        got = self._check(self.lib.lwip_recv(self._fd(fd), ctypes.addressof(buf), n,
                                             flags | socket.MSG_DONTWAIT))
        return buf.raw[:got]

    def recvfrom(self, fd: int, n: int, timeout: float) -> tuple[bytes, tuple[str, int]]:
        if timeout > 0 and not self._wait(self._fd(fd), POLLIN, timeout):
            raise CallError(errno.EAGAIN)
        buf = ctypes.create_string_buffer(max(n, 1))
        raw = ctypes.create_string_buffer(16)
        size = ctypes.c_uint32(16)
        got = self._check(self.lib.lwip_recvfrom(self._fd(fd), ctypes.addressof(buf), n,
                                                 socket.MSG_DONTWAIT, ctypes.addressof(raw),
                                                 ctypes.addressof(size)))
        return buf.raw[:got], address_of(raw.raw)

    def shutdown(self, fd: int, how: int) -> None:
        self._check(self.lib.lwip_shutdown(self._fd(fd), how))

    def close(self, fd: int) -> None:
        self._check(self.lib.lwip_close(self._fd(fd)))
        self.sockets.discard(fd)

    def setsockopt(self, fd: int, level: int, name: int, value: Any) -> None:
        raw = (sockopt.as_bytes(level, name, value) if sockopt.kind(level, name)
               else bytes(value) if isinstance(value, bytes) else struct.pack("=i", int(value)))
        self._check(self.lib.lwip_setsockopt(self._fd(fd), level, name, raw, len(raw)))

    def getsockopt(self, fd: int, level: int, name: int, size: int) -> int | bytes:
        buf = ctypes.create_string_buffer(max(size, 4))
        length = ctypes.c_uint32(max(size, 4))
        self._check(self.lib.lwip_getsockopt(self._fd(fd), level, name, buf,
                                             ctypes.byref(length)))
        if size:
            return buf.raw[:length.value]
        return int(struct.unpack("=i", buf.raw[:4])[0])

    def getsockname(self, fd: int) -> tuple[str, int]:
        raw = ctypes.create_string_buffer(16)
        size = ctypes.c_uint32(16)
        self._check(self.lib.lwip_getsockname(self._fd(fd), raw, ctypes.byref(size)))
        return address_of(raw.raw)

    def getpeername(self, fd: int) -> tuple[str, int]:
        raw = ctypes.create_string_buffer(16)
        size = ctypes.c_uint32(16)
        self._check(self.lib.lwip_getpeername(self._fd(fd), raw, ctypes.byref(size)))
        return address_of(raw.raw)

    def poll(self, fd: int, events: int, timeout: float) -> int:
        return self._wait(self._fd(fd), events, timeout)

    def packet_stats(self) -> dict[str, int]:
        """The shim's frame counters (lwIP's own statistics are compiled out), non-zero ones."""
        counts = {name: int(self.lib.nc_counter(i)) for i, name in enumerate(COUNTERS)}
        return {name: value for name, value in counts.items() if value}

    def close_all(self) -> None:
        for fd in sorted(self.sockets):
            self.lib.lwip_close(fd)
        self.sockets.clear()


class Settled:
    """The DUT calls of ``calls``, each made once lwIP has taken the frames the tester already
    sent (lwip_shim.c nc_settle), so a call never races the frames sent before it."""

    def __init__(self, calls: LwipCalls) -> None:
        self.calls = calls

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.calls, name)

        def settled(*args: Any) -> Any:
            self.calls.lib.nc_settle(SETTLE_MAX_US)
            return method(*args)

        return settled


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shim", required=True, help="the built lwip_shim.c shared object")
    parser.add_argument("--tap", required=True)
    parser.add_argument("--mac", required=True)
    parser.add_argument("--ipv4", required=True, help="address/prefix length")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    t0 = time.perf_counter()
    args = parse_args(argv)
    out = protocol_stream()
    lib = load_stack(args.shim, args.tap, args.mac, args.ipv4)
    facts = {"ready": True, "pid": os.getpid(), "lwip": "2.1.3",
             "stack_start_s": round(time.perf_counter() - t0, 4)}
    out.write(json.dumps(facts).encode() + b"\n")
    out.flush()
    serve(Settled(LwipCalls(lib)), sys.stdin.buffer, out)
    # lwIP's threads (tcpip, the TAP reader) never end: leave without waiting for them.
    os._exit(0)


if __name__ == "__main__":
    run_agent(main)
