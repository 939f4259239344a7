"""RFC 1122 4.2.3.6: keep-alives, when the application turns them on, probe a connection idle
for the keep-alive time; one unanswered probe MUST NOT end the connection. The probe is
<SEQ=SND.NXT-1> (RFC 1122 allows one garbage octet; Linux sends none: tcp_xmit_probe_skb),
an answered probe keeps the connection, and after the probe count unanswered ones Linux
resets it (tcp_keepalive_timer). The times come from the socket options TCP_KEEPIDLE,
TCP_KEEPINTVL and TCP_KEEPCNT, or from net.ipv4.tcp_keepalive_time/_intvl/_probes when the
socket leaves them (set per test), both followed by the lockstep oracle.

The socket-options test checks it all, in both families. The sysctl test checks that the three
sysctls set the idle time, the interval and the count; it runs as IPv4 only and without the
answered probe: the sysctls are read the same for an IPv6 socket (tcp_keepalive_time_when and
the others read sock_net(sk)->ipv4), what an answer does (the connection lives, idle again:
tcp_ack clears icsk_probes_out) does not depend on where the times came from, and the IPv6
probes and RST are the socket-options test's. (Each of these waited out the same timers again.)

Waits: IDLE_S before the first probe, INTERVAL_S between probes: about 4 s with the answered
probe, 3 s without."""

import socket

import pytest

from conformance.author.before_bed import before_bed
from conformance.author.tcp_connection import seq_add

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .states import has_rst, reach

IDLE_S, INTERVAL_S, PROBES = 1, 1, 2
KEEPALIVE = "RFC1122-4.2.3.6-MAY-keepalive-probe"
KEEPALIVE_TIME = ("net.ipv4.tcp_keepalive_time", str(IDLE_S))


def _first_probe(dut, peer):
    """Keep-alives on; the first probe, after the idle time: <SEQ=SND.NXT-1>."""
    dut.setsockopt(peer.fd, socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    probe = peer.conn.expect(flags="A", timeout=IDLE_S + 1.0)
    assert probe.seq == seq_add(peer.conn.rcv_nxt, -1) and len(probe.payload) <= 1, (
        probe.summary())
    return probe


def _unanswered_then_reset(peer, probe, unanswered):
    """``unanswered`` more probes INTERVAL_S apart (the first not ending the connection),
    then the RST after the count."""
    for _ in range(unanswered):
        peer.conn.expect(flags="A", seq=probe.seq, timeout=INTERVAL_S + 1.0)
    peer.conn.expect(flags=has_rst, timeout=INTERVAL_S + 1.0)


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement(KEEPALIVE)
def test_idle_connection_is_probed_and_reset_after_the_count(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, IDLE_S)
    dut.setsockopt(peer.fd, socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, INTERVAL_S)
    dut.setsockopt(peer.fd, socket.IPPROTO_TCP, socket.TCP_KEEPCNT, PROBES)
    probe = _first_probe(dut, peer)
    peer.conn.ack()  # answered: the connection lives, idle again
    peer.conn.expect(flags="A", seq=probe.seq, timeout=IDLE_S + 1.0)
    _unanswered_then_reset(peer, probe, PROBES - 1)


@pytest.mark.requirement(KEEPALIVE)
@before_bed(require_dut_sysctl, *KEEPALIVE_TIME)
def test_keepalive_sysctls_set_the_idle_time_interval_and_count(ex, dut, endpoints, bed):
    set_dut_sysctl(bed, *KEEPALIVE_TIME)
    set_dut_sysctl(bed, "net.ipv4.tcp_keepalive_intvl", str(INTERVAL_S))
    set_dut_sysctl(bed, "net.ipv4.tcp_keepalive_probes", str(PROBES))
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    probe = _first_probe(dut, peer)
    _unanswered_then_reset(peer, probe, PROBES - 1)
