"""RFC 9293 3.10.7.2: in LISTEN, a SYN is answered by a SYN-ACK acknowledging it."""

import pytest

from conformance.author.tcp_connection import seq_add

from .conftest import LISTEN_PORT

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.2-MUST-listen-syn")
def test_syn_to_listener_gets_syn_ack(ex, listener):
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    conn.expect(flags="SA", ack=seq_add(conn.isn, 1))
