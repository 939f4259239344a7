"""RFC 5961 3.2 with RFC 9293 3.10.7.4's first check: a RST whose sequence number is in the
window but not RCV.NXT draws a challenge ACK, one outside the window is dropped silently.
Linux's tcp_sequence takes a segment as in the window when its end (SEG.SEQ + SEG.LEN, SYN and
FIN counted) is not before RCV.WUP, so a RST carrying data, SYN or FIN that ends exactly at
RCV.NXT is in the window (not at RCV.NXT): a challenge ACK. RFC 9293 3.3 would call it old
(its last octet is RCV.NXT - 1) and drop it.

The assertions are what every stack owes; the answers left to a stack's choice are judged
by the lockstep oracle with the target's profile (the `linux` profile models the kernel
behaviour described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

CARRIES = {"data": ("RA", b"x"), "fin": ("RFA", b""), "syn": ("RS", b"")}


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-challenge-ack")
@pytest.mark.parametrize("carries", CARRIES)
def test_rst_ending_at_rcv_nxt(ex, dut, endpoints, carries):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    flags, payload = CARRIES[carries]
    peer.send(payload, flags=flags, seq=seq_add(peer.conn.snd_nxt, -1))  # Linux: challenge ACK
    peer.expect_alive()
