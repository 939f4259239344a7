"""Decision records: the oracle's account of why it did what it did (DESIGN principle 2).

Every frame handed to the stack yields a tuple of `Decision`s, one per decision taken on the way
through the layers (ethernet -> arp | ipv4 -> icmp | udp | tcp -> socket). A decision names the
requirement it applied as `RFC<number>-<section>-<LEVEL>-<slug>`, e.g.
`RFC9293-3.10.7.4-MUST-first-check`.

Recording is cheap by design: `Trace` keeps plain tuples, a detail text can be recorded as a
template and its arguments (`Trace.note`) and is formatted only when someone reads it, and the
`Decision` objects are built only when a caller asks for them (`Trace.freeze`, or lazily by
`stack.Reaction.trace`). What is read is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Actions a decision can record.
ACCEPT = "accept"  # the layer accepted the input and passed it on
DROP = "drop"  # the input was silently discarded
REPLY = "reply"  # the layer produced an output frame
STATE = "state"  # a protocol state changed (TCP state, ARP cache, reassembly buffer)
DELIVER = "deliver"  # data or an event reached a socket
EVENT = "event"  # a peer's violation or notable condition, reported to the user

# A recorded decision before it is read: (layer, action, rule, detail), where detail is a str
# or a (template, args) pair; template is a str.format string or a function of the args.
Record = tuple[str, str, str, Any]


def _format(detail: Any) -> str:
    if type(detail) is str:
        return detail
    template, args = detail
    return template.format(*args) if type(template) is str else template(*args)


class Decision:
    """One decision of one layer, citing the requirement it applied (immutable)."""

    __slots__ = ("layer", "action", "rule", "_detail")

    layer: str
    action: str
    rule: str

    def __init__(self, layer: str, action: str, rule: str, detail: Any = "") -> None:
        setter = object.__setattr__
        setter(self, "layer", layer)
        setter(self, "action", action)
        setter(self, "rule", rule)
        setter(self, "_detail", detail)

    @property
    def detail(self) -> str:
        detail = self._detail
        if type(detail) is not str:
            detail = _format(detail)
            object.__setattr__(self, "_detail", detail)
        return detail

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Decision is immutable: cannot assign {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Decision is immutable: cannot delete {name!r}")

    def _key(self) -> tuple[str, str, str, str]:
        return (self.layer, self.action, self.rule, self.detail)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Decision:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self) -> tuple:
        return (Decision, self._key())

    def __repr__(self) -> str:
        return (f"Decision(layer={self.layer!r}, action={self.action!r}, rule={self.rule!r}, "
                f"detail={self.detail!r})")

    def to_dict(self) -> dict[str, str]:
        return {"layer": self.layer, "action": self.action, "rule": self.rule,
                "detail": self.detail}

    def __str__(self) -> str:
        detail = self.detail
        tail = f" ({detail})" if detail else ""
        return f"{self.layer}: {self.action} [{self.rule}]{tail}"


def decisions_of(records: list[Record]) -> tuple[Decision, ...]:
    return tuple([Decision(*r) for r in records])


class Trace:
    """An append-only collector of decisions: `records` are one entry-point call's (the stack
    gives its Trace a new list at the start of every call; the call's Reaction keeps it)."""

    __slots__ = ("records",)

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, layer: str, action: str, rule: str, detail: str = "") -> None:
        self.records.append((layer, action, rule, detail))

    def note(self, layer: str, action: str, rule: str, template: str | Callable[..., str],
             *args: Any) -> None:
        """Like `add`, with the detail `template.format(*args)` (or `template(*args)` for a
        function), formatted only when read."""
        self.records.append((layer, action, rule, (template, args)))

    def freeze(self) -> tuple[Decision, ...]:
        return decisions_of(self.records)
