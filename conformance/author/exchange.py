"""The exchange API test authors use: send partial templates, expect replies, expect nothing.

::

    def test_echo(ex):
        ex.send(IPv4(), ICMPv4(type=8, rest=0x12340001), Payload(b"ping"))
        reply = ex.expect(ICMPv4(type=0, rest=0x12340001), Payload(b"ping"))

A failed expectation lists every frame that arrived meanwhile (the near misses), closest first,
with a field-level diff against the template; the diff also goes into results.json.
"""

from __future__ import annotations

import itertools
from typing import Any, NoReturn

from conformance.author import barriers, templates
from conformance.author.background import is_background
from conformance.author.barriers import BARRIER_IDENT, echo_reply_predicate
from conformance.author.family import IPV4, Family
from conformance.author.templates import Layer
from conformance.targets.base import TestBed
from reference_stack.wire.frame import Dissected, dissect

# Generous: expect() returns as soon as the frame arrives, so this only bounds a failure,
# and a loaded 2-core CI machine can delay softirq processing noticeably.
DEFAULT_TIMEOUT = 3.0
__all__ = ["BARRIER_IDENT", "Exchange", "ExpectationFailed", "echo_reply_predicate",
           "is_background"]


class ExpectationFailed(AssertionError):
    """The target did not do what the test expected (fails the test with the near misses)."""




class Exchange:
    def __init__(self, bed: TestBed) -> None:
        self.bed = bed
        self.link = bed.link
        self.defaults = templates.link_defaults(bed.endpoints)
        self._barrier_seq = itertools.count(1)
        self.near_misses: list[dict[str, str]] = []
        # The address family of the test (conformance/author/family.py): a test run per
        # family gets its own; every other test is IPv4.
        self.family: Family = IPV4

    # -- sending ------------------------------------------------------------------------
    def build(self, *layers: Layer) -> bytes:
        return templates.build(layers, self.defaults)

    def send(self, *layers: Layer) -> bytes:
        """Build the template with defaults and send it; returns the bytes sent."""
        frame = self.build(*layers)
        self.link.send(frame)
        return frame

    def send_bytes(self, frame: bytes) -> None:
        self.link.send(frame)

    # -- expecting ----------------------------------------------------------------------
    def expect(self, *layers: Layer, timeout: float = DEFAULT_TIMEOUT,
               immediate: bool = False) -> Dissected:
        """The first frame matching the template within ``timeout``; fails the test otherwise.

        ``immediate``: the frame answers what the test just sent, at once (no timer of the
        target's in between). A target that replies synchronously then decides it with a
        barrier (principle 6: once the probe's reply is in, any answer to the packet sent
        before it is in too), so an answer that is not coming fails the test when the probe's
        reply arrives, not after ``timeout``; elsewhere ``timeout`` bounds the wait as usual."""
        if immediate and self._settles_with_barrier():
            return self._expect_before_barrier(layers)
        frame, passed_over = self.link.expect(lambda f: templates.matches(layers, f), timeout)
        if frame is None:
            self._fail(f"expected {self._describe(layers)} within {timeout:g} s", layers,
                       passed_over)
        return dissect(frame)

    def _expect_before_barrier(self, layers: tuple[Layer, ...]) -> Dissected:
        """The first frame matching ``layers`` among those the target sent before a barrier
        probe's reply; the others stay pending for later expectations, as ``expect`` keeps
        the frames it passes over."""
        frames = self.settle()
        for i, frame in enumerate(frames):
            if templates.matches(layers, frame):
                self.link.pending = frames[:i] + frames[i + 1:]
                return dissect(frame)
        self.link.pending = list(frames)
        self._fail(f"expected {self._describe(layers)} at once (before the barrier probe's "
                   "reply)", layers, frames)

    def expect_nothing(self, *layers: Layer) -> None:
        """Fail if the target sends anything (or anything matching ``layers``) in response.

        Uses a barrier probe for targets that reply synchronously, else a quiescence window.
        """
        frames = [f for f in self.settle() if not is_background(f)]
        if layers:
            frames = [f for f in frames if templates.matches(layers, f)]
        if frames:
            what = self._describe(layers) if layers else "no reply"
            lines = [f"expected {what}, but the target sent {len(frames)} frame(s):"]
            lines += [f"  {dissect(f).summary()}" for f in frames]
            raise ExpectationFailed("\n".join(lines))

    def settle(self) -> list[bytes]:
        """Read everything the target has sent so far (it goes into the recording), without
        judging it: a barrier for synchronous targets, a barrier and its grace window for a
        target whose answers may trail the barrier's (Capabilities.barrier_grace_s), else a
        quiescence window."""
        caps = self.bed.capabilities
        if not self._settles_with_barrier():
            return self.link.quiesce(caps.quiescence_window_s)
        probe = barriers.probe(caps.barrier, self.defaults, next(self._barrier_seq))
        if caps.replies_synchronously:
            return self.link.barrier(probe)
        assert caps.barrier_grace_s is not None
        return self.link.trailed_barrier(probe, caps.barrier_grace_s)

    def _settles_with_barrier(self) -> bool:
        caps = self.bed.capabilities
        return caps.replies_synchronously or (caps.barrier_grace_s is not None
                                              and caps.barrier is not None)

    def settle_trailing(self, calls: list | tuple = ()) -> list[bytes]:
        """At the end of a test, what the target still has to say. A quiescence window that
        ended after the last DUT call (``calls``: the recorded DutCalls) with nothing sent or
        received on the link since already heard every answer to the test, and a test that
        sent nothing and called nothing (one skipped in its body) asked for none: what is
        waiting now is taken without another window (the oracle's replay ends at the last
        recorded event either way, conformance.judge.timeline.replay)."""
        quiet = self.link.quiet_since()
        if (quiet is not None and not self.bed.capabilities.replies_synchronously
                and all(c.t < quiet for c in calls)):
            frames = self.link.drain()
            if not frames:
                return frames
        return self.settle()

    # -- failure reporting --------------------------------------------------------------
    @staticmethod
    def _describe(layers: tuple[Layer, ...]) -> str:
        return " / ".join(repr(layer) for layer in layers) or "any frame"

    def _fail(self, headline: str, layers: tuple[Layer, ...], frames: list[bytes]) -> NoReturn:
        candidates = [f for f in frames if not is_background(f)]
        scored = sorted(
            ((templates.diff(layers, f), f) for f in candidates), key=lambda pair: len(pair[0])
        )
        lines = [headline + ";"]
        if not scored:
            lines.append("nothing arrived" + (" but background traffic" if frames else ""))
        for i, (diffs, frame) in enumerate(scored, 1):
            lines.append(f"near miss {i}: {dissect(frame).summary()}")
            for d in diffs:
                lines.append(f"    {d.field}: expected {d.expected}, got {d.actual}")
                self.near_misses.append({"frame": f"near miss {i}", **d.to_dict()})
        raise ExpectationFailed("\n".join(lines))

    def record(self) -> dict[str, Any]:
        """JSON-safe per-test data for results.json."""
        return {"diff": self.near_misses} if self.near_misses else {}

    # -- conveniences -------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """An explicit, documented wait (timer-driven behaviour only); frames the target sends
        meanwhile are recorded as they arrive and stay there for later expectations."""
        self.link.watch(seconds)

    def tcp(self, dut_port: int, **kwargs: Any) -> Any:
        from conformance.author.tcp_connection import TcpConnection

        return TcpConnection(self, dut_port=dut_port, **kwargs)
