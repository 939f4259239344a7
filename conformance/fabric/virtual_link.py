"""A tester link with no network under it: frames go straight into an in-process reference
stack (through an :class:`~conformance.dut.stack_driver.InlineDriver`) and its answers come back.
Same interface as :class:`~conformance.fabric.link.TesterLink`, so suites run unchanged."""

from __future__ import annotations

import time

from conformance.dut.stack_driver import InlineDriver
from conformance.fabric.link import MIN_FRAME, TesterLink
from conformance.fabric.pcap import Recorder


class VirtualLink(TesterLink):
    def __init__(self, driver: InlineDriver, recorder: Recorder | None = None) -> None:
        self.driver = driver
        self.ifname = "virtual"
        self.recorder = recorder
        self.pending = []
        self.waited_s = 0.0
        self._quiet_at = None  # (no quiescence window: the in-process stack answers at once)

    def discard_stale(self) -> None:
        self.driver.outbox.clear()
        self.driver.outbox_t.clear()

    def send(self, frame: bytes) -> None:
        if len(frame) < MIN_FRAME:
            frame = frame + bytes(MIN_FRAME - len(frame))
        if self.recorder is not None:
            self.recorder.add("out", frame)
        self.driver.deliver(frame)

    def _recv_nowait(self) -> bytes | None:
        self.driver.service_timers()
        if not self.driver.outbox:
            return None
        frame = self.driver.outbox.pop(0)
        emitted = self.driver.outbox_t.pop(0)
        if self.recorder is not None:
            self.recorder.add("in", frame, emitted)  # (when the stack sent it, not now)
        return frame

    def _block(self, timeout: float) -> None:
        time.sleep(self.driver.sleep_hint(min(timeout, 0.01)))

    def read_promptly(self) -> None:
        """Nothing to do: no kernel socket holds the stack's frames."""

    def fileno(self) -> int:
        raise OSError("a virtual link has no file descriptor")
