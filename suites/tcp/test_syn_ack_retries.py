"""RFC 9293 3.8.3 (R2) for a passive open: a SYN,ACK never acknowledged is retransmitted a
limited number of times (RFC 6298 5.5: each timeout doubled), then the half-open connection
is forgotten, so the peer's late ACK meets a listener with no such connection and is answered
with a RST (RFC 9293 3.10.7.2). Linux counts them with net.ipv4.tcp_synack_retries
(reqsk_timer_handler; the net.ipv4 sysctl serves IPv6 listeners too), set here per test to
1; the lockstep oracle judges the times.

Waits: the retransmission after 1 s, its expiry 2 s later, and 0.3 s of margin (a kernel timer
of 2 s is late by a timer-wheel tick at most: 32 ms at HZ=250)."""

import time

import pytest

from conformance.author.before_bed import before_bed
from conformance.author.needs import other_than

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .states import LISTEN_PORT, has_rst, listen

pytestmark = pytest.mark.families("ipv4", "ipv6")

RETRIES = 1
SYNACK_RETRIES = ("net.ipv4.tcp_synack_retries", str(RETRIES))
RTO_S = 1.0  # RFC 6298 2.1: the initial RTO, doubled on each expiry (5.5)


@pytest.mark.requirement("RFC9293-3.8.3-MUST-r2-abort", "RFC9293-3.10.7.2-MUST-listen-ack-rst")
@pytest.mark.needs(syncookies=other_than(2))  # a SYN cookie's SYN,ACK is never retransmitted
@before_bed(require_dut_sysctl, *SYNACK_RETRIES)
def test_syn_ack_retransmitted_synack_retries_times_then_forgotten(ex, dut, endpoints, bed):
    set_dut_sysctl(bed, *SYNACK_RETRIES)
    listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    synack = conn.expect(flags="SA", ack=conn.snd_nxt)
    t0 = time.monotonic()
    for i in range(RETRIES):
        again = conn.expect(flags="SA", timeout=RTO_S * 2 ** i + 1.0)
        assert again.seq == synack.seq
    given_up = RTO_S * (2 ** (RETRIES + 1) - 1)  # the sum of the backed-off timeouts
    ex.sleep(max(0.0, given_up + 0.3 - (time.monotonic() - t0)))
    conn.send(flags="A")
    conn.expect(flags=has_rst)
