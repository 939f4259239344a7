"""A packet socket stand-in for the link's unit tests (tests of Exchange and TesterLink)."""

from __future__ import annotations

import os
import time


class FakeRing:
    """Frames queued on it (``frames``: (frame, ifindex, time)) arrive on interface 1 in
    order; select() on it never fires (a pipe nobody writes), so a quiescence window or a
    wait runs to its deadline. What the link sends is kept in ``sent``."""

    def __init__(self, frames: list[bytes] = ()) -> None:
        self.frames: list[tuple[bytes, int, float]] = [(f, 1, time.time()) for f in frames]
        self.sent: list[bytes] = []
        self._read, self._write = os.pipe()

    def ifindex_of(self, ifname: str) -> int:
        return 1

    def recv(self):
        return self.frames.pop(0) if self.frames else None

    def sendto(self, frame: bytes, address) -> None:
        self.sent.append(frame)

    def fileno(self) -> int:
        return self._read
