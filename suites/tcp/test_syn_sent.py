"""RFC 9293 3.10.7.3: segments arriving in SYN-SENT (the DUT opened actively): an acceptable
SYN-ACK completes the handshake; an unacceptable ACK elicits <SEQ=SEG.ACK><CTL=RST>; a RST with
an acceptable ACK refuses the connection; a RST without an (acceptable) ACK is dropped."""

import errno

import pytest

from conformance.author.tcp_connection import seq_add

from .states import connect_error, start_active_open

pytestmark = pytest.mark.families()


@pytest.mark.requirement(
    "RFC9293-3.10.7.3-MUST-synack-established",
    "RFC9293-3.5-MUST-three-way-handshake",
    "RFC9293-3.10.1-MUST-active-open",
    "RFC9293-3.10.1-MUST-active-open-syn",
)
def test_acceptable_syn_ack_completes_active_open(ex, dut, endpoints):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    conn.send(flags="SA")
    conn.expect(flags="A", seq=seq_add(syn.seq, 1), ack=conn.snd_nxt)
    assert connect_error(dut, fd) == 0
    dut.send(fd, b"after connect")
    conn.expect_data(b"after connect")


BAD_ACKS = {"ack-equal-iss": 0, "ack-below-iss": -100, "ack-beyond-snd-nxt": 2}


@pytest.mark.requirement("RFC9293-3.10.7.3-MUST-bad-ack-rst")
@pytest.mark.parametrize("flags", ["SA", "A"], ids=["syn-ack", "ack"])
@pytest.mark.parametrize("bad", BAD_ACKS)
def test_unacceptable_ack_in_syn_sent_gets_rst(ex, dut, endpoints, bad, flags):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    ack = seq_add(syn.seq, BAD_ACKS[bad])
    conn.send(flags=flags, ack=ack, advance=False)
    conn.expect(flags="R", seq=ack, immediate=True)  # (a reset answers the segment at once)


@pytest.mark.requirement("RFC9293-3.10.7.3-MUST-rst-refused")
def test_rst_with_acceptable_ack_refuses_connection(ex, dut, endpoints):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    conn.send(flags="RA", ack=seq_add(syn.seq, 1), advance=False)
    conn.expect_nothing()
    assert connect_error(dut, fd) == errno.ECONNREFUSED


@pytest.mark.requirement(
    "RFC9293-3.10.7.3-MUST-rst-no-ack-drop",
    "RFC9293-3.10.7.3-MUST-bad-ack-rst-drop",
)
@pytest.mark.parametrize("ack", [None, 0], ids=["no-ack-bit", "unacceptable-ack"])
def test_rst_without_acceptable_ack_is_dropped(ex, dut, endpoints, ack):
    conn, fd, syn = start_active_open(ex, dut, endpoints)
    if ack is None:
        conn.send(flags="R", ack=0, advance=False)
    else:
        conn.send(flags="RA", ack=syn.seq, advance=False)
    conn.expect_nothing()
    conn.send(flags="SA")
    conn.expect(flags="A", ack=conn.snd_nxt)
    assert connect_error(dut, fd) == 0
