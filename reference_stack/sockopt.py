"""Socket options and call flags as values: the one table every DUT API and the oracle share.

A test passes an option's value as a value (an int, a :class:`Linger` pair); the raw bytes a
kernel takes (``struct linger``, a native ``int``) stay accepted, so suites written against
``socket.setsockopt`` keep working. :func:`as_value` turns either form into the value,
:func:`as_bytes` into the kernel's bytes. An option or a flag that is not in the tables, or
that a stack does not model, is refused by name (:class:`Unsupported`), never ignored.

Standard library only, its C modules: the oracle imports it, and so does the ``gvisor``
agent inside a sandbox where every import costs CPU (conformance/dut/socket_calls.py): the
constants come from ``_socket`` (socket.py's own source of them), and :class:`Linger` is a
plain tuple (``typing.NamedTuple`` would import typing).
"""

from __future__ import annotations

import _socket as pysock
import struct

SOL_SOCKET = pysock.SOL_SOCKET
IPPROTO_IP = pysock.IPPROTO_IP
IPPROTO_TCP = pysock.IPPROTO_TCP

# Linux's numbers where Python's socket module has no name (include/uapi/linux/in.h, tcp.h).
IP_MTU_DISCOVER = getattr(pysock, "IP_MTU_DISCOVER", 10)
IP_MTU = getattr(pysock, "IP_MTU", 14)
IP_PMTUDISC_DONT, IP_PMTUDISC_WANT, IP_PMTUDISC_DO, IP_PMTUDISC_PROBE = 0, 1, 2, 3
IP_PMTUDISC_INTERFACE, IP_PMTUDISC_OMIT = 4, 5
TCP_CORK = getattr(pysock, "TCP_CORK", 3)
TCP_INFO = getattr(pysock, "TCP_INFO", 11)
TCP_USER_TIMEOUT = getattr(pysock, "TCP_USER_TIMEOUT", 18)
MSG_OOB = int(pysock.MSG_OOB)
MSG_PEEK = int(pysock.MSG_PEEK)
MSG_DONTWAIT = int(pysock.MSG_DONTWAIT)
MSG_WAITALL = int(pysock.MSG_WAITALL)
MSG_NOSIGNAL = int(getattr(pysock, "MSG_NOSIGNAL", 0x4000))
MSG_MORE = int(getattr(pysock, "MSG_MORE", 0x8000))


class Linger(tuple[int, int]):
    """``struct linger`` (SO_LINGER): ``onoff`` non-zero lingers, for ``seconds``."""

    __slots__ = ()

    def __new__(cls, onoff: int, seconds: int) -> Linger:
        return super().__new__(cls, (onoff, seconds))

    def __getnewargs__(self) -> tuple[int, int]:
        return (self[0], self[1])

    @property
    def onoff(self) -> int:
        return self[0]

    @property
    def seconds(self) -> int:
        return self[1]

    def __repr__(self) -> str:
        return f"Linger(onoff={self[0]}, seconds={self[1]})"


class Unsupported(NotImplementedError):
    """An option or flag a stack (the oracle, an agent's stack) does not model or has not."""


LINGER = struct.Struct("=ii")
INT = struct.Struct("=i")

# (level, name) -> (its name, its value kind: "int" or "linger"; "tcp_info" is read only)
OPTIONS: dict[tuple[int, int], tuple[str, str]] = {
    (SOL_SOCKET, pysock.SO_REUSEADDR): ("SO_REUSEADDR", "int"),
    (SOL_SOCKET, pysock.SO_KEEPALIVE): ("SO_KEEPALIVE", "int"),
    (SOL_SOCKET, pysock.SO_OOBINLINE): ("SO_OOBINLINE", "int"),
    (SOL_SOCKET, pysock.SO_RCVBUF): ("SO_RCVBUF", "int"),
    (SOL_SOCKET, pysock.SO_SNDBUF): ("SO_SNDBUF", "int"),
    (SOL_SOCKET, pysock.SO_LINGER): ("SO_LINGER", "linger"),
    (SOL_SOCKET, pysock.SO_ERROR): ("SO_ERROR", "int"),
    (SOL_SOCKET, pysock.SO_TYPE): ("SO_TYPE", "int"),
    (IPPROTO_IP, IP_MTU_DISCOVER): ("IP_MTU_DISCOVER", "int"),
    (IPPROTO_IP, IP_MTU): ("IP_MTU", "int"),
    (IPPROTO_IP, pysock.IP_TOS): ("IP_TOS", "int"),
    (IPPROTO_IP, pysock.IP_TTL): ("IP_TTL", "int"),
    (pysock.IPPROTO_IPV6, pysock.IPV6_V6ONLY): ("IPV6_V6ONLY", "int"),
    (IPPROTO_TCP, pysock.TCP_NODELAY): ("TCP_NODELAY", "int"),
    (IPPROTO_TCP, pysock.TCP_MAXSEG): ("TCP_MAXSEG", "int"),
    (IPPROTO_TCP, TCP_CORK): ("TCP_CORK", "int"),
    (IPPROTO_TCP, pysock.TCP_KEEPIDLE): ("TCP_KEEPIDLE", "int"),
    (IPPROTO_TCP, pysock.TCP_KEEPINTVL): ("TCP_KEEPINTVL", "int"),
    (IPPROTO_TCP, pysock.TCP_KEEPCNT): ("TCP_KEEPCNT", "int"),
    (IPPROTO_TCP, TCP_INFO): ("TCP_INFO", "tcp_info"),
    (IPPROTO_TCP, TCP_USER_TIMEOUT): ("TCP_USER_TIMEOUT", "int"),
}
FLAGS: dict[int, str] = {MSG_OOB: "MSG_OOB", MSG_PEEK: "MSG_PEEK", MSG_DONTWAIT: "MSG_DONTWAIT",
                         MSG_WAITALL: "MSG_WAITALL", MSG_NOSIGNAL: "MSG_NOSIGNAL",
                         MSG_MORE: "MSG_MORE"}


def option_name(level: int, name: int) -> str:
    """``SO_LINGER``, or ``level 6 option 99`` for a pair not in :data:`OPTIONS`."""
    known = OPTIONS.get((level, name))
    return known[0] if known else f"level {level} option {name}"


def kind(level: int, name: int) -> str | None:
    known = OPTIONS.get((level, name))
    return known[1] if known else None


def as_value(level: int, name: int, value: object) -> int | Linger:
    """The value form of an option: an int, or a :class:`Linger` for SO_LINGER; raw bytes
    (``struct linger``, a native int) are decoded. A shape that fits no form raises
    ``ValueError`` naming the option."""
    what = kind(level, name)
    if what == "linger":
        if isinstance(value, bytes | bytearray | memoryview):
            if len(value) != LINGER.size:
                raise ValueError(f"SO_LINGER takes a struct linger ({LINGER.size} bytes), "
                                 f"not {len(value)} bytes")
            return Linger(*LINGER.unpack(bytes(value)))
        if isinstance(value, tuple | list) and len(value) == 2:
            return Linger(int(value[0]), int(value[1]))
        raise ValueError(f"SO_LINGER takes a (onoff, seconds) pair, not {value!r}")
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, bytes | bytearray | memoryview) and len(value) == INT.size:
        return INT.unpack(bytes(value))[0]
    raise ValueError(f"{option_name(level, name)} takes an int, not {value!r}")


def as_bytes(level: int, name: int, value: object) -> bytes:
    """The bytes a kernel's setsockopt takes for the option's value."""
    v = as_value(level, name, value)
    return LINGER.pack(*v) if isinstance(v, Linger) else INT.pack(v)


def for_kernel(level: int, name: int, value: object) -> int | bytes:
    """What Python's ``socket.setsockopt`` takes: an int as is, a linger pair as bytes."""
    v = as_value(level, name, value)
    return LINGER.pack(*v) if isinstance(v, Linger) else v


def flag_names(flags: int) -> list[str]:
    """The names of the bits of ``flags``; an unknown bit as hex."""
    names = [n for bit, n in FLAGS.items() if flags & bit]
    rest = flags & ~sum(FLAGS)
    return names + ([hex(rest)] if rest else [])


def refuse_flags(flags: int, supported: int, who: str) -> None:
    """Raise :class:`Unsupported` naming each flag of ``flags`` outside ``supported``."""
    extra = flags & ~supported
    if extra:
        raise Unsupported(f"{who} does not support {', '.join(flag_names(extra))}")
