"""RFC 8985 7 (tail loss probes) is optional: without it the last unacknowledged segment is
retransmitted when the retransmission timer expires (RFC 6298 5.4, RFC 9293 3.8.1), no
earlier. Linux turns probes off with net.ipv4.tcp_early_retrans < 3
(tcp_schedule_loss_probe), set here per test; a FIN sent apart from its data is then not
probed within milliseconds (test_tail_loss_probe.py) but retransmitted with its data at the
RTO (Linux TCP_RTO_MIN, 200 ms, at the least). The lockstep oracle, told the sysctl, judges
the time.

Waits: the RTO (under 4 s)."""

import socket

import pytest

from conformance.author.before_bed import before_bed

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

NO_PROBES = ("net.ipv4.tcp_early_retrans", "0")


@pytest.mark.requirement("RFC9293-3.8.1-MUST-retransmit", "RFC6298-5.4-MUST-retransmit-earliest")
@before_bed(require_dut_sysctl, *NO_PROBES)
def test_without_probes_the_tail_waits_for_the_rto(ex, dut, endpoints, bed):
    set_dut_sysctl(bed, *NO_PROBES)
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.send(peer.fd, b"probe me")
    peer.conn.expect_data(b"probe me")
    dut.shutdown(peer.fd, socket.SHUT_WR)
    peer.conn.expect(flags="FA")
    again = peer.conn.expect(flags=None, timeout=4.0)  # the earliest unacknowledged octet
    # (a probe would resend the last segment, the FIN alone; its time the oracle judges)
    assert again.payload.startswith(b"probe me"), again.summary()
    peer.conn.ack()
