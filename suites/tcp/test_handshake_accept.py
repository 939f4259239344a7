"""RFC 9293 3.5: the three-way handshake completes and the passive open (accept) returns."""

import pytest

pytestmark = pytest.mark.families()


@pytest.mark.requirement(
    "RFC9293-3.5-MUST-three-way-handshake",
    "RFC9293-3.10.1-MUST-passive-open",
    "RFC9293-3.10.1-MUST-passive-open-complete",
)
def test_handshake_completes_and_accept_returns(established):
    conn, fd = established
    assert fd >= 0
    assert conn.their_isn is not None
