"""RFC 9293 3.10.7.4 (fifth, LAST-ACK): the acknowledgment of our FIN in LAST-ACK closes the
connection: nothing more is sent, and a later segment finds no connection (RST)."""

import pytest

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-last-ack-ack")
def test_ack_of_fin_in_last_ack_closes(ex, dut, endpoints):
    peer = reach("LAST-ACK", ex, dut, endpoints)
    peer.conn.ack()  # acknowledges the DUT's FIN
    peer.conn.expect_nothing()
    peer.state = "CLOSED"
    peer.expect_closed()
