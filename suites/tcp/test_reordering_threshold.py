"""RFC 5681 3.2: the third duplicate ACK (RFC 5681 2's definition: no data, SEG.ACK = SND.UNA,
the window unchanged, data outstanding) starts fast retransmit of the first unacknowledged
segment; before it the sender retransmits nothing. Linux counts duplicate ACKs against
tp->reordering, which starts at net.ipv4.tcp_reordering (tcp_time_to_recover: a connection
without SACK counts them in tcp_add_reno_sack), set here per test; the lockstep oracle
follows it (profile dupthresh). The connection has no SACK, so no tail loss probe (RFC 8985
7, Linux: SACK connections only) comes before the duplicate ACKs, and they come within
milliseconds, long before the RTO (200 ms at least)."""

import pytest

from reference_stack.wire import tcp as tcpw

from ..ipv4.dut_sysctl import set_dut_sysctl
from .flight import initial_window_for
from .options import dut_send_limit, syn_options, timestamps_reserve
from .states import LISTEN_PORT, listen

pytestmark = pytest.mark.families("ipv4", "ipv6")
SEGMENTS = 8  # within the initial window: all sent at once


def _data(flags: int) -> bool:
    """a segment without SYN, FIN or RST"""
    return not flags & (tcpw.SYN | tcpw.FIN | tcpw.RST)


@pytest.mark.requirement("RFC5681-3.2-MUST-fast-retransmit")
@pytest.mark.parametrize("reordering", [3, 5])
def test_fast_retransmit_at_the_duplicate_ack_threshold(ex, dut, endpoints, bed, reordering):
    initial = initial_window_for(ex, bed, SEGMENTS)  # (an operator's smaller one raised)
    if initial is not None and initial < SEGMENTS:
        pytest.skip(f"the DUT's initial window is {initial} segments (RFC 5681 3.1): the "
                    f"test needs {SEGMENTS} in flight")
    set_dut_sysctl(bed, "net.ipv4.tcp_reordering", str(reordering))
    listener = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(sack=False))
    conn.handshake()
    fd, _ = dut.accept(listener)
    p = bed.oracle_profile  # (a route's mtu makes the DUT's segments smaller: tcp_sync_mss)
    size = min(1460, dut_send_limit(p, ex.family.wire == "ipv6")) - timestamps_reserve(p)
    dut.send(fd, b"r" * size * SEGMENTS)
    first = conn.expect(flags=_data, seq=conn.rcv_nxt)
    for _ in range(SEGMENTS - 1):
        conn.expect(flags=_data, seq=conn.rcv_nxt)
    for i in range(1, reordering + 1):
        conn.send(flags="A", ack=first.seq)  # a duplicate ACK: the first segment is lost
        if i < reordering:
            conn.expect_nothing()
    again = conn.expect(flags=_data, seq=first.seq, timeout=0.1)
    assert again.payload == first.payload
