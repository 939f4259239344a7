"""Drivers that run the sans-IO reference stack as a target: they own its clock, feed it frames
and timers, send what it emits, and serialise socket calls with frame processing.

- :class:`LiveDriver`: a thread on an AF_PACKET socket in the DUT namespace; the stack answers
  on a real veth exactly as a kernel would. Frames are handled one at a time in arrival order,
  so a barrier probe is answered after every earlier frame: replies are synchronous.
- :class:`InlineDriver`: no thread, no namespace: frames are handled when the tester sends
  them (see :class:`conformance.fabric.virtual_link.VirtualLink`), timers when anyone waits.

Both keep every decision record the stack makes, for the test's evidence.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from conformance.fabric.threads import start_daemon
from reference_stack.stack import CallResult, Reaction, ReferenceStack

MIN_FRAME = 60
IDLE_TICK = 0.05
MAX_TRACE = 5000


class _DriverBase:
    def __init__(self, stack: ReferenceStack) -> None:
        self.stack = stack
        self.t0 = time.monotonic()
        self.decisions: list[dict[str, str]] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def _keep(self, reaction: Reaction) -> None:
        if len(self.decisions) < MAX_TRACE:
            for d in reaction.trace:
                self.decisions.append({"layer": d.layer, "decision": d.action, "rule": d.rule,
                                       "detail": d.detail})

    def _timers_due(self) -> bool:
        due = self.stack.poll_at()
        return due is not None and due <= self.now()

    def take_decisions(self) -> list[dict[str, str]]:
        out, self.decisions = self.decisions, []
        return out


class LiveDriver(_DriverBase):
    def __init__(self, stack: ReferenceStack, sock: socket.socket) -> None:
        super().__init__(stack)
        self.sock = sock
        self.cond = threading.Condition()
        self._stop = threading.Event()
        self.thread = start_daemon(self._run, "nc-reference")

    def _emit(self, reaction: Reaction) -> None:
        self._keep(reaction)
        for frame in reaction.frames:
            if len(frame) < MIN_FRAME:
                frame += bytes(MIN_FRAME - len(frame))
            self.sock.send(frame)

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self.stack.poll_at()
            timeout = IDLE_TICK if due is None else max(0.0, min(IDLE_TICK, due - self.now()))
            readable, _, _ = select.select([self.sock], [], [], timeout)
            with self.cond:
                while readable:
                    try:
                        frame = self.sock.recv(65536, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        break
                    except OSError:
                        return  # socket closed by stop()
                    self._emit(self.stack.receive(frame, self.now()))
                if self._timers_due():
                    self._emit(self.stack.poll(self.now()))
                self.cond.notify_all()

    def call(self, fn: Callable[[float], CallResult]) -> CallResult:
        with self.cond:
            result = fn(self.now())
            self._emit(result.reaction)
            return result

    def wait_until(self, ready: Callable[[], Any], timeout: float) -> bool:
        with self.cond:
            return bool(self.cond.wait_for(ready, timeout))

    def with_stack(self, fn: Callable[[ReferenceStack], None]) -> None:
        with self.cond:
            fn(self.stack)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


class InlineDriver(_DriverBase):
    def __init__(self, stack: ReferenceStack) -> None:
        super().__init__(stack)
        self.outbox: list[bytes] = []
        # when each frame in the outbox was emitted, on the wall clock (time.time(), as the
        # tester's frames): the stack's own time when it made the frame (its TSval, its
        # timers), not when the test's thread read it, nor when the emitting thread got the
        # CPU back (on a loaded machine a frame made at `now` was stamped up to a second late)
        self.outbox_t: list[float] = []
        # (so its clock is the wall clock the recorder stamps the tester's frames with: one
        # clock, read once per event, keeps a reply after the frame it answers)
        self.wall_t0 = time.time()
        # a pending DUT call (DutApi.start) runs in a thread of its own: it and the test's
        # thread, which delivers the tester's frames, take turns on the stack
        self.lock = threading.RLock()

    def now(self) -> float:
        return time.time() - self.wall_t0

    def _emit(self, reaction: Reaction, now: float) -> None:
        self._keep(reaction)
        self.outbox.extend(reaction.frames)
        self.outbox_t.extend([self.wall_t0 + now] * len(reaction.frames))

    def deliver(self, frame: bytes) -> None:
        with self.lock:
            now = self.now()
            self._emit(self.stack.receive(frame, now), now)

    def service_timers(self) -> None:
        with self.lock:
            if self._timers_due():
                now = self.now()
                self._emit(self.stack.poll(now), now)

    def sleep_hint(self, limit: float) -> float:
        due = self.stack.poll_at()
        return limit if due is None else max(0.0, min(limit, due - self.now()))

    def call(self, fn: Callable[[float], CallResult]) -> CallResult:
        with self.lock:
            self.service_timers()
            now = self.now()
            result = fn(now)
            self._emit(result.reaction, now)
            return result

    def with_stack(self, fn: Callable[[ReferenceStack], None]) -> None:
        with self.lock:
            fn(self.stack)

    def wait_until(self, ready: Callable[[], Any], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                self.service_timers()
                if ready():
                    return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(self.sleep_hint(min(remaining, 0.01)))

    def stop(self) -> None:
        self.outbox.clear()
        self.outbox_t.clear()
