"""RFC 9293 3.10.7.4 (first check): a segment whose sequence number is not acceptable
(left of RCV.NXT, or right of RCV.NXT+RCV.WND) is answered with <SEQ=SND.NXT><ACK=RCV.NXT>
<CTL=ACK> and dropped: its text is never delivered."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import ALL_SYNCHRONIZED, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

OFFSETS = {"left-of-window": -3000, "right-of-window": 1 << 30}


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check",
                         "RFC1122-4.2.2.12-MUST-unacceptable-dropped")
@pytest.mark.parametrize("where", OFFSETS)
@pytest.mark.parametrize("state", ALL_SYNCHRONIZED)
def test_data_outside_window_is_acked_and_dropped(ex, dut, endpoints, state, where):
    peer = reach(state, ex, dut, endpoints)
    peer.send(b"X" * 100, flags="PA", seq=seq_add(peer.conn.snd_nxt, OFFSETS[where]))
    peer.expect_ack()
    if state == "ESTABLISHED":
        value, err = dut.recv_with_errno(peer.fd, 1000, 0)
        assert value is None and err != 0, f"the DUT delivered out-of-window text {value!r}"


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
def test_bare_ack_right_of_window_is_acked(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(flags="A", seq=seq_add(peer.conn.snd_nxt, 1 << 30))
    peer.expect_ack()
