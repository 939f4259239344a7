"""The tester link: a persistent AF_PACKET socket on the tester's end of the test veth.

Byte-level and fast: frames go out as prebuilt bytes, frames come in as bytes and are matched
with plain predicates (``Callable[[bytes], bool]``). Outgoing frames are not read back
(PACKET_IGNORE_OUTGOING). Frames come in through a receive ring (conformance.fabric.packet_ring)
that copies each one as it arrives, so a frame the harness has not read yet never holds the
target's copy of it (which would change Linux's retransmissions). Every frame sent and
received goes to the link's recorder, which becomes the test's pcap.

"Expect nothing" (principle 6): for a target that replies synchronously, send the packet, then
a barrier probe (an ICMP echo request); the target processes frames in order, so when the
probe's reply arrives any reply to the packet has arrived too. For a target that does not
guarantee that, wait for a bounded quiescence window instead.
"""

from __future__ import annotations

import queue
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from conformance.fabric import netns
from conformance.fabric.packet_ring import SOL_PACKET, PacketRing
from conformance.fabric.pcap import Recorder

ETH_P_ALL = 0x0003
PACKET_IGNORE_OUTGOING = 23
MIN_FRAME = 60  # Ethernet minimum without FCS; the veth does not pad for us
READER_POLL_S = 0.05  # how often read_promptly's thread looks whether the link closed

Predicate = Callable[[bytes], bool]


class LinkTimeout(TimeoutError):
    """Nothing matching arrived before the deadline."""


@dataclass(frozen=True)
class Barrier:
    """A probe frame and a predicate recognising its reply."""

    probe: bytes
    is_reply: Predicate


def open_packet_socket(netns_name: str) -> PacketRing:
    """One AF_PACKET socket for all test links of a worker, in the tester namespace, with its
    receive ring.

    It is bound to every interface there and frames are told apart by interface, because
    opening and closing a packet socket per test costs a synchronize_net() (10-20 ms) each.
    """
    with netns.entered(netns_name):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        return PacketRing(sock)
    except OSError:
        sock.close()
        raise


class TesterLink:
    """The tester's end of one test link: frames out on ``ifname``, frames in from it only."""

    # read_promptly(): a thread moves this link's frames from the socket to the inbox
    _inbox: queue.SimpleQueue[tuple[bytes, float | None]] | None = None
    _reader: threading.Thread | None = None

    def __init__(self, sock: PacketRing, ifname: str, recorder: Recorder | None = None) -> None:
        self.sock = sock
        self.ifname = ifname
        self.ifindex = sock.ifindex_of(ifname)
        self.address = (ifname, ETH_P_ALL)
        self.recorder = recorder
        self.pending: list[bytes] = []  # received but not yet consumed by an expectation
        self.waited_s = 0.0  # time blocked for frames (deadlines, sleeps): the test's waiting

        # time.time() when a quiescence window last passed (or the link was made) with nothing
        # sent or received since (None: something was): see quiet_since()
        self._quiet_at: float | None = time.time()
        self._stop_reading = threading.Event()
        self.discard_stale()

    def discard_stale(self) -> None:
        """Forget frames queued before this link existed or from other interfaces."""
        while self.sock.recv() is not None:
            pass

    def close(self) -> None:
        """The socket is shared by the worker's links and outlives this one."""
        if self._reader is not None:
            self._stop_reading.set()
            self._reader.join()
            self._reader = None
        self.pending = []

    def read_promptly(self) -> None:
        """From now until close(), a thread reads the ring as frames arrive, and the link
        takes its frames from what the thread read, in order (the recording's times are the
        kernel's either way; the ring alone keeps an unread frame from holding the target's
        copy of it)."""
        if self._reader is not None:
            return
        self._inbox = queue.SimpleQueue()
        self._stop_reading.clear()
        self._reader = threading.Thread(target=self._read_loop, name=f"link-{self.ifname}",
                                        daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        inbox = self._inbox
        assert inbox is not None
        while not self._stop_reading.is_set():
            if not select.select([self.sock], [], [], READER_POLL_S)[0]:
                continue
            while (got := self._recv_from_socket()) is not None:
                inbox.put(got)

    def fileno(self) -> int:
        return self.sock.fileno()

    # -- sending ------------------------------------------------------------------------
    def send(self, frame: bytes) -> None:
        if len(frame) < MIN_FRAME:
            frame = frame + bytes(MIN_FRAME - len(frame))
        t = time.time()  # before: the target answers within sendto (the veth is synchronous)
        self._quiet_at = None
        self.sock.sendto(frame, self.address)
        if self.recorder is not None:
            self.recorder.add("out", frame, t)

    # -- receiving ----------------------------------------------------------------------
    def _recv_from_socket(self) -> tuple[bytes, float | None] | None:
        """The next frame of this link's interface in the ring, without waiting, with the
        kernel's receive time of it (None: unknown); other interfaces' frames are dropped."""
        while (got := self.sock.recv()) is not None:
            frame, ifindex, arrival = got
            if ifindex == self.ifindex:
                return frame, arrival
        return None

    def _recv_nowait(self) -> bytes | None:
        got: tuple[bytes, float | None] | None
        if self._inbox is not None:
            try:
                got = self._inbox.get_nowait()
            except queue.Empty:
                got = None
        else:
            got = self._recv_from_socket()
        if got is None:
            return None
        frame, arrival = got
        self._quiet_at = None
        if self.recorder is not None:
            self.recorder.add("in", frame, arrival)
        return frame

    def _wait(self, timeout: float) -> None:
        """Block until a frame may be there, or ``timeout`` seconds pass."""
        t0 = time.perf_counter()
        try:
            self._block(timeout)
        finally:
            self.waited_s += time.perf_counter() - t0

    def _block(self, timeout: float) -> None:
        if self._inbox is None:
            select.select([self.sock], [], [], timeout)
            return
        try:
            frame, arrival = self._inbox.get(timeout=timeout)
        except queue.Empty:
            return
        self._quiet_at = None
        if self.recorder is not None:
            self.recorder.add("in", frame, arrival)
        self.pending.insert(0, frame)  # the next frame recv() returns

    def recv(self, deadline: float) -> bytes | None:
        """The next frame (pending ones first), or None once ``deadline`` (monotonic) passes."""
        if self.pending:
            return self.pending.pop(0)
        frame = self._recv_nowait()
        while frame is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._wait(remaining)
            if self.pending:
                return self.pending.pop(0)
            frame = self._recv_nowait()
        return frame

    def expect(self, predicate: Predicate, timeout: float) -> tuple[bytes | None, list[bytes]]:
        """Wait for a frame matching ``predicate``; returns (match or None, frames passed over).

        Frames passed over are kept as pending for later expectations too.
        """
        deadline = time.monotonic() + timeout
        skipped: list[bytes] = []
        pending, self.pending = self.pending, []
        for i, frame in enumerate(pending):
            if predicate(frame):
                self.pending = skipped + pending[i + 1 :]
                return frame, list(skipped)
            skipped.append(frame)
        while True:
            frame = self.recv(deadline)
            if frame is None:
                self.pending = skipped
                return None, list(skipped)
            if predicate(frame):
                self.pending = skipped
                return frame, list(skipped)
            skipped.append(frame)

    def drain(self) -> list[bytes]:
        """Everything already received and not consumed, without waiting."""
        frames, self.pending = self.pending, []
        frame = self._recv_nowait()
        while frame is not None:
            frames.append(frame)
            frame = self._recv_nowait()
        return frames

    def unread(self, frames: list[bytes]) -> None:
        """Put ``frames`` (taken by :meth:`drain`) back, first in line for what reads next."""
        self.pending[:0] = frames

    def _await_reply(self, barrier: Barrier, timeout: float) -> tuple[bytes | None, list[bytes]]:
        """The probe's reply (None after ``timeout``) and the frames that came before it (a
        target whose process can end says so here sooner: conformance.targets.lwip)."""
        return self.expect(barrier.is_reply, timeout)

    def barrier(self, barrier: Barrier, timeout: float = 5.0) -> list[bytes]:
        """Send the probe; return every frame that arrived before its reply."""
        self.send(barrier.probe)
        reply, before = self._await_reply(barrier, timeout)
        if reply is None:
            raise LinkTimeout(
                f"barrier probe unanswered within {timeout:g} s: the target did not answer "
                "it, so 'expect nothing' cannot be decided"
            )
        if self.recorder is not None:
            self.recorder.mark_barrier(reply)
        self.pending = []
        return before

    def trailed_barrier(self, barrier: Barrier, grace: float, timeout: float = 5.0
                        ) -> list[bytes]:
        """Send the probe; return every frame that arrived before its reply or after it until
        none has for ``grace`` seconds (a target some of whose answers may trail the probe's:
        Capabilities.barrier_grace_s). No barrier is marked on the recording: a trailing
        answer may come after the probe's reply."""
        self.send(barrier.probe)
        reply, before = self.expect(barrier.is_reply, timeout)
        if reply is None:
            raise LinkTimeout(
                f"barrier probe unanswered within {timeout:g} s: the target did not answer "
                "it, so 'expect nothing' cannot be decided"
            )
        self.pending = before
        return self.quiesce(grace)

    def watch(self, seconds: float) -> None:
        """Wait ``seconds``, reading what arrives meanwhile (kept pending for later
        expectations), so the recording has each frame at its arrival, not after the wait."""
        deadline = time.monotonic() + seconds
        pending, self.pending = self.pending, []
        while (frame := self.recv(deadline)) is not None:
            pending.append(frame)
        self.pending = pending

    def quiesce(self, window: float) -> list[bytes]:
        """Collect frames until none has arrived for ``window`` seconds (bounded at 10 windows)."""
        frames = self.drain()
        hard_deadline = time.monotonic() + 10 * window
        while True:
            frame = self.recv(min(time.monotonic() + window, hard_deadline))
            if frame is None:
                self._quiet_at = time.time()
                return frames
            frames.append(frame)

    def quiet_since(self) -> float | None:
        """When (time.time()) the last quiescence window ended, or the link was made, if
        nothing was sent or received on it since, whatever is now waiting in the socket aside;
        else None."""
        return self._quiet_at
