"""RFC 1122 4.2.2.5 and RFC 9293 3.2: a TCP receives options in any
segment, ignores options it does not implement, and survives an illegal option length."""

import pytest

from conformance.author.tcp_connection import seq_add
from reference_stack.wire import tcp as tcpw

from .options import dut_mss, syn_options
from .states import LISTEN_PORT, listen, reach

UNKNOWN = tcpw.TcpOptUnknown(253, b"\x4e\x43")


@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-ignore-unknown-options")
def test_unknown_option_in_syn_is_ignored(ex, dut, endpoints, bed):
    listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=(UNKNOWN, *syn_options()))
    conn.send(flags="S")
    synack = conn.expect(flags="SA", ack=conn.snd_nxt)
    assert synack.mss == dut_mss(bed.oracle_profile)  # 1460 on Ethernet


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-ignore-unknown-options")
def test_unknown_option_in_data_segment_is_ignored(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    options = (UNKNOWN, tcpw.TcpOptNop(), tcpw.TcpOptNop(),
               tcpw.TcpOptTimestamps(peer.conn.ts_val, peer.conn.ts_recent))
    peer.send(b"with an odd option", flags="PA", options=options, advance=True)
    peer.expect_ack()
    assert dut.recv(peer.fd, 100) == b"with an odd option"


MALFORMED = {
    "length-zero": tcpw.TcpOptMalformed(b"\x02\x00\x05\xb4"),
    "length-one": tcpw.TcpOptMalformed(b"\x08\x01\x00\x00"),
    "length-past-header": tcpw.TcpOptMalformed(b"\x02\x28\x05\xb4"),
}


@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-handle-illegal-option-length")
@pytest.mark.parametrize("option", MALFORMED)
def test_illegal_option_length_does_not_break_the_stack(ex, dut, endpoints, option):
    listen(dut, endpoints)
    bad = ex.tcp(dut_port=LISTEN_PORT, syn_options=(MALFORMED[option],))
    bad.send(flags="S")  # answered or not (RFC 1122 suggests a reset): the stack must go on
    good = ex.tcp(dut_port=LISTEN_PORT)
    good.send(flags="S")
    good.expect(flags="SA", ack=seq_add(good.isn, 1))
