"""The agent's side of the DUT line protocol (:mod:`conformance.dut.agent`): the value codec, the
JSON of a line and the protocol stream.

Values go through :func:`encode` / :func:`decode`: bytes as ``{"b64": ...}``, tuples (socket
addresses, ``(fd, peer)``) as JSON arrays, which decode back to tuples. Lines go through
:func:`loads` / :func:`dumps`: the standard library's own JSON codec (its C scanner and encoder,
with ``json.loads``'s and ``json.dumps``'s defaults) without the ``json`` package, which imports
``re``. C modules only, on purpose: an agent elsewhere (a VM's initramfs) uses the same codec,
and the ``gvisor`` agent imports it inside a sandbox where every module import costs CPU
(conformance/dut/socket_calls.py).
"""

from __future__ import annotations

import _json
import binascii
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # (names for annotations only: typing is not imported at run time)
    from typing import Any, BinaryIO


def encode(value: Any) -> Any:
    """A DUT API value as JSON-safe data (bytes as {"b64": ...}, tuples as lists, a TCP_INFO
    record as its struct's bytes)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b64": binascii.b2a_base64(bytes(value), newline=False).decode("ascii")}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    to_bytes = getattr(value, "to_bytes", None)
    if to_bytes is not None:  # a struct record (TcpInfo): the kernel's bytes (parsed back by
        return encode(to_bytes())  # AgentDutApi)
    return value


def decode(data: Any) -> Any:
    """The inverse of :func:`encode` (JSON arrays become tuples)."""
    if isinstance(data, dict) and set(data) == {"b64"}:
        return binascii.a2b_base64(data["b64"])
    if isinstance(data, list):
        return tuple(decode(v) for v in data)
    return data


class _JsonDefaults:
    """The settings json.JSONDecoder hands its C scanner (json.loads's defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"),
                      "NaN": float("nan")}.__getitem__


_scan = _json.make_scanner(_JsonDefaults())


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json.dumps's defaults: ASCII output, ", " and ": ", NaN allowed (no circular check: encode's
# values are trees)
_encode = _json.make_encoder(None, _refuse, _json.encode_basestring_ascii, None, ": ", ", ",
                             False, False, True)


def loads(line: bytes | str) -> Any:
    """One JSON document (a protocol line), as ``json.loads``; ValueError if it is not one."""
    text = line.decode() if isinstance(line, bytes | bytearray) else line
    start = len(text) - len(text.lstrip())
    try:
        value, end = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"not JSON at character {exc.value}") from None
    if text[end:].strip():
        raise ValueError(f"extra data after JSON at character {end}")
    return value


def dumps(value: Any) -> str:
    """``value`` as one line of JSON, as ``json.dumps``."""
    return "".join(_encode(value, 0))


def protocol_stream() -> BinaryIO:
    """Agent side: the real stdout for the protocol; fd 1 then points at stderr so that
    anything the stack under test prints cannot corrupt the protocol."""
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return protocol
