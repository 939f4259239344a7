"""RFC 5681 3.1 (RFC 6928, RFC 2525 2.1): a sender starts with an initial window of a few
segments, never sends beyond the congestion window, and in slow start lets each ACK that
acknowledges new data grow the window (RFC 5681 RECOMMENDS by min(N, SMSS); Linux
tcp_slow_start adds every segment acknowledged, the `linux` profile's
slow_start_counts_segments), so the window about doubles per round trip while ssthresh,
initially arbitrarily high, is not reached.

The DUT writes more than it may send (16 segments at most at a time: the `linux` profile's
send buffer, tcp_wmem[1]); the tester acknowledges as a receiver would and counts
what each ACK releases (a barrier after the ACK: the DUT sends what it releases at once). An
ACK here always opens a third of the window or more, and in one burst of at most half the
window: Linux sends at most half the window at a time (tcp_cwnd_test: min(cwnd / 2, cwnd -
in_flight) segments per skb, "at least 2 GSO packets in flight") and defers an opening left
smaller than a third of the window to the next ACK (tcp_tso_should_defer, on a link with
GSO). The counts asserted here hold for every conforming stack; the lockstep oracle judges each
segment against the profile's exact window. Tail loss probes are off in the DUT so that no
probe (RFC 8985 7) adds a segment while the tester reads (flight.py)."""

import pytest

from conformance.author.before_bed import before_bed

from .flight import needs_probes_off, open_flight

# (each opens a flight with SACK and no tail loss probes: flight.needs_probes_off)
pytestmark = [pytest.mark.families("ipv4", "ipv6"), before_bed(needs_probes_off)]

IW_MAX = 10  # RFC 6928: min(10 * MSS, max(2 * MSS, 14600)) with segments of 988 octets
# the smallest first flight N after which an ACK of two (window N + 2, N - 2 in flight) opens
# four segments within half the window: (N + 2) // 2 >= 4
SLIDE_FLIGHT = 6


@pytest.mark.requirement(
    "RFC5681-3.1-MUST-initial-window-bound",
    "RFC2525-2.1-MUST-initial-slow-start",
    "RFC5681-3-MUST-NOT-send-beyond-cwnd",
)
def test_first_flight_is_bounded_by_the_congestion_window(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed)
    f.write(16)
    first = f.drain()
    assert 2 <= len(first) <= IW_MAX, f"first flight: segments {first}"
    assert first == list(range(len(first))), first
    f.ack(len(first))  # the whole flight acknowledged: the rest may go
    rest = f.drain()
    assert rest and rest[0] == len(first), rest


@pytest.mark.requirement("RFC5681-3.1-SHOULD-slow-start-increase",
                         "RFC5681-3.1-SHOULD-initial-ssthresh-high",
                         "RFC5681-3.1-MUST-slow-start-congestion-avoidance")
def test_ack_of_four_segments_grows_the_window(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed)
    sent = f.first_flight(16, needs=4)
    f.ack(4)
    released = f.drain()
    # four segments slid out of the window and slow start (ssthresh is still arbitrarily
    # high) grew it by at least one SMSS: at least five segments, unless fewer were left
    assert len(released) >= min(5, 16 - sent), f"an ACK of four segments released {released}"
    assert released == list(range(sent, sent + len(released))), released


@pytest.mark.requirement("RFC5681-3.1-SHOULD-slow-start-increase",
                         "RFC5681-3-MUST-NOT-send-beyond-cwnd")
def test_ack_of_two_segments_releases_three_or_four(ex, dut, endpoints, bed):
    # RFC 5681 3.1: cwnd += min(N, SMSS) (three segments go: two slid out, one more), RFC
    # 3465 allows 2 * SMSS (four); Linux adds both segments acknowledged. A first flight of
    # SLIDE_FLIGHT or more (an operator's smaller initcwnd raised for the test: flight.py)
    # lets the four go in one burst (the module docstring): after a flight of four, the ACK
    # opens four of a window of six, tcp_cwnd_test hands out three and the fourth, an opening
    # of one sixth, waits for the next ACK (tcp_tso_should_defer), which this test never sends.
    f = open_flight(ex, dut, endpoints, bed, in_flight=SLIDE_FLIGHT)
    sent = f.first_flight(16, needs=2)
    f.ack(2)
    released = f.drain()
    assert released == list(range(sent, sent + len(released))), released
    assert 3 <= len(released) <= 4, f"an ACK of two segments released {released}"


@pytest.mark.requirement("RFC5681-3.1-SHOULD-slow-start-increase",
                         "RFC5681-3-MUST-NOT-send-beyond-cwnd")
def test_window_grows_after_a_whole_flight_is_acknowledged(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed)
    f.write(16)
    sent = len(f.drain())
    f.ack(sent)  # one ACK for the whole flight
    second = f.drain()  # what was left of the write
    f.write(sent)  # (the send buffer holds 16 segments: write more once acknowledged)
    second += f.drain()
    # at least the window again and one more SMSS (RFC 5681), at most twice it (Linux: every
    # segment acknowledged counts)
    assert sent + 1 <= len(second) <= 2 * sent, f"flight of {sent}, then {second}"
    assert second == list(range(sent, sent + len(second))), second
