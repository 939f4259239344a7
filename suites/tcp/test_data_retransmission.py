"""RFC 6298 5.4-5.5 and 2.4 (RFC 9293 3.8.1): unacknowledged data is retransmitted from the
earliest unacknowledged octet when the timer expires, the timeout doubles on each expiry, and
a computed RTO below 1 second SHOULD be rounded up to 1 second. The first retransmission may be
a tail loss probe (RFC 8985 7, before the RTO), so the RTO is measured between later ones.

Waits: the DUT's retransmissions (three intervals of its RTO: under 1 s on Linux)."""

import time

import pytest

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _retransmissions(ex, dut, endpoints, count: int, clock: list | None = None) -> list[float]:
    """When each retransmission was read (seconds after the first transmission); ``clock``
    gets each one's TSval too, when it carries one: the DUT's own clock, free of the time the
    test takes to read a frame on a loaded machine (RFC 7323 5.4: proportional to real time)."""
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"please ack me")
    first = peer.conn.expect_data(b"please ack me")
    t0 = time.monotonic()
    times = []
    for _ in range(count):
        again = peer.conn.expect(b"please ack me", flags=None, timeout=4.0)
        assert again.seq == first.seq, "the retransmission does not start at SND.UNA"
        times.append(time.monotonic() - t0)
        if clock is not None and again.timestamps is not None:
            clock.append(again.timestamps[0])
    peer.conn.ack()
    return times


@pytest.mark.requirement("RFC6298-5.4-MUST-retransmit-earliest", "RFC6298-5.5-MUST-backoff-doubles",
                         "RFC9293-3.8.1-MUST-retransmit", "RFC2525-2.10-MUST-back-off-rto")
def test_data_retransmissions_back_off_exponentially(ex, dut, endpoints):
    tsvals: list[int] = []
    first, second, third = _retransmissions(ex, dut, endpoints, 3, tsvals)
    unit = "s"
    if len(tsvals) == 3 and tsvals[1] != tsvals[0]:  # the ratio in the DUT's own clock ticks
        first, second, third = (float(v - tsvals[0]) for v in tsvals)
        unit = "TSval ticks after the first"
    ratio = (third - second) / (second - first)
    assert 1.6 <= ratio <= 2.6, f"retransmissions at {first:.3f}, {second:.3f}, {third:.3f} {unit}"


@pytest.mark.requirement("RFC6298-2.4-SHOULD-rto-minimum-1s")
def test_rto_is_at_least_one_second(ex, dut, endpoints):
    first, second = _retransmissions(ex, dut, endpoints, 2)
    assert second - first >= 0.95, f"retransmissions at {first:.3f} s and {second:.3f} s"
