"""RFC 6937 (Proportional Rate Reduction, Linux tcp_cwnd_reduction) and RFC 6675 5: during
fast recovery the sender spreads the window's reduction over the ACKs that come back: while
more is in flight than ssthresh, it sends about ssthresh / RecoverFS segments per segment
delivered (never a burst, never as much as was delivered); once less is in flight, it rebuilds
towards ssthresh, at most one segment beyond what an ACK delivered (PRR-SSRB).

The DUT sends its initial window of 10 segments; the tester plays a receiver that lost
segment 0 and SACKs the rest as it arrives; the DUT has more to send once recovery began.
Every conforming sender retransmits segment 0 and sends less new data than was delivered;
the lockstep oracle judges every segment with the profile's recovery (the `linux` profile:
PRR, with Reno's ssthresh, half the window, as the test sets
net.ipv4.tcp_congestion_control=reno in the DUT: flight.py).

Without SACK (net.ipv4.tcp_sack=0) the proportional test runs with duplicate ACKs: PRR
reduces a NewReno recovery's window too (RFC 6937 3; Linux tcp_cwnd_reduction, each duplicate
ACK counted as one segment delivered by tcp_add_reno_sack); the third starts the recovery (RFC
5681 3.2). The other test delivers nine segments in one ACK, which only SACK can say.

Waits: RACK's reordering window or the RTO for the first retransmission (under 1.5 s)."""

import pytest

from conformance.author.before_bed import before_bed

from .flight import needs_probes_off, open_flight

# (each opens a flight with SACK and no tail loss probes: flight.needs_probes_off)
pytestmark = [pytest.mark.families("ipv4", "ipv6"), before_bed(needs_probes_off)]


@pytest.mark.requirement("RFC6937-3-SHOULD-prr-proportional", "RFC6675-5-MUST-pipe-limits-sending",
                         "RFC5681-3-MUST-NOT-send-beyond-cwnd")
def test_recovery_sends_in_proportion_to_what_is_delivered(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, in_flight=10)
    sent = f.first_flight(10)
    # segment 0 lost: RACK's reordering window after one SACKed segment, or the third
    # duplicate ACK without SACK
    f.lose_first(1 if f.sack_ok else 3)
    f.retransmission(0, timeout=1.5)
    # (new data only now, in recovery: before it, Linux may defer a one-segment opening to
    # a later ACK, tcp_tso_should_defer, depending on timing)
    f.write(6)
    released = f.drain()
    for last in range(3, 9):  # one more segment SACKed (or duplicate ACK) per ACK
        f.ack(0, sack=((1, last),) if f.sack_ok else ())
        got = f.drain()
        assert all(s >= sent for s in got), f"SACK up to {last}: {got}"
        assert len(got) <= 2, f"one delivered segment released {got}"
        released += got
    # six segments delivered: fewer than six new ones may go (the window is being reduced)
    assert len(released) < 6, f"new data during recovery: {released}"
    f.ack_all()


@pytest.mark.requirement("RFC6937-3-SHOULD-prr-slow-start-reduction-bound",
                         "RFC6937-3-SHOULD-no-send-without-delivery",
                         "RFC6675-5-MUST-nextseg-holes-first")
@pytest.mark.needs(sack=True, dupthresh=3)  # (nine SACKed: lost at once, no RACK timer)
def test_recovery_with_little_in_flight_rebuilds_to_ssthresh(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, in_flight=10)
    sent = f.first_flight(16, needs=10)
    f.ack(0, sack=((1, 10),))  # nine of ten delivered at once: two segments in flight
    got = f.drain()
    assert got and got[0] == 0, f"the hole first: {got}"
    new = got[1:]
    assert all(s >= sent for s in new), got
    # ssthresh is at most half the flight (RFC 5681 3.2; RFC 6675 and PRR-SSRB fill up to it)
    assert 1 + len(new) <= sent // 2, f"a burst on entering recovery: {got}"
    f.ack_all()
