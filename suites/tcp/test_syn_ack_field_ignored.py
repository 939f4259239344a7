"""RFC 9293 3.1: the acknowledgment field carries a value only when the ACK bit is set, so a
SYN (ACK bit off) with garbage in that field is an ordinary SYN: a listener answers it with a
SYN-ACK, a closed port with <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> (3.10.7.1, 3.10.7.2).
(Found by fuzzing pytcp, which ignores such SYNs.)"""

import pytest

from conformance.author.tcp_connection import seq_add

from .conftest import LISTEN_PORT

pytestmark = pytest.mark.families("ipv4", "ipv6")

GARBAGE_ACK = 0x8000_0001


@pytest.mark.requirement("RFC9293-3.1-MUST-ignore-ack-field-without-ack",
                         "RFC9293-3.10.7.2-MUST-listen-syn")
def test_syn_with_ack_field_set_gets_syn_ack_from_listener(ex, listener):
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S", ack=GARBAGE_ACK)
    conn.expect(flags="SA", ack=seq_add(conn.isn, 1))


@pytest.mark.requirement("RFC9293-3.1-MUST-ignore-ack-field-without-ack",
                         "RFC9293-3.10.7.1-MUST-closed-rst-ack")
def test_syn_with_ack_field_set_gets_rst_from_closed_port(ex):
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S", ack=GARBAGE_ACK)
    conn.expect(flags="RA", seq=0, ack=seq_add(conn.isn, 1), immediate=True)
