"""RFC 9293 3.10.7.4 and 3.10.2: data flows both ways and is acknowledged."""

import pytest

pytestmark = pytest.mark.families()


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-text-deliver", "RFC9293-3.10.2-MUST-send-data")
def test_data_both_ways(established, dut):
    conn, fd = established
    conn.send_data(b"hello from the tester")
    conn.expect(flags="A", ack=conn.snd_nxt)
    assert dut.recv(fd, 100) == b"hello from the tester"
    dut.send(fd, b"hello from the DUT")
    conn.expect_data(b"hello from the DUT")
    conn.ack()
