"""The end-of-test settle (Exchange.settle_trailing) on a target read by quiescence windows: a
window that passed after the last DUT call with nothing sent or received since already heard
every answer (and a test that sent and called nothing asked for none), so the test ends
without another window; anything sent, received or called since, and a full window is waited
out again."""

from __future__ import annotations

import time
from types import SimpleNamespace

from conformance.author.exchange import Exchange
from conformance.fabric import link as link_module
from conformance.fabric.naming import WorkerPlan
from conformance.targets.base import Capabilities
from conformance.targets.namespaced import endpoints_of
from tests.unit.conformance.fake_ring import FakeRing

WINDOW = 0.05
FRAME = bytes(60)


def _exchange() -> tuple[Exchange, FakeRing]:
    ring = FakeRing()
    link = link_module.TesterLink(ring, "nc-test")  # type: ignore[arg-type]
    caps = Capabilities(replies_synchronously=False, quiescence_window_s=WINDOW)
    bed = SimpleNamespace(link=link, capabilities=caps,
                          endpoints=endpoints_of(WorkerPlan("beef", 1)))
    return Exchange(bed), ring  # type: ignore[arg-type]


def _timed(ex: Exchange, calls=()) -> float:
    t0 = time.monotonic()
    ex.settle_trailing(calls)
    return time.monotonic() - t0


def test_a_quiet_link_after_a_window_ends_without_another():
    ex, _ = _exchange()
    ex.settle()
    assert ex.link.quiet_since() is not None
    assert _timed(ex) < WINDOW / 2


def test_anything_sent_received_or_called_since_waits_a_window_again():
    ex, ring = _exchange()
    ex.settle()
    ex.send_bytes(FRAME)
    assert ex.link.quiet_since() is None
    assert _timed(ex) >= WINDOW
    ring.frames.append((FRAME, 1, time.time()))  # arrived after the last window
    assert _timed(ex) >= WINDOW
    ex.settle()
    later_call = SimpleNamespace(t=time.time() + 1)
    assert _timed(ex, [later_call]) >= WINDOW


def test_a_test_that_sent_and_called_nothing_ends_without_a_window():
    ex, _ = _exchange()
    assert ex.link.quiet_since() is not None
    assert _timed(ex) < WINDOW / 2
    assert _timed(ex, [SimpleNamespace(t=time.time() + 1)]) >= WINDOW  # a DUT call since
