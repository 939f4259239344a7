"""RFC 9293 3.10.1 (OPEN, passive) and 3.10.7.2: a listening socket accepts as many connections
as its backlog allows; a SYN beyond that is not refused with a RST (the peer will retry)."""

import pytest

from conformance.author.before_bed import before_bed

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .states import LISTEN_PORT, has_rst, listen, stateless_listener

pytestmark = pytest.mark.families("ipv4", "ipv6", "ipv4-mapped")

RTO_S = 1.0  # RFC 6298 2.1: the SYN,ACK's first retransmission
ABORT = "net.ipv4.tcp_abort_on_overflow"  # set per test (skipped before its bed where it cannot)


@pytest.mark.requirement("RFC9293-3.10.1-MAY-listen-backlog")
@pytest.mark.parametrize("backlog", [1, 4])
def test_connections_up_to_backlog_are_accepted(ex, dut, endpoints, backlog):
    listener = listen(dut, endpoints, backlog=backlog, family=ex.family)
    conns = [ex.tcp(dut_port=LISTEN_PORT) for _ in range(backlog)]
    for conn in conns:
        conn.handshake()
    accepted = {dut.accept(listener)[1][1] for _ in conns}
    assert accepted == {conn.tester_port for conn in conns}


@pytest.mark.requirement("RFC9293-3.10.1-MAY-listen-backlog")
def test_syns_beyond_backlog_are_not_reset(ex, dut, endpoints):
    listener = listen(dut, endpoints, backlog=1, family=ex.family)
    first = ex.tcp(dut_port=LISTEN_PORT)
    first.handshake()  # queued for accept, which nobody calls yet
    for _ in range(4):
        conn = ex.tcp(dut_port=LISTEN_PORT)
        conn.send(flags="S")
        ex.expect_nothing(*conn.template(flags=has_rst))
    _, peer = dut.accept(listener)
    assert peer == ex.family.peer(endpoints, first.tester_port)


@pytest.mark.requirement("RFC9293-3.10.1-MAY-listen-backlog")
@pytest.mark.parametrize("abort", [
    pytest.param(value, id=name, marks=before_bed(require_dut_sysctl, ABORT, value))
    for name, value in (("drop", "0"), ("abort", "1"))])
def test_last_ack_to_a_full_accept_queue(ex, dut, endpoints, bed, abort):
    """The handshake's last ACK while the accept queue holds more than the backlog: Linux
    (tcp_check_req, listen_overflow; net.ipv4.tcp_abort_on_overflow, set per test) drops it
    and repeats the SYN,ACK on its timer (0), or answers <SEQ=SEG.ACK><CTL=RST> (1); a SYN
    cookie's ACK is dropped either way (measured on Linux 6.18). RFC 9293 3.10.1 leaves the
    backlog open; the lockstep oracle judges the rest. Wait: the SYN,ACK's retransmission
    after 1 s, 1 s of margin."""
    set_dut_sysctl(bed, ABORT, abort)
    listener = listen(dut, endpoints, backlog=1, family=ex.family)
    first = ex.tcp(dut_port=LISTEN_PORT)
    first.handshake()  # queued for accept, which nobody calls yet
    second, third = ex.tcp(dut_port=LISTEN_PORT), ex.tcp(dut_port=LISTEN_PORT)
    for conn in (second, third):
        conn.send(flags="S")
        conn.expect(flags="SA", ack=conn.snd_nxt)
    second.send(flags="A")  # the queue holds two, one more than the backlog (Linux allows it)
    third.send(flags="A")  # full now (sk_acceptq_is_full)
    if stateless_listener(bed):
        third.expect_nothing()
    elif abort == "1":
        third.expect(flags="R", seq=third.rcv_nxt)
    else:
        third.expect(flags="SA", seq=third.their_isn, timeout=RTO_S + 1.0)
    accepted = {dut.accept(listener)[1][1] for _ in range(2)}
    assert accepted == {first.tester_port, second.tester_port}
