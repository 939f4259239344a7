"""RFC 1122 4.2.3.2 (and RFC 9293 3.8.6.3): a TCP may delay an ACK, but the delay MUST be less
than 0.5 seconds. Each data segment here is acknowledged within that time.

Waits: at most 0.5 s per segment (the bound under test)."""

import pytest

from conformance.author.dut_clock import dut_clock

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

DELAY_LIMIT_S = 0.5


@pytest.mark.requirement("RFC1122-4.2.3.2-MUST-ack-delay-under-half-second")
def test_data_is_acknowledged_within_half_a_second(ex, dut, endpoints, bed):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    clock = dut_clock(bed)  # the delay is the DUT's timer: timed on its clock
    for i in range(20):  # past the initial quick-ACK phase of an implementation
        t0 = clock.now()
        peer.send(b"segment %02d" % i, flags="PA", advance=True)
        peer.conn.expect(flags="A", ack=peer.conn.snd_nxt,
                         timeout=clock.wait_s(DELAY_LIMIT_S + 0.2))
        assert clock.now() - t0 < DELAY_LIMIT_S, f"segment {i} acknowledged too late"
        assert dut.recv(peer.fd, 100) == b"segment %02d" % i
