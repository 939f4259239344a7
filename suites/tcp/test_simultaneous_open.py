"""RFC 9293 3.5 (figure 8, MUST-10): simultaneous open. A SYN received in SYN-SENT moves the
DUT to SYN-RECEIVED, answered with <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; the peer's SYN-ACK then
establishes the connection."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import connect_error, has_rst, start_active_open

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement(
    "RFC9293-3.5-MUST-simultaneous-open",
    "RFC9293-3.10.7.3-MUST-simultaneous-open",
)
def test_simultaneous_open_establishes(ex, dut, endpoints):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    conn.send(flags="S", ack=0)  # our SYN crosses theirs
    conn.expect(flags="SA", seq=syn.seq, ack=conn.snd_nxt, immediate=True)
    conn.send(flags="SA", seq=conn.isn, advance=False)
    conn.ex.expect_nothing(*conn.template(flags=has_rst))  # that SYN-ACK is fine: no RST
    assert connect_error(dut, fd) == 0
    dut.send(fd, b"simultaneous")
    conn.expect_data(b"simultaneous")
    assert conn.last.seq == seq_add(syn.seq, 1)
