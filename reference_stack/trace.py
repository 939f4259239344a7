"""Decision records: the oracle's account of why it did what it did (DESIGN principle 2).

Every frame handed to the stack yields a tuple of `Decision`s, one per decision taken on the way
through the layers (ethernet -> arp | ipv4 -> icmp | udp | tcp -> socket). A decision names the
requirement it applied as `RFC<number>-<section>-<LEVEL>-<slug>`, e.g.
`RFC9293-3.10.7.4-MUST-first-check`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Actions a decision can record.
ACCEPT = "accept"  # the layer accepted the input and passed it on
DROP = "drop"  # the input was silently discarded
REPLY = "reply"  # the layer produced an output frame
STATE = "state"  # a protocol state changed (TCP state, ARP cache, reassembly buffer)
DELIVER = "deliver"  # data or an event reached a socket
EVENT = "event"  # a peer's violation or notable condition, reported to the user


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision of one layer, citing the requirement it applied."""

    layer: str
    action: str
    rule: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"layer": self.layer, "action": self.action, "rule": self.rule,
                "detail": self.detail}

    def __str__(self) -> str:
        tail = f" ({self.detail})" if self.detail else ""
        return f"{self.layer}: {self.action} [{self.rule}]{tail}"


class Trace:
    """An append-only collector of decisions for one entry-point call (not shared between calls)."""

    __slots__ = ("decisions",)

    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def add(self, layer: str, action: str, rule: str, detail: str = "") -> None:
        self.decisions.append(Decision(layer, action, rule, detail))

    def freeze(self) -> tuple[Decision, ...]:
        return tuple(self.decisions)
