"""The anti-replay window (RFC 4303 3.4.3), with Extended Sequence Numbers (RFC 4303 2.2.1,
Appendix A2): a received packet's sequence number is checked before its ICV and the window
updated only after the ICV verified (3.4.3: "the receive window is updated only if the
integrity verification succeeds")."""

from __future__ import annotations

SEQ_LOW = 1 << 32

OK, ZERO, REPLAYED, TOO_OLD = "ok", "zero", "replayed", "too-old"


class ReplayWindow:
    """`size` packets wide (0: no anti-replay, RFC 4303 3.4.3 lets a receiver disable it);
    `top` is the highest sequence number authenticated so far (64 bits with ESN)."""

    __slots__ = ("size", "esn", "top", "bits")

    def __init__(self, size: int, esn: bool) -> None:
        self.size = size
        self.esn = esn
        self.top = 0
        self.bits = 0  # bit i: top - i was received

    def infer(self, seq_low: int) -> int:
        """The full sequence number of a received low half (RFC 4303 Appendix A2.2): the high
        half that puts it in or above the window; without ESN, the low half itself."""
        if not self.esn:
            return seq_low
        size = max(self.size, 1)
        top_low, top_high = self.top % SEQ_LOW, self.top >> 32
        bottom = (top_low - size + 1) % SEQ_LOW
        if top_low >= size - 1:  # Case A: the window lies in one subspace
            high = top_high if seq_low >= bottom else top_high + 1
        else:  # Case B: the window spans two subspaces
            high = top_high - 1 if seq_low >= bottom else top_high
        # (Case B's Th - 1 with Th = 0 is 2^32 - 1: the high half is 32 bits, and an honest
        # sender's ICV then fails, as Linux's xfrm_replay_seqhi: seq_hi-- on a u32)
        return (high & 0xFFFFFFFF) << 32 | seq_low

    def check(self, seq: int) -> str:
        """RFC 4303 3.4.3: new (right of the window), in the window and not seen, or not."""
        if seq == 0:
            return ZERO  # the first packet sent has 1 (3.3.3): 0 was never sent
        if seq > self.top:
            return OK
        if not self.size:
            return OK
        offset = self.top - seq
        if offset >= self.size:
            return TOO_OLD
        return REPLAYED if self.bits >> offset & 1 else OK

    def update(self, seq: int) -> None:
        if seq > self.top:
            shift = seq - self.top
            # (a jump past the window leaves only `seq` in it: no shift of 2^63 bits)
            bits = self.bits << shift if shift < self.size else 0
            self.bits = (bits | 1) & ((1 << max(self.size, 1)) - 1)
            self.top = seq
        else:
            self.bits |= 1 << (self.top - seq)
