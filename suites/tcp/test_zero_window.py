"""RFC 9293 3.8.6.1 and RFC 1122 4.2.2.17: with data to send and a zero send window, the DUT
sends no data beyond the window but probes the window regularly, and it keeps the connection
while the peer answers the probes with a zero window; once the window opens, data flows.

Waits: the DUT's persist timer (its RTO, about 0.2 s on Linux, then doubling): under 2 s."""

import pytest

from reference_stack.wire import tcp as tcpw

from .states import LISTEN_PORT, listen

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _accepted_into_a_zero_window(ex, dut, endpoints):
    """A passive open whose handshake's last ACK offers a zero window: (the tester's
    connection, the accepted fd, SND.UNA of the DUT)."""
    listener = listen(dut, endpoints, family=ex.family)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    conn.expect(flags="SA", ack=conn.snd_nxt)
    conn.send(flags="A", window=0)
    fd, _ = dut.accept(listener)
    conn.window = 0
    return conn, fd, conn.rcv_nxt


@pytest.mark.requirement(
    "RFC9293-3.8.6.1-MUST-zero-window-probe",
    "RFC1122-4.2.2.17-MUST-zero-window-probe",
    "RFC9293-3.8.6.1-MUST-keep-zero-window-open",
    "RFC1122-4.2.2.17-MUST-not-close-on-zero-window",
)
def test_zero_window_is_probed_and_reopens(ex, dut, endpoints):
    conn, fd, una = _accepted_into_a_zero_window(ex, dut, endpoints)
    dut.send(fd, b"waiting for a window")
    for _ in range(2):
        probe = conn.expect(flags=None, timeout=2.0)
        beyond = (probe.seq - una) & 0xFFFF_FFFF
        assert len(probe.payload) <= 1 and (beyond == 0 or beyond > 1 << 31), probe.summary()
        conn.send(flags="A", window=0)
    conn.window = 64240
    conn.send(flags="A")
    data = conn.expect(b"waiting for a window", flags=None, timeout=3.0)
    assert data.seq == una


@pytest.mark.requirement("RFC9293-3.10.4-MUST-send-fin")
def test_fin_after_close_on_a_zero_window(ex, dut, endpoints):
    # RFC 9293 3.10.4: after CLOSE the FIN follows the data sent. Whether it goes into a zero
    # window at once or waits for the window (a probe meanwhile) is judged by the lockstep
    # oracle with the target's profile (measured on Linux 6.18: tcp_snd_wnd_test holds it,
    # the persist timer probes with <SEQ=SND.UNA-1> after its RTO); once the window opens it
    # comes.
    conn, fd, una = _accepted_into_a_zero_window(ex, dut, endpoints)
    dut.close(fd)
    first = conn.expect(flags=None, timeout=2.0)  # the FIN at once, or a window probe
    if not first.flags & tcpw.FIN:
        conn.window = 64240
        conn.send(flags="A")  # the window opens
        first = conn.expect(flags="FA", timeout=2.0)
    assert first.seq == una, first.summary()
