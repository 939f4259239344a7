"""RFC 8985 7.2-7.3: the tail loss probe's timeout, PTO = 2 * SRTT, plus the worst-case
delayed-ACK time when FlightSize is one segment. "One segment" counts segments as sent (Linux
tcp_schedule_loss_probe: ``tp->packets_out == 1``): data, then a FIN sent on its own by
shutdown(), are two segments, so the FIN is probed within milliseconds (2 SRTT +
TCP_TIMEOUT_MIN), while the data alone waits the delayed-ACK allowance (TCP_RTO_MIN, 200 ms).

Waits: the DUT's probe (under 1 s); a DUT without tail loss probes retransmits at its RTO."""

import socket
import time

import pytest

from .states import reach


def _probe_delay(ex, dut, endpoints, fin_apart: bool) -> float:
    """Seconds from the DUT's last new segment to its first retransmission of it."""
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"probe me")
    peer.conn.expect_data(b"probe me")
    t0 = time.monotonic()
    if fin_apart:
        dut.shutdown(peer.fd, socket.SHUT_WR)
        peer.conn.expect(flags="FA")
        t0 = time.monotonic()
        peer.conn.expect(flags="FA", timeout=4.0)  # the last segment again: the FIN
    else:
        peer.conn.expect(b"probe me", flags=None, timeout=4.0)
    delay = time.monotonic() - t0
    peer.conn.ack()
    return delay


@pytest.mark.requirement("RFC8985-7.3-MAY-tail-loss-probe")
@pytest.mark.parametrize("fin_apart", [False, True], ids=["one-segment", "data-then-fin"])
def test_probe_waits_the_delayed_ack_allowance_only_for_one_segment(ex, dut, endpoints,
                                                                     fin_apart):
    delay = _probe_delay(ex, dut, endpoints, fin_apart)
    # one segment: PTO = 2 SRTT + WCDelAckT (TCP_RTO_MIN, 200 ms, on Linux); two segments:
    # 2 SRTT + TCP_TIMEOUT_MIN (2 ms) on a link whose RTT is well under a millisecond
    if fin_apart:
        assert delay < 0.15, f"the FIN probed after {delay:.3f} s"
    else:
        assert delay >= 0.19, f"the data probed after {delay:.3f} s"
