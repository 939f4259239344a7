"""RFC 6437 3: a source labels every packet of a flow (a TCP connection) alike, and each
unrelated connection as a new flow. The value itself is the source's choice: the oracle
allows any (``ipv6.flow_label`` is allowed variance), the test checks the relations. Linux
(auto_flowlabels = 1) hashes the connection's addresses and ports (ip6_make_flowlabel)."""

import pytest

from conformance.author.family import IPV6

from ..tcp.states import listen, passive_open

MOD_LABEL = 1 << 20


def _labels(ex, dut, endpoints, listener):
    conn, fd = passive_open(ex, dut, endpoints, listener)
    dut.send(fd, b"labelled data")
    data = conn.expect_frame(b"labelled data")
    conn.ack()
    ex.settle()  # the ACK taken (its TSval echoed) before shutdown() sends the FIN
    dut.shutdown(fd, 1)
    fin = conn.expect_frame(flags="FA")
    return conn, [data.ipv6.flow_label, fin.ipv6.flow_label]


@pytest.mark.requirement("RFC6437-3-SHOULD-same-label-per-flow")
def test_one_connection_carries_one_flow_label(ex, dut, endpoints):
    ex.family = IPV6
    listener = listen(dut, endpoints, family=IPV6)
    _, labels = _labels(ex, dut, endpoints, listener)
    assert len(set(labels)) == 1, f"flow labels {[hex(x) for x in labels]}"


@pytest.mark.requirement("RFC6437-3-SHOULD-new-flow-per-connection")
def test_two_connections_are_two_flows(ex, dut, endpoints):
    ex.family = IPV6
    listener = listen(dut, endpoints, family=IPV6)
    _, first = _labels(ex, dut, endpoints, listener)
    _, second = _labels(ex, dut, endpoints, listener)
    assert first[0] != second[0] or first[0] == 0, f"both connections labelled {first[0]:#x}"
    assert all(0 <= x < MOD_LABEL for x in first + second)
