"""RFC 1122 4.2.3.4 (Nagle): while data is unacknowledged, a sender buffers further partial
segments until the ACK comes or a full segment can go. What a close() does to data so held
is the implementation's choice: the RFC holds it (and the FIN behind it) until the ACK; Linux's
tcp_nagle_test never holds the segment that carries the FIN, so the held data goes at once
with it. Every stack owes the data, then the FIN (RFC 9293 3.10.4); when the data goes is
judged by the lockstep oracle with the target's profile (the `linux` profile models
tcp_nagle_test, measured on Linux 6.18: with the FIN at close()).

Waits: none on Linux (an RFC stack's data waits for the tester's ACK)."""

import pytest

from reference_stack.wire.tcp import FIN

from .options import syn_options
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC1122-4.2.3.4-MUST-sender-sws-avoidance",
                         "RFC9293-3.6-MUST-orderly-close")
def test_data_held_by_nagle_goes_before_the_fin(ex, dut, endpoints):
    # Without SACK, so no tail loss probe on any target (RFC 8985 7.2 probes need SACK: gVisor
    # rack.go shouldSchedulePTO, Linux tcp_schedule_loss_probe): netstack's probe timeout is
    # 2 SRTT with no floor (rack.go schedulePTO), here ~7.5 ms (the test holds its ACK of "1"
    # ~23 ms, an RTT sample), so on a loaded machine, where the tester's ACK of the FIN
    # followed close() by 7 ms, netstack resent the FIN before it read that ACK, where the
    # oracle, replaying the tester's times, had the ACK first.
    peer = reach("ESTABLISHED", ex, dut, endpoints, syn_options=syn_options(sack=False))
    dut.send(peer.fd, b"1")
    peer.conn.expect_data(b"1")
    dut.send(peer.fd, b"2")  # a partial segment while "1" is unacknowledged: held
    # No segment of "2" (a retransmission of "1" is the oracle's to judge: on a loaded run the
    # DUT's send took 64 ms and the barrier came 200 ms after "1", with netstack's RTO, its
    # 200 ms floor, snd.go MinRTO).
    ex.expect_nothing(*peer.conn.template(seq=peer.conn.rcv_nxt))
    dut.close(peer.fd)
    peer.conn.ack()  # "1" (the oracle judges whether "2" went before this ACK)
    data = peer.conn.expect(b"2", flags=None, timeout=2.0)
    if not data.flags & FIN:  # RFC 9293 3.10.4: the FIN follows all preceding SENDs
        peer.conn.expect(flags="FA", timeout=2.0)
    peer.conn.ack()
