"""Exchange.expect(..., immediate=True): an answer that comes at once or not at all. On a target
that replies synchronously a barrier decides it (the answer is among the frames before the
probe's reply, or it is not coming), so a missing answer fails the test without waiting out the
timeout; the frames passed over stay pending. A target read by quiescence windows waits for
the timeout as before."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conformance.author.exchange import Exchange, ExpectationFailed
from conformance.author.templates import ICMPv4, Payload, build, link_defaults
from conformance.fabric.naming import WorkerPlan
from conformance.targets.base import Capabilities
from conformance.targets.namespaced import endpoints_of

ENDPOINTS = endpoints_of(WorkerPlan("beef", 1))
DEFAULTS = link_defaults(ENDPOINTS)
REPLY = build((ICMPv4(type=0, rest=0x12340001), Payload(b"ping")), DEFAULTS)
OTHER = build((ICMPv4(type=0, rest=0x12340002), Payload(b"other")), DEFAULTS)
WANTED = (ICMPv4(type=0, rest=0x12340001), Payload(b"ping"))


class FakeLink:
    """Frames the target sent before a barrier probe's reply; records what was asked."""

    def __init__(self, before: list[bytes]) -> None:
        self.before = before
        self.pending: list[bytes] = []
        self.barriers = 0
        self.waited: float | None = None

    def barrier(self, probe, timeout: float = 5.0) -> list[bytes]:
        self.barriers += 1
        return list(self.before)

    def expect(self, predicate, timeout: float):
        self.waited = timeout
        return None, []


def _exchange(before: list[bytes], synchronous: bool = True) -> tuple[Exchange, FakeLink]:
    link = FakeLink(before)
    bed = SimpleNamespace(link=link, endpoints=ENDPOINTS,
                          capabilities=Capabilities(replies_synchronously=synchronous))
    return Exchange(bed), link  # type: ignore[arg-type]


def test_an_answer_before_the_barrier_is_returned_and_the_rest_stays_pending():
    ex, link = _exchange([OTHER, REPLY])
    got = ex.expect(*WANTED, timeout=3.0, immediate=True)
    assert got.icmpv4 is not None and got.icmpv4.rest == 0x12340001
    assert link.barriers == 1 and link.waited is None and link.pending == [OTHER]


def test_no_answer_before_the_barrier_fails_at_once():
    ex, link = _exchange([OTHER])
    with pytest.raises(ExpectationFailed, match="at once"):
        ex.expect(*WANTED, timeout=3.0, immediate=True)
    assert link.waited is None and link.pending == [OTHER]  # no timeout waited out


def test_a_target_read_by_quiescence_waits_for_the_timeout():
    ex, link = _exchange([REPLY], synchronous=False)
    with pytest.raises(ExpectationFailed, match="within 3 s"):
        ex.expect(*WANTED, timeout=3.0, immediate=True)
    assert link.barriers == 0 and link.waited == 3.0
