"""RFC 8985 6 (RACK): a segment is deemed lost once a segment sent after it has been
delivered (SACKed) and a reordering window has passed, rather than only after DupThresh
segments are SACKed (RFC 6675 4). One SACKed segment beyond a hole: an RFC 6675 sender waits
(for two more SACKs, or its retransmission timer), a RACK sender retransmits the hole when the
reordering window (RACK.min_RTT / 4, microseconds on a veth link, plus Linux's timer slack)
expires. Either way the hole is retransmitted; when, the lockstep oracle judges with the
profile's loss detection (the `linux` profile: tcp_rack_detect_loss, its reordering timer).

Waits: up to the DUT's RTO (under 1.5 s); Linux retransmits within milliseconds."""

import pytest

from conformance.author.before_bed import before_bed

from .flight import needs_probes_off, open_flight

# (each opens a flight with SACK and no tail loss probes: flight.needs_probes_off)
pytestmark = [pytest.mark.families("ipv4", "ipv6"), pytest.mark.needs(sack=True),
              before_bed(needs_probes_off)]


@pytest.mark.requirement(
    "RFC8985-6.2-SHOULD-reordering-window",
    "RFC8985-6.2-SHOULD-rack-time-based-loss",
    "RFC8985-6.3-MUST-timer-for-undelivered",
)
def test_one_sacked_segment_beyond_a_hole(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, in_flight=6)
    f.first_flight(6)
    f.ack(0, sack=((1, 2),))  # segment 1 arrived, 0 did not (yet)
    f.retransmission(0, timeout=1.5)
    f.ack_all()


@pytest.mark.requirement(
    "RFC8985-6.2-SHOULD-rack-time-based-loss",
    "RFC6675-5-MUST-nextseg-holes-first",
)
def test_segments_sent_before_a_sacked_one_are_lost_in_recovery(ex, dut, endpoints, bed):
    # In recovery the reordering window is zero (RFC 8985 6.2; Linux tcp_rack_reo_wnd): a
    # later SACK beyond a second hole marks it lost at once.
    f = open_flight(ex, dut, endpoints, bed, in_flight=10)
    f.first_flight(10)
    f.ack(0, sack=((1, 4),))  # three SACKed: segment 0 lost (both RFC 6675 and RACK)
    f.retransmission(0, timeout=0.15)
    f.ack(0, sack=((1, 4), (5, 9)))  # segment 4 missing below four SACKed ones
    f.retransmission(4, timeout=0.15)
    f.ack_all()
