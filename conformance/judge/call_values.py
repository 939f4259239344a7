"""What of a DUT call's returned value the judge compares with the oracle's, call by call.

``send``, ``recv`` and ``recvfrom``: the value itself (octets sent, data read). ``getsockopt``:
the option's value (raw bytes a test asked for by size are decoded first); for TCP_INFO, field
by field, only the fields the oracle's model fixes (reference_stack.tcp.info.COMPARED, not the
wall-clock ones). ``getsockname`` and ``getpeername``: the address. ``poll``: the requested
events and POLLERR/POLLHUP, the bits POSIX makes the answer (a kernel adds POLLRDNORM and the
like to what the caller did not ask for).
"""

from __future__ import annotations

import select
from collections.abc import Callable
from typing import Any

from reference_stack import sockopt
from reference_stack.tcp.info import TcpInfo

Diff = tuple[str, Any, Any]  # (field suffix, oracle's value, target's value)


def _whole(args: tuple, target: Any, oracle: Any) -> list[Diff]:
    return [] if target == oracle else [("", oracle, target)]


def _address(args: tuple, target: Any, oracle: Any) -> list[Diff]:
    if target is not None and tuple(target[:2]) == tuple(oracle[:2]):
        return []
    return [("", oracle, target)]


def option_value(level: int, name: int, value: Any) -> Any:
    """A getsockopt value in its value form (an int, a Linger, a TcpInfo), from raw bytes too;
    None where the form is unknown (not compared)."""
    what = sockopt.kind(level, name)
    if what == "tcp_info":
        return value if isinstance(value, TcpInfo) else TcpInfo.parse(value)
    if what is None:
        return None
    return sockopt.as_value(level, name, value)


def _getsockopt(args: tuple, target: Any, oracle: Any) -> list[Diff]:
    if len(args) < 3:  # (a caller that did not say which option)
        return []
    level, name = args[1], args[2]
    label = sockopt.option_name(level, name)
    mine, theirs = option_value(level, name, oracle), option_value(level, name, target)
    if mine is None:
        return []
    if isinstance(mine, TcpInfo):
        expected, got = mine.compared(), theirs.compared()
        return [(f"{label}.{key}", expected[key], got[key]) for key in expected
                if expected[key] != got[key]]
    return [] if mine == theirs else [(label, mine, theirs)]


def _poll(args: tuple, target: Any, oracle: Any) -> list[Diff]:
    if len(args) < 2:
        return []
    mask = args[1] | select.POLLERR | select.POLLHUP
    mine, theirs = oracle & mask, (target or 0) & mask
    return [] if mine == theirs else [("", mine, theirs)]


COMPARE: dict[str, Callable[[tuple, Any, Any], list[Diff]]] = {
    "send": _whole, "recv": _whole, "recvfrom": _whole,
    "getsockopt": _getsockopt, "getsockname": _address, "getpeername": _address,
    "poll": _poll,
}


def value_diffs(name: str, args: tuple, target: Any, oracle: Any) -> list[Diff]:
    """The differences in value of call ``name`` (without ``_with_errno``) that succeeded on
    both sides."""
    compare = COMPARE.get(name)
    return compare(args, target, oracle) if compare is not None else []
