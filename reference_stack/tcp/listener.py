"""A listening socket's state (RFC 9293 3.10.1 passive OPEN) and the per-socket settings its
connections inherit."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class ConnOptions:
    """Per-socket settings a connection inherits (SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, ...)."""

    rcvbuf: int
    sndbuf: int
    nodelay: bool = False
    maxseg: int | None = None
    rcvbuf_locked: bool = False  # the user set SO_RCVBUF (Linux SOCK_RCVBUF_LOCK)
    cork: bool = False  # TCP_CORK (Linux TCP_NAGLE_CORK; tcp/output.py)
    df: bool | None = None  # IP_MTU_DISCOVER's DF (tcp/dont_fragment.py); None: the profile's


@dataclass(slots=True, eq=False)
class Listener:
    local_ip: bytes
    port: int
    backlog: int
    opts: ConnOptions
    pending: dict = field(default_factory=dict)  # embryonic connection keys, in arrival order
    accept_queue: deque = field(default_factory=deque)
    v6only: bool = True  # on the IPv6 unspecified address: IPv4 connections refused
    # SYN cookies answered, by peer (address, port): (the SYN, its connection), for an ACK that
    # still decodes after the connection is gone (tcp/syn_cookie.py)
    cookies: dict = field(default_factory=dict)

    def queue_full(self) -> bool:
        # Linux sk_acceptq_is_full: more than `backlog` connections waiting.
        return len(self.accept_queue) > self.backlog
