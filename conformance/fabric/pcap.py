"""Frames of one test, kept in memory and written as a classic pcap file (LINKTYPE_ETHERNET)."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

PCAP_MAGIC_NS = 0xA1B23C4D  # nanosecond-resolution pcap
LINKTYPE_ETHERNET = 1
SNAPLEN = 262144


@dataclass
class FrameRecord:
    t: float  # wall-clock seconds (time.time())
    direction: str  # "out" (tester -> target) or "in" (target -> tester)
    data: bytes


@dataclass
class Recorder:
    """Collects every frame sent and received on a link during a test."""

    frames: list[FrameRecord] = field(default_factory=list)
    limit: int = 100_000
    # when each barrier probe was answered (the reply's time): the target had answered
    # everything sent before it (conformance.judge.timeline closes the oracle's step there)
    barriers: list[float] = field(default_factory=list)

    def add(self, direction: str, data: bytes, t: float | None = None) -> None:
        if len(self.frames) < self.limit:
            self.frames.append(FrameRecord(time.time() if t is None else t, direction, data))

    def mark_barrier(self, reply: bytes) -> None:
        """The barrier probe's ``reply`` (a frame recorded as it arrived) answered."""
        for record in reversed(self.frames):
            if record.data is reply:
                self.barriers.append(record.t)
                return

    def clear(self) -> None:
        self.frames.clear()
        self.barriers.clear()

    def write_pcap(self, path: str) -> None:
        write_pcap(path, self.frames)


def write_pcap(path: str, frames: list[FrameRecord]) -> None:
    chunks = [struct.pack("<IHHiIII", PCAP_MAGIC_NS, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)]
    for rec in frames:
        sec = int(rec.t)
        nsec = int(round((rec.t - sec) * 1e9))
        if nsec >= 1_000_000_000:
            sec, nsec = sec + 1, nsec - 1_000_000_000
        data = rec.data[:SNAPLEN]
        chunks.append(struct.pack("<IIII", sec, nsec, len(data), len(rec.data)))
        chunks.append(data)
    with open(path, "wb") as f:
        f.write(b"".join(chunks))


class PcapError(ValueError):
    """A file is not a pcap this module can read."""


def read_pcap(path: str) -> list[tuple[float, bytes]]:
    """Read a classic pcap (micro- or nanosecond, either byte order): [(time, frame), ...]."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        raise PcapError(f"{path}: too short for a pcap header")
    for endian in ("<", ">"):
        magic = struct.unpack(endian + "I", blob[:4])[0]
        if magic in (0xA1B2C3D4, PCAP_MAGIC_NS):
            break
    else:
        raise PcapError(f"{path}: not a pcap file (bad magic)")
    scale = 1e-9 if magic == PCAP_MAGIC_NS else 1e-6
    out, off = [], 24
    while off < len(blob):
        if off + 16 > len(blob):
            raise PcapError(f"{path}: truncated record header at byte {off}")
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", blob[off : off + 16])
        off += 16
        if off + caplen > len(blob):
            raise PcapError(f"{path}: truncated frame at byte {off}")
        out.append((sec + frac * scale, blob[off : off + caplen]))
        off += caplen
    return out
