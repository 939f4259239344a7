"""The agent's side of the DUT line protocol (:mod:`conformance.dut.agent`): the value codec and
the protocol stream.

Values go through :func:`encode` / :func:`decode`: bytes as ``{"b64": ...}``, tuples (socket
addresses, ``(fd, peer)``) as JSON arrays, which decode back to tuples. Standard library only,
and only its light modules, on purpose: an agent elsewhere (a VM's initramfs) uses the same
codec, and the ``gvisor`` agent imports it inside a sandbox whose every module import costs
(conformance/targets/gvisor_agent.py).
"""

from __future__ import annotations

import base64
import os
from typing import Any, BinaryIO


def encode(value: Any) -> Any:
    """A DUT API value as JSON-safe data (bytes as {"b64": ...}, tuples as lists, a TCP_INFO
    record as its struct's bytes)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    to_bytes = getattr(value, "to_bytes", None)
    if to_bytes is not None:  # a struct record (TcpInfo): the kernel's bytes (parsed back by
        return encode(to_bytes())  # AgentDutApi)
    return value


def decode(data: Any) -> Any:
    """The inverse of :func:`encode` (JSON arrays become tuples)."""
    if isinstance(data, dict) and set(data) == {"b64"}:
        return base64.b64decode(data["b64"])
    if isinstance(data, list):
        return tuple(decode(v) for v in data)
    return data


def protocol_stream() -> BinaryIO:
    """Agent side: the real stdout for the protocol; fd 1 then points at stderr so that
    anything the stack under test prints cannot corrupt the protocol."""
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return protocol
