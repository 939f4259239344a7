"""RFC 5681 3.1 (RFC 6928): a sender starts a connection's data with an initial window of a
few segments and sends more only as ACKs arrive; how many (IW, within the RFCs' bound) is the
sender's choice: Linux's TCP_INIT_CWND is 10, a route's initcwnd changes it. The test writes
one segment more than the initial window the oracle's profile gives (following the DUT's
route), takes the first flight, then acknowledges what came until all of it has; the lockstep oracle
judges how many segments the first flight held, and the behaviour fingerprint records it
(``tcp.initial_window``), so a kernel whose initial window changed shows in ``netconform
diff``."""

import pytest

from reference_stack.tcp.seq import seq_diff
from reference_stack.wire import tcp as tcpw

from .options import full_segment, syn_options
from .states import listen, passive_open

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _data(flags: int) -> bool:
    """a segment without SYN, FIN or RST"""
    return not flags & (tcpw.SYN | tcpw.FIN | tcpw.RST)


def initial_window_segments(profile, mss: int) -> int:
    """The profile's initial window in segments: its own count, else RFC 5681 3.1's."""
    segments = profile.initial_cwnd()  # (the IPv4 route's initcwnd, else the stack's)
    if segments is not None:
        return segments
    return 2 if mss > 2190 else (3 if mss > 1095 else 4)


@pytest.mark.requirement("RFC9293-3.8.2-MUST-congestion-control")
def test_first_flight_is_the_initial_window_and_acks_release_the_rest(ex, dut, endpoints, bed):
    mss = full_segment(ex.family)
    iw = initial_window_segments(bed.oracle_profile, mss)
    # Without SACK, so no tail loss probe on any target (RFC 8985 7.2 probes need SACK: gVisor
    # rack.go shouldSchedulePTO, Linux tcp_schedule_loss_probe): netstack's probe timeout is
    # 2 SRTT with no floor (rack.go schedulePTO), about 1 ms after a handshake over a veth, so
    # on a loaded machine it fired before netstack read the tester's ACK of the first flight
    # (the ACK sent 0.2 ms before the oracle's PTO, the probe resending segment 10 with the
    # TSecr before it); the oracle, replaying the tester's times, had the ACK first.
    lst = listen(dut, endpoints, family=ex.family)
    conn, fd = passive_open(ex, dut, endpoints, lst, syn_options=syn_options(sack=False))
    total = (iw + 1) * mss
    start = conn.rcv_nxt
    dut.send(fd, b"w" * total)
    for _ in range(iw):
        conn.expect(flags=_data, seq=conn.rcv_nxt)
    for _ in range(2 * iw):  # a stack with a smaller MSS has more segments to send
        if seq_diff(conn.rcv_nxt, start) >= total:
            break
        conn.send(flags="A", ack=conn.rcv_nxt)
        conn.expect(flags=_data, seq=conn.rcv_nxt)
    assert seq_diff(conn.rcv_nxt, start) == total
