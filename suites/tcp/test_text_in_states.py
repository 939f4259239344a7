"""RFC 9293 3.10.7.4 (seventh, segment text) and 3.6.1: text in sequence is delivered in
ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 (a half-closed connection still receives); in CLOSE-WAIT,
CLOSING and LAST-ACK the peer already sent its FIN and new text is ignored."""

import pytest

from .states import has_rst, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

DELIVERED = ("ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2")
IGNORED = ("CLOSE-WAIT", "CLOSING", "LAST-ACK")


@pytest.mark.requirement(
    "RFC9293-3.10.7.4-MUST-text-deliver",
    "RFC9293-3.6.1-MUST-half-closed-receive",
)
@pytest.mark.parametrize("state", DELIVERED)
def test_text_is_delivered(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(b"more data", flags="PA", advance=True)
    peer.expect_ack()
    assert dut.recv(peer.fd, 100) == b"more data"


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-text-ignore")
@pytest.mark.parametrize("state", IGNORED)
def test_text_after_peer_fin_is_ignored(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(b"after my FIN", flags="PA")
    ex.expect_nothing(*peer.conn.template(flags=has_rst))  # ignored: not a reason to reset
    assert dut.recv(peer.fd, 100) == b"", "text after the peer's FIN reached the application"
