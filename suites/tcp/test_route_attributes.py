"""The DUT's route to the tester chooses what the RFCs leave to the host, per destination
(issue 18): the MSS announced (RFC 9293 3.7.1, RFC 6691 2: from the route's mtu or advmss),
the size of the segments sent (the route's mtu is the path MTU, RFC 1191 3 / RFC 8201 4), the
window of the SYN,ACK (RFC 9293 3.8.6.2.2: initrwnd segments), the initial window (RFC 5681
3.1: initcwnd segments) and the delayed ACK (RFC 1122 4.2.3.2: quickack sends every ACK at
once). Each test changes the route of its own family (``ip route change``,
conformance.author.dut_route) before it opens a connection; the lockstep oracle follows the
same change, and the route of the other family keeps its defaults. Linux's numbers, measured
on 6.18: reference_stack/route_metrics.py, tests/unit/refstack/test_route_metrics.py."""

import dataclasses

import pytest

from conformance.author.before_bed import before_bed
from conformance.author.dut_route import require_dut_route, set_dut_route
from reference_stack.route_metrics import RouteMetrics, announced_mss, send_mss_limit
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import dissect

from .flight import reno_congestion_control
from .options import syn_options, timestamps_reserve
from .states import LISTEN_PORT, listen, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

# Each test's route attributes, set at its start (_routed): skipped before its bed is made
# where the target has no routing table (conformance.author.before_bed).
MTU_1400 = {"mtu": 1400}
ADVMSS_1000 = {"advmss": 1000}
INITRWND_4 = {"initrwnd": 4}
INITCWND_4 = {"initcwnd": 4}
QUICKACK = {"quickack": 1}


def _data(flags: int) -> bool:
    """a segment without SYN, FIN or RST"""
    return not flags & (tcpw.SYN | tcpw.FIN | tcpw.RST)


def _open(ex, dut, endpoints, mss: int = 1460):
    """The tester opens a connection (SYN with MSS ``mss`` and timestamps), the DUT accepts:
    (conn, fd, the SYN,ACK)."""
    listener = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(mss=mss))
    synack = conn.handshake()
    fd, _ = dut.accept(listener)
    return conn, fd, synack


def _routed(ex, bed, **attrs) -> tuple[RouteMetrics, int, bool]:
    """The DUT's route of the test's family given ``attrs`` (what it had before kept: a
    run's --dut-setup), the link MTU and whether it is IPv6: what the expected sizes follow."""
    set_dut_route(bed, ex.family.wire, **attrs)
    p = bed.oracle_profile
    ipv6 = ex.family.wire == "ipv6"
    route = dataclasses.replace(p.route6 if ipv6 else p.route4,
                                **{k: bool(v) if k == "quickack" else v for k, v in attrs.items()})
    return route, p.mtu, ipv6


def _ts(bed) -> int:
    """The Timestamps option's octets in each data segment (none with tcp_timestamps=0)."""
    return timestamps_reserve(bed.oracle_profile)


@pytest.mark.requirement("RFC6691-2-MUST-mss-from-mtu", "RFC9293-3.7.1-MUST-mss-option-in-syn")
@before_bed(require_dut_route, **MTU_1400)
def test_route_mtu_sets_the_mss_and_the_segments(ex, dut, endpoints, bed):
    route, mtu, ipv6 = _routed(ex, bed, **MTU_1400)  # (1360 over IPv4, 1340 over IPv6)
    conn, fd, synack = _open(ex, dut, endpoints)
    assert synack.mss == announced_mss(route, mtu, ipv6), synack.summary()
    dut.send(fd, bytes(3000))
    seg = conn.expect(flags=_data, seq=conn.rcv_nxt)
    assert len(seg.payload) == min(1460, send_mss_limit(route, mtu, ipv6)) - _ts(bed)


@pytest.mark.requirement("RFC6691-2-MUST-mss-from-mtu")
@before_bed(require_dut_route, **ADVMSS_1000)
def test_route_advmss_sets_the_mss_announced_not_the_segments(ex, dut, endpoints, bed):
    route, mtu, ipv6 = _routed(ex, bed, **ADVMSS_1000)
    conn, fd, synack = _open(ex, dut, endpoints)
    assert synack.mss == 1000, synack.summary()
    dut.send(fd, bytes(3000))
    seg = conn.expect(flags=_data, seq=conn.rcv_nxt)
    # the peer's MSS or the path MTU's (1448 over IPv4 on Ethernet, 1428 over IPv6)
    assert len(seg.payload) == min(1460, send_mss_limit(route, mtu, ipv6)) - _ts(bed)


@pytest.mark.requirement("RFC9293-3.8.6.2.2-MAY-receive-buffer-size")
@before_bed(require_dut_route, **INITRWND_4)
def test_route_initrwnd_bounds_the_syn_acks_window(ex, dut, endpoints, bed):
    route, mtu, ipv6 = _routed(ex, bed, **INITRWND_4)
    _, _, synack = _open(ex, dut, endpoints)
    # four segments of the MSS the window is rounded to (the DUT's, less the timestamps):
    # 4 * 1448 = 5792 over IPv4 on Ethernet
    assert synack.window == 4 * (announced_mss(route, mtu, ipv6) - _ts(bed)), synack.summary()


@pytest.mark.requirement("RFC5681-3.1-MUST-initial-window-bound")
@before_bed(require_dut_route, **INITCWND_4)
def test_route_initcwnd_sets_the_first_flight(ex, dut, endpoints, bed):
    _routed(ex, bed, **INITCWND_4)
    # What an ACK releases is the congestion control's: Reno's, which the oracle models (the
    # host's default may be BBR: a duplicate ACK of a connection without SACK, counted as a
    # delivered segment by tcp_add_reno_sack, grows BBR's window, bbr_set_cwnd).
    reno_congestion_control(bed)
    conn, fd, _ = _open(ex, dut, endpoints, mss=1000)
    dut.send(fd, bytes(8 * 1000))
    flight = [d.tcp for d in map(dissect, ex.settle())
              if d.tcp is not None and d.tcp.payload]
    # 4 segments, and perhaps one more: under load the tail loss probe after them (RFC 8985
    # 7.3: 10 ms at the least; SACK connections only), or without SACK the one a duplicate
    # ACK of the tester's lets go (RFC 3042 limited transmit: tcp_add_reno_sack counts it as
    # delivered, tcp_packets_in_flight); the lockstep oracle judges which and when.
    assert 4 <= len(flight) <= 5, [len(s.payload) for s in flight]


@pytest.mark.requirement("RFC1122-4.2.3.2-MUST-ack-delay-under-half-second",
                         "RFC9293-3.10.7.4-MUST-ack-text-fin")
@before_bed(require_dut_route, **QUICKACK)
def test_route_quickack_acknowledges_a_fin_at_once(ex, dut, endpoints, bed):
    # Without it Linux delays this ACK (tcp_fin: ping-pong mode; test_fin_ack_delayed.py):
    # with it, tcp_in_quickack_mode sends it before the barrier that follows the FIN.
    _routed(ex, bed, **QUICKACK)
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(flags="FA", advance=True)
    acks = [d.tcp for d in map(dissect, ex.settle())
            if d.tcp is not None and d.tcp.flags & tcpw.ACK and d.tcp.ack == peer.conn.snd_nxt]
    assert acks, "the FIN's ACK did not come before the barrier: delayed, as without quickack"
