"""RFC 7323 5.3 (PAWS, R1): a segment whose TSval is older than TS.Recent is unacceptable: an
ACK is sent and the segment dropped. Linux 6.14+ (tcp_validate_incoming ->
tcp_disordered_ack_check) drops a pure ACK that lies before RCV.NXT silently instead ("Old ACK
are common, increment PAWS_OLD_ACK and do not send a dupack", drop reason
TCP_RFC7323_PAWS_ACK); a pure ACK at or after RCV.NXT still draws the duplicate ACK.

The assertions are what every stack owes; the answers left to a stack's choice are judged
by the lockstep oracle with the target's profile (the `linux` profile models the kernel
behaviour described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .options import ts_option
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

AGE = 100_000  # far older than any replay window (tcp_tsval_replay)


def _after_fresh_data(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.conn.ts_val += 10
    peer.send(b"fresh", flags="PA", advance=True)
    peer.expect_ack()
    return peer


@pytest.mark.requirement("RFC7323-5.3-MUST-paws")
def test_old_pure_ack_before_rcv_nxt(ex, dut, endpoints):
    peer = _after_fresh_data(ex, dut, endpoints)
    old = (peer.conn.ts_val - AGE) & 0xFFFF_FFFF
    peer.send(flags="A", seq=seq_add(peer.conn.snd_nxt, -5), options=ts_option(old, 0))
    # Linux: no answer (TCP_RFC7323_PAWS_ACK); RFC 7323 5.3: an ACK.
    assert dut.recv(peer.fd, 100) == b"fresh"


@pytest.mark.requirement("RFC7323-5.3-MUST-paws")
@pytest.mark.parametrize("offset", [0, 100])
@pytest.mark.needs(timestamps=True)
def test_old_pure_ack_at_or_after_rcv_nxt_is_answered(ex, dut, endpoints, offset):
    peer = _after_fresh_data(ex, dut, endpoints)
    old = (peer.conn.ts_val - AGE) & 0xFFFF_FFFF
    peer.send(flags="A", seq=seq_add(peer.conn.snd_nxt, offset), options=ts_option(old, 0))
    peer.expect_ack(immediate=True)  # (PAWS's answer to the segment it drops is immediate)


@pytest.mark.requirement("RFC7323-5.3-MUST-paws")
@pytest.mark.parametrize("age", [5, AGE])
def test_disordered_duplicate_ack(ex, dut, endpoints, age):
    """tcp_disordered_ack_check: a duplicate pure ACK at RCV.NXT that changes no window, with a
    TSval within the replay window (RTO * 1200 ticks), is a reordered ACK, not a replay."""
    peer = _after_fresh_data(ex, dut, endpoints)
    peer.send(flags="A")  # SND.WL1 = RCV.NXT: a later duplicate ACK updates no window
    peer.expect_no_reply()
    old = (peer.conn.ts_val - age) & 0xFFFF_FFFF
    peer.send(flags="A", options=ts_option(old, 0))
    # Linux: 5 ticks old passes PAWS, a duplicate ACK (no answer); far older draws PAWS's ACK.
    peer.expect_alive()
