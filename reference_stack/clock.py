"""The virtual clock: named deadlines in seconds, advanced only by the `now` callers pass.

The stack never reads a wall clock (DESIGN principle 1). Each owner (a TCB, the reassembly
buffer, the ARP cache) keeps a `Timers` of named deadlines; the stack's `poll_at()` is the
earliest deadline over all owners.
"""

from __future__ import annotations


class Timers(dict):
    """A small set of named one-shot deadlines: a dict of name -> deadline (s).

    Every segment sent or received sets or cancels a timer, so the common operations are
    the dict's own C methods (no Python frame per call): `set`, `get` and `is_set` are
    aliases, and a hot caller cancels with ``timers.pop(name, None)``, which is `cancel`."""

    __slots__ = ()

    set = dict.__setitem__
    get = dict.get
    is_set = dict.__contains__

    def cancel(self, name: str) -> None:
        self.pop(name, None)

    def earliest(self) -> float | None:
        return min(self.values()) if self else None

    def pop_due(self, now: float) -> list[str]:
        """Remove and return the names of the deadlines at or before `now`, earliest first."""
        due = sorted((d, n) for n, d in self.items() if d <= now)
        for _, name in due:
            del self[name]
        return [name for _, name in due]


def earliest(*deadlines: float | None) -> float | None:
    """The smallest of the given deadlines, ignoring None."""
    present = [d for d in deadlines if d is not None]
    return min(present) if present else None
