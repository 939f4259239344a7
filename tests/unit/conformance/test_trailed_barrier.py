"""The barrier with a grace window (Capabilities.barrier_grace_s, TesterLink.trailed_barrier): a
target that answers the barrier probe at once but some of whose answers may trail its reply
(gVisor's TCP processor goroutines). "Expect nothing" reads what came before the probe's reply
and what trails it until the link is quiet for the grace window; an answer that comes at once
or not at all (expect(..., immediate=True)) is decided there too, without waiting out the
timeout; the probe's reply itself is not among the frames read."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from conformance.author.barriers import BARRIER_IDENT, probe
from conformance.author.exchange import Exchange, ExpectationFailed
from conformance.author.templates import ICMPv4, Payload, build, link_defaults
from conformance.fabric import link as link_module
from conformance.fabric.link import LinkTimeout
from conformance.fabric.naming import WorkerPlan
from conformance.targets.base import Capabilities
from conformance.targets.namespaced import endpoints_of
from tests.unit.conformance.fake_ring import FakeRing

GRACE = 0.05
ENDPOINTS = endpoints_of(WorkerPlan("beef", 1))
DEFAULTS = link_defaults(ENDPOINTS)
BEFORE = build((ICMPv4(type=0, rest=0x12340001), Payload(b"before")), DEFAULTS)
TRAILING = build((ICMPv4(type=0, rest=0x12340002), Payload(b"trailing")), DEFAULTS)
PROBE_REPLY = build((ICMPv4(type=0, rest=BARRIER_IDENT << 16 | 1), Payload(b"x")), DEFAULTS)


def _exchange(frames: list[bytes], grace: float | None = GRACE) -> tuple[Exchange, FakeRing]:
    ring = FakeRing([])
    link = link_module.TesterLink(ring, "nc-test")  # type: ignore[arg-type]
    ring.frames = [(f, 1, time.time()) for f in frames]  # (after the link discarded stale ones)
    caps = Capabilities(replies_synchronously=False, quiescence_window_s=10.0,
                        barrier_grace_s=grace)
    bed = SimpleNamespace(link=link, capabilities=caps, endpoints=ENDPOINTS)
    return Exchange(bed), ring  # type: ignore[arg-type]


def test_settle_reads_before_the_probe_reply_and_what_trails_it_for_the_grace_window():
    ex, ring = _exchange([BEFORE, PROBE_REPLY, TRAILING])
    t0 = time.monotonic()
    assert ex.settle() == [BEFORE, TRAILING]
    waited = time.monotonic() - t0
    assert GRACE <= waited < 10.0 / 2  # the grace window, not the quiescence window
    assert len(ring.sent) == 1 and ring.sent[0][12:14] == b"\x08\x00"  # the echo probe


def test_without_a_grace_the_target_is_read_by_its_quiescence_window():
    ex, ring = _exchange([BEFORE], grace=None)
    ex.bed.capabilities = Capabilities(replies_synchronously=False, quiescence_window_s=GRACE)
    assert ex.settle() == [BEFORE]
    assert ring.sent == []  # no probe


def test_expect_nothing_fails_on_a_trailing_answer():
    ex, _ = _exchange([PROBE_REPLY, TRAILING])
    with pytest.raises(ExpectationFailed, match="sent 1 frame"):
        ex.expect_nothing()


def test_an_immediate_answer_trailing_the_probe_is_found_and_a_missing_one_fails_at_once():
    ex, _ = _exchange([BEFORE, PROBE_REPLY, TRAILING])
    got = ex.expect(ICMPv4(type=0, rest=0x12340002), timeout=3.0, immediate=True)
    assert got.icmpv4 is not None and got.icmpv4.rest == 0x12340002
    assert ex.link.pending == [BEFORE]
    ex, _ = _exchange([BEFORE, PROBE_REPLY])
    t0 = time.monotonic()
    with pytest.raises(ExpectationFailed, match="at once"):
        ex.expect(ICMPv4(type=0, rest=0x12340002), timeout=3.0, immediate=True)
    assert time.monotonic() - t0 < 1.0  # not the 3 s timeout


def test_an_unanswered_probe_cannot_decide():
    ex, _ = _exchange([BEFORE])
    with pytest.raises(LinkTimeout, match="unanswered"):
        ex.link.trailed_barrier(probe("echo", DEFAULTS, 1), GRACE, timeout=0.05)
