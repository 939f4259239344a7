"""RFC 9293 3.10.7.1: a segment for a connection that does not exist (CLOSED) elicits a RST:
<SEQ=SEG.ACK><CTL=RST> when it carries an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
a RST is never answered."""

import pytest

from conformance.author.tcp_connection import seq_add

pytestmark = pytest.mark.families("ipv4", "ipv6")

CLOSED_PORT = 9
SEQ = 0x2000_0000
ACK = 0x3000_0000

# segment sent: (flags, payload) -> expected reply fields (None: no reply)
CASES = {
    "syn-with-data": ("S", b"hello", dict(flags="RA", seq=0, ack=seq_add(SEQ, 6))),
    "fin": ("F", b"", dict(flags="RA", seq=0, ack=seq_add(SEQ, 1))),
    "data-without-ack": ("P", b"12345", dict(flags="RA", seq=0, ack=seq_add(SEQ, 5))),
    "bare-ack": ("A", b"", dict(flags="R", seq=ACK)),
    "data-with-ack": ("PA", b"12345", dict(flags="R", seq=ACK)),
    "syn-ack": ("SA", b"", dict(flags="R", seq=ACK)),
    "fin-ack": ("FA", b"", dict(flags="R", seq=ACK)),
}


@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-rst-ack",
                         "RFC9293-3.10.7.1-MUST-closed-ack-rst",
                         "RFC9293-3.10.7.1-MUST-closed-ack-rst")
@pytest.mark.parametrize("case", CASES)
def test_segment_to_closed_port_gets_rst(ex, case):
    flags, payload, reply = CASES[case]
    conn = ex.tcp(dut_port=CLOSED_PORT, isn=SEQ)
    conn.send(payload, flags=flags, ack=ACK if "A" in flags else 0, advance=False)
    conn.expect(**reply, immediate=True)  # (a reset answers the segment at once)


@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-rst-drop")
@pytest.mark.parametrize("flags", ["R", "RA"])
def test_rst_to_closed_port_is_not_answered(ex, flags):
    conn = ex.tcp(dut_port=CLOSED_PORT, isn=SEQ)
    conn.send(flags=flags, ack=ACK if "A" in flags else 0, advance=False)
    conn.expect_nothing()
