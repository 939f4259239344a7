"""Kernel drop reasons from the ``skb:kfree_skb`` tracepoint, attributed to one test.

A private ftrace instance per worker (``/sys/kernel/tracing/instances/nc-<run>-<w>-k``) records
``kfree_skb`` events filtered on ``common_pid`` = this worker's PID. A frame the tester sends on
a veth is received by the DUT namespace in softirq context, which the kernel normally runs in the
sending thread as the send system call returns; a drop on that path therefore carries the
sender's PID, and drops caused by other workers' frames (or other processes) are filtered out.

Limits (documented, not hidden): a drop that happens later, from a timer or in ``ksoftirqd``
when the softirq is deferred under load, carries another PID and is not attributed; events
recorded between two tests go to the next test's window. Under ``-n 2`` each worker has its own
instance and PID filter, so workers do not see each other's drops.
"""

from __future__ import annotations

import os
import re
from collections import Counter

TRACEFS = "/sys/kernel/tracing"
EVENT = "events/skb/kfree_skb"
LINE_RE = re.compile(r"location=(?P<loc>\S+).*?reason: (?P<reason>\w+)")
# NOT_SPECIFIED: frees that are not drops of interest; BRIDGE_INGRESS_STP_STATE: the tester's
# own sink for frames the DUT sends (see conformance.fabric.namespaces.attach_to_sink).
IGNORED_REASONS = {"NOT_SPECIFIED", "BRIDGE_INGRESS_STP_STATE"}


def ensure_tracefs() -> str | None:
    """Mount tracefs if needed; return why drop reasons are unavailable, or None if they are."""
    if not os.path.isdir(os.path.join(TRACEFS, "events")):
        os.makedirs(TRACEFS, exist_ok=True)
        os.system(f"mount -t tracefs nodev {TRACEFS} >/dev/null 2>&1")
    if not os.path.isdir(os.path.join(TRACEFS, EVENT)):
        return "tracefs or the skb:kfree_skb tracepoint is not available"
    return None


class DropMonitor:
    def __init__(self, instance_name: str, pid: int | None = None,
                 all_pids: bool = False) -> None:
        """``all_pids``: no PID filter, for a kernel that carries only the harness's traffic
        (the ``vm`` target's, where frames arrive in softirq context of whatever task runs)."""
        self.unavailable = ensure_tracefs()
        self.path = os.path.join(TRACEFS, "instances", instance_name)
        self.pid = os.getpid() if pid is None else pid
        self.pipe = -1
        if self.unavailable:
            return
        try:
            os.makedirs(self.path, exist_ok=True)
            self._write(f"{EVENT}/filter", "0" if all_pids else f"common_pid == {self.pid}")
            self._write(f"{EVENT}/enable", "1")
            self._write("buffer_size_kb", "512")
            # Reading trace_pipe consumes events: no need to reset the buffer between tests
            # (writing to ``trace`` to reset it takes ~25 ms, reading the pipe ~0.1 ms).
            self.pipe = os.open(os.path.join(self.path, "trace_pipe"),
                                os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            self.clear()
        except OSError as exc:
            self.unavailable = f"cannot set up ftrace instance: {exc.strerror}"

    def _write(self, rel: str, value: str) -> None:
        with open(os.path.join(self.path, rel), "w") as f:
            f.write(value)

    def _read_pending(self) -> str:
        chunks = []
        while True:
            try:
                chunk = os.read(self.pipe, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def clear(self) -> None:
        """Forget the events recorded so far."""
        if not self.unavailable:
            self._read_pending()

    def collect(self) -> list[dict[str, object]]:
        """Drop reasons since the last collect/clear: [{reason, location, count}, ...]."""
        if self.unavailable:
            return []
        return summarize(self._read_pending())

    def close(self) -> None:
        if self.unavailable:
            return
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -1
        try:
            self._write(f"{EVENT}/enable", "0")
            os.rmdir(self.path)
        except OSError:
            pass


def summarize(trace_text: str) -> list[dict[str, object]]:
    counts: Counter[tuple[str, str]] = Counter()
    for line in trace_text.splitlines():
        if line.startswith("#"):
            continue
        m = LINE_RE.search(line)
        if m and m.group("reason") not in IGNORED_REASONS:
            location = m.group("loc").split("+", 1)[0]
            counts[(m.group("reason"), location)] += 1
    return _rows(counts)


def merge_drop_counts(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Add up rows of the same (reason, location)."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        counts[(str(row["reason"]), str(row["location"]))] += int(row["count"])  # type: ignore[arg-type]
    return _rows(counts)


def _rows(counts: Counter[tuple[str, str]]) -> list[dict[str, object]]:
    return [
        {"reason": reason, "location": loc, "count": n}
        for (reason, loc), n in sorted(counts.items())
    ]
