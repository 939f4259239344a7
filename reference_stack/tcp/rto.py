"""Retransmission timeout (RFC 6298) with exponential backoff and Karn's algorithm."""

from __future__ import annotations

CLOCK_GRANULARITY = 0.001  # G in RFC 6298 2: the virtual clock resolves milliseconds
ALPHA = 1 / 8
BETA = 1 / 4
K = 4


class RtoEstimator:
    """SRTT, RTTVAR and RTO of one connection (RFC 6298 2, 5)."""

    __slots__ = ("srtt", "rttvar", "rto", "rto_min", "rto_max", "_base")

    def __init__(self, initial: float, rto_min: float, rto_max: float) -> None:
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.rto_min = rto_min
        self.rto_max = rto_max
        # RFC 6298 2.1: until a measurement is made, RTO <- 1 second (profile: rto_initial).
        self._base = initial
        self.rto = initial

    def sample(self, r: float) -> None:
        """Take an RTT measurement R (never from a retransmitted segment: Karn, RFC 6298 3)."""
        # (abs, min and max as comparisons: one sample per round trip of the data path)
        srtt = self.srtt
        if srtt is None:
            # RFC 6298 2.2: first measurement.
            self.srtt = srtt = r
            self.rttvar = rttvar = r / 2
        else:
            # RFC 6298 2.3: RTTVAR first, using the old SRTT.
            err = srtt - r
            self.rttvar = rttvar = (1 - BETA) * self.rttvar + BETA * (err if err >= 0 else -err)
            self.srtt = srtt = (1 - ALPHA) * srtt + ALPHA * r
        spread = K * rttvar
        base = srtt + (spread if spread > CLOCK_GRANULARITY else CLOCK_GRANULARITY)
        # RFC 6298 2.4 (minimum, 1 s in the RFC, a profile may lower it) and 2.5 (maximum);
        # RFC 6298 5.7: a new measurement replaces the backed-off value.
        if base < self.rto_min:
            base = self.rto_min
        if base > self.rto_max:
            base = self.rto_max
        self._base = self.rto = base

    def backoff(self) -> None:
        """RFC 6298 5.5: RTO <- RTO * 2, bounded by the maximum."""
        self.rto = min(self.rto * 2, self.rto_max)
