"""Entering network namespaces from Python, per thread.

Python 3.11 has no ``os.setns``, so we call libc's ``setns(2)`` through ctypes. A network
namespace switch with setns affects only the calling thread, which is exactly what we want: a
socket created while a thread is inside a namespace stays in that namespace for its whole life,
so the harness can create DUT sockets and tester packet sockets in their namespaces and go back.

Paths under ``/proc/thread-self`` (not ``/proc/self``) are used because ``/proc/self/net`` shows
the namespace of the thread-group leader, not of the calling thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

from conformance.fabric import spawn

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/run/netns"

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]


class NetnsError(OSError):
    """A namespace could not be entered or does not exist."""


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NetnsError(err, f"setns: {os.strerror(err)}")


def netns_path(name: str) -> str:
    return os.path.join(NETNS_RUN_DIR, name)


def current_netns_path() -> str:
    return "/proc/thread-self/ns/net"


@contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the body of the ``with`` in network namespace ``name`` (this thread only)."""
    try:
        target = os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NetnsError(2, f"network namespace {name!r} does not exist") from None
    original = os.open(current_netns_path(), os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(original)
    finally:
        os.close(target)
        os.close(original)


def list_named() -> list[str]:
    try:
        return sorted(os.listdir(NETNS_RUN_DIR))
    except FileNotFoundError:
        return []


def sysctl_path(key: str) -> str:
    return "/proc/sys/" + key.replace(".", "/")


def write_sysctls(name: str, settings: dict[str, str]) -> None:
    """Set sysctls (dotted keys, e.g. ``net.ipv4.icmp_ratelimit``) inside namespace ``name``.

    /proc/sys/net resolves the namespace of the thread that opens the file.
    """
    with entered(name):
        for key, value in settings.items():
            try:
                with open(sysctl_path(key), "w") as f:
                    f.write(str(value))
            except OSError as exc:
                raise NetnsError(exc.errno or 0, f"sysctl {key}={value}: {exc.strerror}") from None


def read_sysctl(name: str, key: str) -> str:
    with entered(name), open(sysctl_path(key)) as f:
        return f.read().strip()


def route_metrics(name: str, destination: str) -> dict[str, object]:
    """The metrics of namespace ``name``'s route to ``destination`` (`ip -j route get`:
    initcwnd, rto_min in ms, mtu, advmss, initrwnd, quickack), {} when it has none."""
    proc = spawn.run(["ip", "-n", name, "-j", "route", "get", destination])
    try:
        routes = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {}
    metrics: dict[str, object] = {}
    for route in routes[:1]:
        for item in route.get("metrics", []):
            if isinstance(item, dict):
                metrics.update(item)
    return metrics
