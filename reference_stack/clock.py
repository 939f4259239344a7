"""The virtual clock: named deadlines in seconds, advanced only by the `now` callers pass.

The stack never reads a wall clock (DESIGN principle 1). Each owner (a TCB, the reassembly
buffer, the ARP cache) keeps a `Timers` of named deadlines; the stack's `poll_at()` is the
earliest deadline over all owners.
"""

from __future__ import annotations


class Timers:
    """A small set of named one-shot deadlines."""

    __slots__ = ("_deadlines",)

    def __init__(self) -> None:
        self._deadlines: dict[str, float] = {}

    def set(self, name: str, deadline: float) -> None:
        self._deadlines[name] = deadline

    def cancel(self, name: str) -> None:
        self._deadlines.pop(name, None)

    def get(self, name: str) -> float | None:
        return self._deadlines.get(name)

    def is_set(self, name: str) -> bool:
        return name in self._deadlines

    def earliest(self) -> float | None:
        return min(self._deadlines.values()) if self._deadlines else None

    def pop_due(self, now: float) -> list[str]:
        """Remove and return the names of the deadlines at or before `now`, earliest first."""
        due = sorted((d, n) for n, d in self._deadlines.items() if d <= now)
        for _, name in due:
            del self._deadlines[name]
        return [name for _, name in due]

    def clear(self) -> None:
        self._deadlines.clear()


def earliest(*deadlines: float | None) -> float | None:
    """The smallest of the given deadlines, ignoring None."""
    present = [d for d in deadlines if d is not None]
    return min(present) if present else None
