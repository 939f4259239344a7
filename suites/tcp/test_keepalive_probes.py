"""RFC 1122 4.2.3.6: keep-alives, when the application turns them on, probe a connection idle
for the keep-alive time; one unanswered probe MUST NOT end the connection. The probe is
<SEQ=SND.NXT-1> (RFC 1122 allows one garbage octet; Linux sends none: tcp_xmit_probe_skb),
an answered probe keeps the connection, and after the probe count unanswered ones Linux
resets it (tcp_keepalive_timer). The times come from the socket options TCP_KEEPIDLE,
TCP_KEEPINTVL and TCP_KEEPCNT, or from net.ipv4.tcp_keepalive_time/_intvl/_probes when the
socket leaves them (set per test), both followed by the lockstep oracle.

The answered probe is checked in the socket-options run only: what an answer does (the
connection lives, idle again: tcp_ack clears icsk_probes_out) does not depend on where the
times came from, and waiting out a second idle time in the sysctl run too checked the same rule
again. The sysctl run checks that the three sysctls set the idle time, the interval and the
count (the oracle follows them).

Waits: IDLE_S before the first probe, INTERVAL_S between probes: about 4 s with the answered
probe, 3 s without."""

import socket

import pytest

from conformance.author.tcp_connection import seq_add

from ..ipv4.dut_sysctl import set_dut_sysctl
from .states import has_rst, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

IDLE_S, INTERVAL_S, PROBES = 1, 1, 2


def _turn_on(dut, bed, fd, how):
    if how == "sysctl":
        set_dut_sysctl(bed, "net.ipv4.tcp_keepalive_time", str(IDLE_S))
        set_dut_sysctl(bed, "net.ipv4.tcp_keepalive_intvl", str(INTERVAL_S))
        set_dut_sysctl(bed, "net.ipv4.tcp_keepalive_probes", str(PROBES))
    else:
        dut.setsockopt(fd, socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, IDLE_S)
        dut.setsockopt(fd, socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, INTERVAL_S)
        dut.setsockopt(fd, socket.IPPROTO_TCP, socket.TCP_KEEPCNT, PROBES)
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)


@pytest.mark.requirement("RFC1122-4.2.3.6-MAY-keepalive-probe")
@pytest.mark.parametrize("how", ["socket-options", "sysctl"])
def test_idle_connection_is_probed_and_reset_after_the_count(ex, dut, endpoints, bed, how):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    _turn_on(dut, bed, peer.fd, how)
    probe = peer.conn.expect(flags="A", timeout=IDLE_S + 1.0)
    assert probe.seq == seq_add(peer.conn.rcv_nxt, -1) and len(probe.payload) <= 1, (
        probe.summary())
    if how == "socket-options":
        peer.conn.ack()  # answered: the connection lives, idle again
        peer.conn.expect(flags="A", seq=probe.seq, timeout=IDLE_S + 1.0)
    for _ in range(PROBES - 1):  # unanswered from here
        peer.conn.expect(flags="A", seq=probe.seq, timeout=INTERVAL_S + 1.0)
    peer.conn.expect(flags=has_rst, timeout=INTERVAL_S + 1.0)
