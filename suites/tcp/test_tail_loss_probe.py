"""RFC 8985 7.2-7.3: the tail loss probe's timeout, PTO = 2 * SRTT, plus the worst-case
delayed-ACK time when FlightSize is one segment. "One segment" counts segments as sent (Linux
tcp_schedule_loss_probe: ``tp->packets_out == 1``): data, then a FIN sent on its own by
shutdown(), are two segments, so the FIN is probed within milliseconds (2 SRTT +
TCP_TIMEOUT_MIN), while the data alone waits the delayed-ACK allowance (TCP_RTO_MIN, 200 ms).

Every stack owes the retransmission (RFC 9293 3.8.1); its time is the stack's choice, judged
by the lockstep oracle with the target's profile (the `linux` profile models
tcp_schedule_loss_probe, measured on Linux 6.18: the FIN probed within milliseconds, the data
alone after about 200 ms).

Linux probes connections that negotiated SACK only (tcp_schedule_loss_probe: tcp_is_sack):
with net.ipv4.tcp_sack=0 the data-then-FIN case checks the probe's absence, the first
retransmission being the RTO's, of the earliest segment (RFC 6298 5.4), not the FIN alone.

Waits: the DUT's probe (under 1 s); a DUT without tail loss probes retransmits at its RTO."""

import socket
import time

import pytest

from .flight import sends_loss_probes
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _probe_delay(ex, dut, endpoints, fin_apart: bool, probes: bool = True) -> float:
    """Seconds from the DUT's last new segment to its first retransmission (of it, or without
    ``probes`` of the earliest one: the RTO's)."""
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"probe me")
    peer.conn.expect_data(b"probe me")
    t0 = time.monotonic()
    if fin_apart:
        dut.shutdown(peer.fd, socket.SHUT_WR)
        peer.conn.expect(flags="FA")
        t0 = time.monotonic()
        if probes:
            peer.conn.expect(flags="FA", timeout=4.0)  # the last segment again: the FIN
        else:
            peer.conn.expect(b"probe me", flags=None, timeout=4.0)  # the RTO: the earliest
    else:
        peer.conn.expect(b"probe me", flags=None, timeout=4.0)
    delay = time.monotonic() - t0
    peer.conn.ack()
    return delay


@pytest.mark.requirement("RFC8985-7.3-MAY-tail-loss-probe", "RFC9293-3.8.1-MUST-retransmit")
# data-then-fin: only a probe sends the FIN alone (an RTO retransmits data and FIN together)
@pytest.mark.parametrize("fin_apart", [False, pytest.param(
    True, marks=pytest.mark.needs(tail_loss_probe=True))],
    ids=["one-segment", "data-then-fin"])
def test_last_segment_retransmitted(ex, dut, endpoints, bed, fin_apart):
    # Every stack retransmits the unacknowledged last segment; when is judged by the lockstep
    # oracle (the `linux` profile: 2 SRTT + 200 ms for one segment, + 2 ms for two, i.e.
    # within milliseconds on a veth link whose RTT is well under one).
    probes = sends_loss_probes(bed)
    delay = _probe_delay(ex, dut, endpoints, fin_apart, probes)
    assert delay < 4.0
    if fin_apart and not probes:
        # no probe without SACK: nothing before the RTO, at least its minimum (RFC 6298 2.4)
        assert delay >= bed.oracle_profile.rto_min / 2, f"retransmitted after {delay:.3f} s"
