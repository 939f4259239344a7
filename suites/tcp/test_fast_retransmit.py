"""RFC 5681 3.2 without SACK (the tester's SYN does not offer it): the sender takes the third
duplicate ACK as the sign that the segment at SND.UNA was lost and retransmits it at once,
without waiting for the retransmission timer, and not on the first or second duplicate
(those may release new data, RFC 3042 limited transmit, RFC 5681 3.2 step 1). In fast
recovery, an ACK that acknowledges some but not all data outstanding when it began (a partial
ACK, RFC 6582 NewReno) makes the sender retransmit the next unacknowledged segment at once.

The DUT writes a flight of segments; the tester plays a receiver that lost segment 0 (and 4)
and answers each later segment with a duplicate ACK. Tail loss probes are off in the DUT
(flight.py). The lockstep oracle judges every segment: the `linux` profile's ssthresh (CUBIC,
bictcp_recalc_ssthresh) and PRR (tcp_cwnd_reduction) for what goes in recovery."""

import time

import pytest

from .flight import needs_reads_within_the_rto, open_flight

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement(
    "RFC5681-3.2-MUST-fast-retransmit",
    "RFC5681-3.2-MUST-retransmit-lost-segment",
    "RFC5681-3.2-MUST-ssthresh-on-fast-retransmit",
)
@pytest.mark.needs(dupthresh=3)  # (net.ipv4.tcp_reordering: test_reordering_threshold.py)
# (segment 0 is the first data: a DUT starting RFC 6582's recover at the ISS waits for the RTO)
@pytest.mark.needs(recover_from_iss=False)
def test_third_duplicate_ack_retransmits_the_first_unacknowledged_segment(ex, dut, endpoints,
                                                                         bed):
    f = open_flight(ex, dut, endpoints, bed, sack=False, in_flight=8)
    f.first_flight(8)
    for _ in range(3):
        f.ack(0)  # segments 1, 2, 3 arrived: three duplicate ACKs
    f.retransmission(0, timeout=0.15)  # well before the RTO (200 ms at the least on Linux)
    f.ack_all()


@pytest.mark.requirement("RFC5681-3.2-MUST-fast-retransmit")
def test_two_duplicate_acks_retransmit_nothing(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, sack=False, in_flight=8)
    f.first_flight(8)
    t0 = time.monotonic()
    f.ack(0)
    f.ack(0)
    got = f.drain()
    # (on a loaded machine the RTO, 200 ms at the least on Linux, may expire meanwhile: the
    # lockstep oracle judges that retransmission by its time)
    if time.monotonic() - t0 < 0.2:
        assert got == [], "a segment went out after two duplicate ACKs"
    f.ack_all()


@pytest.mark.requirement(
    "RFC6582-3.2-SHOULD-partial-ack-retransmit",
    "RFC5681-3.2-MUST-fast-retransmit",
)
@pytest.mark.needs(dupthresh=3)  # (net.ipv4.tcp_reordering: test_reordering_threshold.py)
@pytest.mark.needs(recover_from_iss=False)  # (segment 0, the first data, is lost)
def test_partial_ack_retransmits_the_next_hole(ex, dut, endpoints, bed):
    needs_reads_within_the_rto(bed)
    f = open_flight(ex, dut, endpoints, bed, sack=False, in_flight=8)
    f.first_flight(8)
    for _ in range(3):  # segments 1, 2, 3 arrived; 0 and 4 were lost
        f.ack(0)
    f.retransmission(0, timeout=0.15)
    f.ack(4)  # the retransmission filled the first hole: a partial ACK
    f.retransmission(4, timeout=0.15)
    f.ack_all()


@pytest.mark.requirement(
    "RFC5681-3.2-MUST-inflate-per-dupack",
    "RFC5681-3.2-SHOULD-new-data-in-recovery",
    "RFC5681-3-MUST-NOT-send-beyond-cwnd",
)
@pytest.mark.needs(dupthresh=3)  # (net.ipv4.tcp_reordering: test_reordering_threshold.py)
@pytest.mark.needs(recover_from_iss=False)  # (segment 0, the first data, is lost)
def test_further_duplicate_acks_release_new_data(ex, dut, endpoints, bed):
    needs_reads_within_the_rto(bed)
    # RFC 5681 3.2 steps 4-5: each duplicate ACK after the third inflates cwnd by SMSS (a
    # segment left the network); once cwnd covers the flight, each releases one new segment
    # (Linux: PRR, with Reno's ssthresh, half the window, flight.py)
    f = open_flight(ex, dut, endpoints, bed, sack=False, in_flight=8)
    sent = f.first_flight(8)
    for _ in range(3):
        f.ack(0)
    f.retransmission(0, timeout=0.15)
    f.write(4)  # new data, in recovery
    released = [f.drain()]
    for _ in range(3):  # segments 4, 5, 6 arrived
        f.ack(0)
        released.append(f.drain())
    assert all(len(r) <= 1 and all(s >= sent for s in r) for r in released), released
    assert sum(map(len, released)) >= 1, f"no new data in recovery: {released}"
    f.ack_all()
