"""The kernel log (``/dev/kmsg``): records appended since a reader opened it, and the alarming
ones among them (a ``WARNING``, ``BUG``, oops, KASAN or UBSAN report): the fuzzers' liveness
check on the host kernel and the ``vm`` target's agent inside the VM read it this way."""

from __future__ import annotations

import errno
import os
import re

KMSG = "/dev/kmsg"
ALARMING = re.compile(r"WARNING:|BUG:|KASAN|UBSAN|Oops|general protection|Kernel panic|"
                      r"list_del corruption|refcount_t:|kernel BUG")


class KernelLog:
    """Reads kernel log records appended after it was opened (None-safe when unreadable)."""

    def __init__(self, path: str = KMSG) -> None:
        try:
            self.fd: int | None = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.lseek(self.fd, 0, os.SEEK_END)
        except OSError:
            self.fd = None

    @property
    def available(self) -> bool:
        return self.fd is not None

    def new_problems(self) -> list[str]:
        """Alarming lines logged since the last call."""
        if self.fd is None:
            return []
        out = []
        while True:
            try:
                record = os.read(self.fd, 8192)
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # overwritten before we read it: go on
                    continue
                break
            if not record:
                break
            text = record.decode(errors="replace").split(";", 1)[-1].strip()
            if ALARMING.search(text):
                out.append(text)
        return out

    def boot_lines(self, pattern: str) -> list[str]:
        """The records logged since boot that match ``pattern`` (a fresh reader from the
        start of the log; this reader's position is left alone)."""
        found = []
        try:
            fd = os.open(KMSG, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return found
        try:
            while True:
                try:
                    record = os.read(fd, 8192)
                except OSError as exc:
                    if exc.errno == errno.EPIPE:
                        continue
                    break
                if not record:
                    break
                text = record.decode(errors="replace").split(";", 1)[-1].strip()
                if re.search(pattern, text):
                    found.append(text)
        finally:
            os.close(fd)
        return found

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
