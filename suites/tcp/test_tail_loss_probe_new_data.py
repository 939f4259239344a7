"""RFC 8985 7.3: a tail loss probe carries new data when there is some the peer's window
allows, whatever the congestion window (Linux tcp_send_loss_probe -> tcp_write_xmit,
push_one); after the probe the retransmission timer, not another probe, recovers what stays
unacknowledged (the RTO retransmits the earliest segment, RFC 6298 5.4).

The DUT writes one segment more than its initial window and the tester acknowledges nothing:
the segment beyond the window goes out as the probe, within the probe timeout (2 SRTT plus a
little: milliseconds on a veth link), long before the RTO. Probes are optional: a DUT without
them (net.ipv4.tcp_early_retrans < 3) skips these tests. Linux probes connections that
negotiated SACK only (tcp_schedule_loss_probe: tcp_is_sack): with net.ipv4.tcp_sack=0 the tests
check the probe's absence, the first segment after the flight being the RTO's retransmission
of the earliest (RFC 6298 5.4), not the one beyond the window.

Waits: the probe timeout (ms), then the DUT's RTO (about 200 ms on Linux, at most 3 s)."""

import pytest

from .flight import open_flight, sends_loss_probes

pytestmark = [pytest.mark.families("ipv4", "ipv6"),
              pytest.mark.needs(tail_loss_probe=True)]

SEGMENTS = 11  # more than any initial window of RFC 6928 (at most 10 segments)


def flight_and_probe(f, bed) -> tuple[int, int]:
    """The DUT writes one segment more than its initial window (SEGMENTS where the profile
    has none) and sends its first flight, then the probe: (the flight's segment count, the
    probe's segment index). On a loaded machine the probe (2 SRTT: a few ms) may come before
    the barrier's answer, among the flight's segments: the flight is then the profile's
    initial window. (All of it is acknowledged at the end, so a smaller initial window, a
    route's initcwnd, leaves nothing for the congestion window to release after the RTO.)"""
    iw = bed.oracle_profile.initial_cwnd(f.conn.ex.family.wire == "ipv6")  # (its route's)
    f.write(SEGMENTS if iw is None else iw + 1)
    drained = f.drain()
    if iw is not None and len(drained) > iw:
        return iw, drained[iw]
    return len(drained), f.index(f.take(1, timeout=1.0)[0])


def ack_all(f, window: int) -> None:
    """Everything written acknowledged; without a probe the segment beyond the window was not
    sent: the flight's ACK releases it first (an ACK of data not yet sent is another test's)."""
    if max(map(f.index, f.seen)) < window < f.written // f.size:
        f.ack(window)
        f.take(1)
    f.ack_all()


@pytest.mark.requirement("RFC8985-7.3-SHOULD-probe-new-data-first", "RFC8985-7.2-SHOULD-pto",
                         "RFC8985-7.3-MAY-tail-loss-probe")
def test_probe_sends_the_segment_beyond_the_window(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, probes=True)
    window, probe = flight_and_probe(f, bed)
    if sends_loss_probes(bed):
        assert probe == window, f"the probe is segment {probe}, the window {window} segments"
    else:  # no probe without SACK: the RTO's retransmission comes first
        assert probe == 0, f"segment {probe} after the flight of {window}, no probe expected"
    ack_all(f, window)


@pytest.mark.requirement("RFC8985-7.3-MUST-rto-after-probe", "RFC6298-5.4-MUST-retransmit-earliest")
def test_after_the_probe_the_rto_retransmits_the_earliest(ex, dut, endpoints, bed):
    f = open_flight(ex, dut, endpoints, bed, probes=True)
    window, first = flight_and_probe(f, bed)
    if sends_loss_probes(bed):
        f.retransmission(0, timeout=3.0)
    else:  # no probe without SACK: the first segment after the flight is the RTO's
        assert first == 0, f"segment {first} after the flight of {window}, not the earliest"
    assert window >= 1
    ack_all(f, window)
