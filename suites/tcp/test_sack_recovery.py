"""RFC 6675 (SACK-based loss recovery, with RFC 2018 SACK negotiated): a sender that learns
from SACK blocks which segments arrived retransmits the holes, lowest first, and never
retransmits what the receiver SACKed; loss recovery ends once the cumulative ACK passes the
recovery point, with the congestion window at ssthresh, smaller than before the loss (RFC
5681 3.2 step 6, RFC 2525 2.8: no burst of new data from a window left inflated).

Linux detects the losses with RACK (RFC 8985 6, the `linux` profile's rack_loss_detection)
and sets cwnd with PRR (RFC 6937, tcp_cwnd_reduction); with three or more segments SACKed
above a hole both agree with RFC 6675 that it is lost at once. The lockstep oracle judges
every segment. Tail loss probes are off in the DUT (flight.py). Without SACK (net.ipv4.tcp_sack=0)
the window test runs with three duplicate ACKs (RFC 5681 3.2, Linux tcp_add_reno_sack), the
same recovery and the same exit; the other two are about SACK blocks."""

import pytest

from conformance.author.before_bed import before_bed

from .flight import needs_probes_off, open_flight

# (each opens a flight with SACK and no tail loss probes: flight.needs_probes_off)
pytestmark = [pytest.mark.families("ipv4", "ipv6"), before_bed(needs_probes_off)]


@pytest.mark.requirement("RFC6675-5-MUST-enter-recovery-on-dupthresh",
                         "RFC6675-4-MUST-islost-dupthresh", "RFC6675-5-MUST-nextseg-holes-first")
@pytest.mark.needs(sack=True, dupthresh=3)  # (DupThresh SACKed above each hole, RFC 6675 4)
def test_holes_below_sacked_data_are_retransmitted_lowest_first(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, in_flight=8)
    f.first_flight(8)
    f.ack(0, sack=((1, 3), (4, 8)))  # segments 0 and 3 lost
    f.retransmission(0, timeout=0.15)
    f.retransmission(3, timeout=0.15)
    f.ack_all()


@pytest.mark.requirement("RFC6675-5-MUST-nextseg-holes-first", "RFC6675-5-MUST-pipe-limits-sending")
@pytest.mark.needs(sack=True)
def test_sacked_segments_are_not_retransmitted(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, in_flight=8)
    f.first_flight(8)
    f.ack(0, sack=((1, 8),))
    f.retransmission(0, timeout=0.15)
    assert f.drain() == [], "a SACKed segment was sent again"
    f.ack(1, sack=((1, 8),))  # the retransmission arrived (the block stays until covered)
    f.ack_all()
    assert f.drain() == []


@pytest.mark.requirement(
    "RFC6675-5-MUST-end-at-recovery-point",
    "RFC5681-3.2-MUST-deflate-after-recovery",
    "RFC2525-2.8-MUST-deflate-window-after-recovery",
    "RFC6937-3-SHOULD-cwnd-ssthresh-at-exit",
)
def test_window_after_recovery_is_smaller_than_before(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, in_flight=10)
    before = f.first_flight(10)
    f.lose_first(9 if f.sack_ok else 3)
    f.retransmission(0, timeout=0.15)
    f.ack(10)  # recovery point reached: recovery is over
    assert f.drain() == []  # (a barrier: the DUT took the ACK before the write)
    f.write(14)
    after = f.drain()
    # RFC 5681 3.2: cwnd = ssthresh =< FlightSize / 2 (RFC 6675: the same); Linux CUBIC: 0.7
    # of the window; never a burst of the whole old window or more
    assert 2 <= len(after) < before, f"{before} segments before the loss, {len(after)} after"
