"""RFC 9293 3.10.4: after CLOSE (here shutdown(SHUT_WR)) the FIN follows all data sent before
it. When that data fills the initial congestion window (RFC 5681 3.1, RFC 6928) and none of it
is acknowledged yet, when the FIN goes out is the stack's choice (RFC 5681 limits data, a lone
FIN may go at once or wait for the window, as Linux's tcp_write_xmit makes it); once the data is
acknowledged the FIN follows, and the tester's ACK of it completes FIN-WAIT-1.

A tail loss probe may also carry the FIN: when shutdown() comes before the probe timer (about two
smoothed RTTs after the last segment, RFC 8985 7.2) runs, the probe sends it as new data beyond
the congestion window (RFC 8985 7.3; Linux's tcp_send_loss_probe, tcp_write_xmit push_one=2).
On an idle machine the probe has run before shutdown(); on a loaded one the handshake's RTT
sample is larger and it has not. Either way the lockstep oracle judges when the FIN went. A
kernel DUT sends no probes here (flight.no_tail_loss_probes): its probe timer, milliseconds on a
veth, raced the tester's ACK on a loaded machine (hog check: the last segment sent again before
the DUT read the ACK, where the oracle's replay had the ACK first)."""

import socket

import pytest

from conformance.author import templates
from conformance.author.tcp_connection import seq_add
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import dissect

from .flight import no_tail_loss_probes
from .options import full_segment
from .states import listen, passive_open

pytestmark = pytest.mark.families("ipv4", "ipv6")

SEGMENTS = 10  # Linux's initial window (TCP_INIT_CWND, RFC 6928)


def _no_fin(flags: int) -> bool:
    """a segment without FIN"""
    return not flags & tcpw.FIN


def _has_fin(flags: int) -> bool:
    """a segment with FIN"""
    return bool(flags & tcpw.FIN)


@pytest.mark.requirement("RFC9293-3.6-MUST-orderly-close", "RFC9293-3.8.2-MUST-congestion-control")
@pytest.mark.needs(initial_cwnd_segments=SEGMENTS)  # (a route's initcwnd changes it)
def test_fin_after_data_filling_the_congestion_window(ex, dut, endpoints, bed):
    no_tail_loss_probes(bed)
    lst = listen(dut, endpoints, family=ex.family)
    conn, fd = passive_open(ex, dut, endpoints, lst)
    mss = full_segment(ex.family)
    dut.send(fd, b"d" * (SEGMENTS * mss))
    for _ in range(SEGMENTS):
        conn.expect(flags=_no_fin, seq=conn.rcv_nxt)
    dut.shutdown(fd, socket.SHUT_WR)
    early = [f for f in ex.settle() if templates.matches(conn.template(flags=_has_fin), f)]
    assert len(early) <= 1, f"{len(early)} FINs before the data was acknowledged"
    conn.send(flags="A", ack=conn.rcv_nxt)
    fin = dissect(early[0]).tcp if early else conn.expect(flags=_has_fin, timeout=1.0)
    assert seq_add(fin.seq, len(fin.payload)) == conn.rcv_nxt - 1 or fin.payload == b""
