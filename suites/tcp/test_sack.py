"""RFC 2018 2-4: SACK-permitted appears in a SYN-ACK only if the SYN offered it; without it the
DUT never sends SACK blocks; with it, an ACK for out-of-order data carries SACK blocks, the first
one covering the segment that triggered the ACK, followed by the previously reported ones."""

import pytest

from conformance.author.tcp_connection import seq_add

from .options import sacked, syn_options
from .states import LISTEN_PORT, listen, passive_open


@pytest.mark.requirement("RFC2018-2-MUST-sack-permitted-only-in-syn")
@pytest.mark.parametrize("offered", [True, False], ids=["syn-with-sackok", "syn-without-sackok"])
def test_syn_ack_offers_sack_only_if_syn_did(ex, dut, endpoints, bed, offered):
    listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT, syn_options=syn_options(sack=offered))
    conn.send(flags="S")
    # RFC 2018 2: SACK is optional; a DUT with it off (net.ipv4.tcp_sack=0) never offers it
    assert conn.expect(flags="SA").sack_permitted == (offered and bed.oracle_profile.sack)
    conn.send(flags="A")
    conn.send(b"data", flags="PA")
    assert not conn.expect(flags="A", ack=conn.snd_nxt).sack_permitted


def _send_out_of_order(conn, offset: int, size: int) -> tuple[int, int]:
    left = seq_add(conn.snd_nxt, offset)
    conn.send(b"o" * size, flags="PA", seq=left, advance=False)
    return left, seq_add(left, size)


@pytest.mark.requirement(
    "RFC2018-4-SHOULD-sack-on-out-of-order",
    "RFC2018-4-MUST-first-block-most-recent",
    "RFC2018-4-SHOULD-repeat-recent-blocks",
    "RFC5681-3.2-SHOULD-immediate-dupack",
)
@pytest.mark.families("ipv4", "ipv6")
def test_out_of_order_data_is_sacked_most_recent_first(ex, dut, endpoints, listener, bed):
    # (a DUT with SACK off, net.ipv4.tcp_sack=0, answers with duplicate ACKs without blocks)
    p = bed.oracle_profile
    conn, fd = passive_open(ex, dut, endpoints, listener)
    first = _send_out_of_order(conn, 1000, 100)
    ack = conn.expect(flags="A", ack=conn.snd_nxt)
    assert ack.sack_blocks[:1] == sacked(p, first), ack.summary()
    second = _send_out_of_order(conn, 3000, 100)
    ack = conn.expect(flags="A", ack=conn.snd_nxt)
    assert ack.sack_blocks[:2] == sacked(p, second, first), ack.summary()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC2018-3-MUST-NOT-sack-unless-permitted")
def test_no_sack_blocks_unless_permitted(ex, dut, endpoints, listener):
    conn, fd = passive_open(ex, dut, endpoints, listener, syn_options=syn_options(sack=False))
    _send_out_of_order(conn, 1000, 100)
    ack = conn.expect(flags="A", ack=conn.snd_nxt)
    assert ack.sack_blocks == (), ack.summary()
