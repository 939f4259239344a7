"""RFC 9293 3.10.1 (OPEN, passive) and 3.10.7.2: a listening socket accepts as many connections
as its backlog allows; a SYN beyond that is not refused with a RST (the peer will retry)."""

import pytest

from .states import LISTEN_PORT, has_rst, listen


@pytest.mark.requirement("RFC9293-3.10.1-MAY-listen-backlog")
@pytest.mark.parametrize("backlog", [1, 4])
def test_connections_up_to_backlog_are_accepted(ex, dut, endpoints, backlog):
    listener = listen(dut, endpoints, backlog=backlog)
    conns = [ex.tcp(dut_port=LISTEN_PORT) for _ in range(backlog)]
    for conn in conns:
        conn.handshake()
    accepted = {dut.accept(listener)[1][1] for _ in conns}
    assert accepted == {conn.tester_port for conn in conns}


@pytest.mark.requirement("RFC9293-3.10.1-MAY-listen-backlog")
def test_syns_beyond_backlog_are_not_reset(ex, dut, endpoints):
    listener = listen(dut, endpoints, backlog=1)
    first = ex.tcp(dut_port=LISTEN_PORT)
    first.handshake()  # queued for accept, which nobody calls yet
    for _ in range(4):
        conn = ex.tcp(dut_port=LISTEN_PORT)
        conn.send(flags="S")
        ex.expect_nothing(*conn.template(flags=has_rst))
    _, peer = dut.accept(listener)
    assert peer == (endpoints.tester_ipv4, first.tester_port)
