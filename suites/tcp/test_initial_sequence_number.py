"""RFC 9293 3.4.1 (MUST-8) and RFC 6528: initial sequence numbers are chosen by a clock-driven,
per-connection randomised generator: successive connections get different ISNs."""

import pytest

from .states import LISTEN_PORT, listen

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.4.1-MUST-isn-clock-driven")
def test_successive_connections_get_different_isns(ex, dut, endpoints):
    listen(dut, endpoints, family=ex.family)
    isns = []
    for _ in range(3):
        conn = ex.tcp(dut_port=LISTEN_PORT)
        conn.send(flags="S")
        isns.append(conn.expect(flags="SA").seq)
    assert len(set(isns)) == 3, isns
