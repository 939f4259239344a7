"""RFC 5681 3.1 and RFC 6298 5.4 after a retransmission timeout (RFC 2525 2.2 "no slow start
after retransmission timeout", 2.14 "retransmission sends multiple packets"): the sender
retransmits one segment, the earliest unacknowledged, its window cut to the loss window (one
segment) and ssthresh to at most half the flight; then it slow-starts again, each ACK of
retransmitted data releasing at most twice what it acknowledged.

The tester acknowledges nothing of a flight of six segments (without SACK, so that only the
timer recovers) until the DUT's RTO expires. Tail loss probes are off in the DUT (flight.py).

Waits: the DUT's first RTO (about 200 ms on Linux, at most 3 s)."""

import pytest

from .flight import needs_reads_within_the_rto, open_flight

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement(
    "RFC2525-2.14-MUST-retransmit-one-segment",
    "RFC5681-3.1-MUST-loss-window-after-rto",
    "RFC6298-5.4-MUST-retransmit-earliest",
)
def test_rto_retransmits_one_segment(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, sack=False, in_flight=6)
    f.first_flight(6)
    f.retransmission(0, timeout=3.0)
    assert f.drain() == [], "more than one segment after the RTO"
    f.ack_all()


@pytest.mark.requirement(
    "RFC2525-2.2-MUST-slow-start-after-rto",
    "RFC5681-3.1-MUST-ssthresh-on-rto",
    "RFC5681-3.1-MUST-loss-window-after-rto",
)
def test_slow_start_after_rto(ex, dut, endpoints, bed):
    needs_reads_within_the_rto(bed)
    f = open_flight(ex, dut, endpoints, bed, sack=False, in_flight=6)
    f.first_flight(6)
    f.retransmission(0, timeout=3.0)
    f.ack(1)  # the retransmission arrived
    second = f.drain()
    # slow start from one segment: the ACK of one releases two
    assert second == [1, 2], f"after the ACK of the retransmission: {second}"
    f.ack(3)
    third = f.drain()
    assert third == [3, 4, 5], f"after the ACK of two more: {third}"
    f.ack_all()
