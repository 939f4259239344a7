"""RFC 9293 3.10.7.1: a SYN to a CLOSED port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>."""

import pytest

from conformance.author.tcp_connection import seq_add


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-rst-ack")
def test_syn_to_closed_port_gets_rst_ack(ex):
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S")
    conn.expect(flags="RA", seq=0, ack=seq_add(conn.isn, 1))
