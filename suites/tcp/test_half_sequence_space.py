"""RFC 9293 3.10.7.4 (first check): a segment outside the window is answered with an ACK. A
segment exactly 2**31 from RCV.NXT is where serial-number comparison is undefined (RFC 1982
3.2); Linux's before() (`(s32)(seq1 - seq2) < 0`) takes it as old sequence space, and
tcp_send_dupack reports it in a D-SACK block (RFC 2883 4) as it does any old data.

The assertions are what every stack owes; the answers left to a stack's choice are judged
by the lockstep oracle with the target's profile (the `linux` profile models the kernel
behaviour described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .options import ts_option
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
def test_data_half_the_sequence_space_away_is_old(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    seq = seq_add(peer.conn.snd_nxt, 1 << 31)
    peer.send(b"X" * 100, flags="PA", seq=seq)
    peer.expect_ack()  # Linux: with the D-SACK block (seq, seq + 100)


@pytest.mark.requirement("RFC7323-5.3-MUST-paws")
@pytest.mark.parametrize("payload", [b"", b"X"], ids=["pure-ack", "data"])
def test_paws_half_the_sequence_space_away(ex, dut, endpoints, payload):
    """PAWS (RFC 7323 5.3) fails first: an ACK is owed. Linux's before() takes the segment as
    old: tcp_disordered_ack_check drops the pure ACK silently, tcp_send_dupack D-SACKs the
    data (measured, 6.18)."""
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    seq = seq_add(peer.conn.snd_nxt, 1 << 31)
    old = (peer.conn.ts_val - 100_000) & 0xFFFF_FFFF
    peer.send(payload, flags="A", seq=seq, options=ts_option(old, 0))
    if payload:
        ack = peer.expect_ack(immediate=True)  # (PAWS's answer to the segment it drops)
        assert ack.sack_blocks in ((), ((seq, seq_add(seq, 1)),)), ack.summary()
    peer.expect_alive()
