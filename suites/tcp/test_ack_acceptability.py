"""RFC 9293 3.10.7.4 (fifth check, the ACK field) and RFC 5961 5.2 (blind data injection): a
segment whose ACK acknowledges data never sent (SEG.ACK > SND.NXT), or is older than
SND.UNA - MAX.SND.WND, is answered with an ACK and dropped (in ESTABLISHED its text is not
delivered), in every synchronized state; a segment whose ACK lies in
[SND.UNA - MAX.SND.WND, SND.NXT] is acceptable."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import SYNCHRONIZED, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

DATA = b"injected?"
# SEG.ACK relative to the DUT's SND.NXT (= SND.UNA here: everything the DUT sent is acked)
CASES = {
    "ack-of-unsent-data": (1000, False),
    "ack-far-in-the-past": (-(1 << 30), False),
    "ack-equal-snd-una": (0, True),
    "ack-slightly-old": (-1, True),
}


@pytest.mark.requirement(
    "RFC9293-3.10.7.4-MUST-ack-unsent",
    "RFC5961-5.2-MUST-ack-of-unsent-dropped",
    "RFC5961-5.2-MUST-ack-too-old",
    "RFC9293-3.10.7.4-MUST-duplicate-ack-ignored",
)
@pytest.mark.parametrize("case", CASES)
def test_ack_field_decides_whether_text_is_accepted(ex, dut, endpoints, case):
    offset, acceptable = CASES[case]
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    # The DUT sends a little data first, so SND.UNA and MAX.SND.WND are meaningful.
    dut.send(peer.fd, b"hello")
    peer.conn.expect_data(b"hello")
    peer.conn.ack()
    ack = seq_add(peer.dut_snd_nxt, offset)
    if acceptable:
        peer.send(DATA, flags="PA", ack=ack, advance=True)
        peer.expect_ack()
        assert dut.recv(peer.fd, 100) == DATA
        return
    peer.send(DATA, flags="PA", ack=ack)
    peer.expect_ack(immediate=True)  # (the answer to an unacceptable ACK is immediate)
    value, err = dut.recv_with_errno(peer.fd, 100, 0)
    assert err != 0, f"the DUT delivered text carried by an unacceptable ACK: {value!r}"


UNACCEPTABLE = {"ack-of-unsent-data": 1000, "ack-far-in-the-past": -(1 << 30)}


@pytest.mark.requirement(
    "RFC9293-3.10.7.4-MUST-ack-unsent",
    "RFC5961-5.2-MUST-ack-of-unsent-dropped",
    "RFC5961-5.2-MUST-ack-too-old",
)
@pytest.mark.parametrize("case", UNACCEPTABLE)
@pytest.mark.parametrize("state", [s for s in SYNCHRONIZED if s != "ESTABLISHED"])
def test_unacceptable_ack_is_answered_in_closing_states(ex, dut, endpoints, state, case):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="A", ack=seq_add(peer.dut_snd_nxt, UNACCEPTABLE[case]))
    peer.expect_ack(immediate=True)  # (the answer to an unacceptable ACK is immediate)
    peer.expect_alive()
