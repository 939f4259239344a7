"""The agent's side of the DUT line protocol (:mod:`conformance.dut.agent`): one JSON request
line in, one JSON reply line out, executed on an object whose public methods are the DUT calls.

Used by the agents of the ``pytcp``, ``lwip`` and ``gvisor`` targets. Standard library only
(its C modules: conformance/dut/agent_codec.py), and it imports nothing of
:mod:`conformance.targets`, so an agent process started by its file path starts fast.
"""

from __future__ import annotations

import errno
import os
import sys

from conformance.dut.agent_codec import decode, dumps, encode, loads

TYPE_CHECKING = False
if TYPE_CHECKING:  # (names for annotations only: typing is not imported at run time)
    from collections.abc import Callable
    from typing import Any, BinaryIO

CRASH_STATUS = 70  # an agent ended by an exception (sysexits' EX_SOFTWARE)


class CallError(Exception):
    """A call failed with ``errno`` (the agent's own refusals)."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(detail or os.strerror(code))
        self.errno = code


def plain_errno(exc: BaseException) -> int:
    """An exception's own errno, else EIO."""
    code = getattr(exc, "errno", None)
    return code if isinstance(code, int) and code > 0 else errno.EIO


def handle(calls: Any, message: dict[str, Any],
           errno_of: Callable[[BaseException], int] = plain_errno) -> dict[str, Any]:
    """Execute one request; every outcome is a reply (errno 0 on success). ``errno_of`` maps
    the stack's own exceptions to errno values."""
    reply: dict[str, Any] = {"id": message.get("id")}
    method: Callable[..., Any] | None = getattr(calls, str(message.get("call")), None)
    if method is None or str(message.get("call")).startswith("_"):
        return {**reply, "value": None, "errno": errno.ENOSYS, "detail": "no such call"}
    try:
        value = method(*decode(message.get("args", [])))
    except CallError as exc:
        return {**reply, "value": None, "errno": exc.errno, "detail": str(exc)}
    except Exception as exc:  # noqa: BLE001 - the stack's failures become errno values
        return {**reply, "value": None, "errno": errno_of(exc),
                "detail": f"{type(exc).__name__}: {exc}"}
    return {**reply, "value": encode(value), "errno": 0}


def serve(calls: Any, inp: BinaryIO, out: BinaryIO,
          errno_of: Callable[[BaseException], int] = plain_errno) -> None:
    serve_each(lambda message: handle(calls, message, errno_of), inp, out)


def serve_each(handle_one: Callable[[dict[str, Any]], dict[str, Any]], inp: BinaryIO,
               out: BinaryIO) -> None:
    """One reply line per request line, in order, until ``inp`` ends (a line that is not
    JSON is answered as the invalid call ``_invalid``)."""
    for line in inp:
        try:
            message = loads(line)
        except ValueError:
            message = {"id": None, "call": "_invalid"}
        out.write(dumps(handle_one(message)).encode() + b"\n")
        out.flush()


def run_agent(main: Callable[[], None]) -> None:
    """An agent's entry point: an exception escaping ``main`` is printed (the target shows
    the agent's last words) and ends the process at once with CRASH_STATUS (no clean-up: a
    stack's own threads may be stuck); sys.exit keeps its own status."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        import traceback  # (only for last words: not in every agent's start)

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(CRASH_STATUS)
