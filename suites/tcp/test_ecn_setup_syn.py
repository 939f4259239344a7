"""RFC 3168 6.1.1: a SYN with ECE and CWR is an ECN-setup SYN, which a host MAY answer with an
ECN-setup SYN-ACK (ECE set, CWR clear) or, not wishing to use ECN, with a plain SYN-ACK; a SYN
with only one of the two flags is not ECN-setup and its SYN-ACK carries neither. Either way the
handshake completes."""

import pytest

from conformance.author.tcp_connection import seq_add
from reference_stack.wire import tcp as tcpw

from .states import LISTEN_PORT

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _syn_ack(flags: int) -> bool:
    """a SYN-ACK"""
    return flags & (tcpw.SYN | tcpw.ACK | tcpw.RST) == tcpw.SYN | tcpw.ACK


@pytest.mark.requirement("RFC3168-6.1.1-MAY-ecn-setup-syn-ack",
                         "RFC9293-3.10.7.2-MUST-listen-syn")
@pytest.mark.parametrize("ecn", ["SEC", "SE", "SC"], ids=["ecn-setup", "ece-only", "cwr-only"])
def test_syn_ack_answers_ecn_setup_only(ex, dut, endpoints, listener, ecn):
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags=ecn)
    synack = conn.expect(flags=_syn_ack, ack=conn.snd_nxt)
    assert not synack.flags & tcpw.CWR, synack.summary()
    if ecn != "SEC":
        assert not synack.flags & tcpw.ECE, synack.summary()
    conn.send(flags="A", ack=seq_add(conn.their_isn, 1))
    fd, _ = dut.accept(listener)
    assert fd >= 0
