"""RFC 9293 3.10.7.2: in LISTEN, an incoming RST is ignored (the listener stays usable)."""

import pytest

from conformance.author.tcp_connection import seq_add

from .conftest import LISTEN_PORT

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.2-MUST-listen-rst-ignore")
def test_rst_to_listener_is_ignored(ex, listener):
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="R", advance=False)
    conn.expect_nothing()
    conn.send(flags="S")
    conn.expect(flags="SA", ack=seq_add(conn.isn, 1))
