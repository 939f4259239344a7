"""RFC 9293 3.10.7.4 (fifth check): a segment without ACK in a synchronized state is dropped.
RFC 9293 checks the sequence number first, so an unacceptable ACK-less segment draws the first
check's ACK; Linux discards a segment with none of ACK, RST, SYN before any check
(tcp_rcv_established and tcp_rcv_state_process: `if (!th->ack && !th->rst && !th->syn)`, drop
reason TCP_FLAGS): no ACK, for an out-of-window sequence number or an old timestamp alike. Its
TIME-WAIT minisocket (tcp_timewait_state_process) has no such test and answers.

The assertions are what every stack owes (RFC 9293, RFC 5961 MUSTs); the answers left to a
stack's choice are judged by the lockstep oracle with the target's profile (the `linux`
profile models the kernel behaviour described here, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add

from .options import ts_option
from .states import SYNCHRONIZED, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

WHERE = {"left-of-window": -3000, "right-of-window": 1 << 30}


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-fifth-check-no-ack")
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("state", SYNCHRONIZED)
def test_unacceptable_segment_without_ack(ex, dut, endpoints, state, where):
    peer = reach(state, ex, dut, endpoints)
    peer.send(b"X" * 10, flags="P", seq=seq_add(peer.conn.snd_nxt, WHERE[where]))  # Linux: no ACK
    peer.expect_alive()


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-fifth-check-no-ack")
@pytest.mark.parametrize("flags", ["F", ""])
def test_old_timestamp_without_ack_is_not_taken(ex, dut, endpoints, flags):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.conn.ts_val += 10
    peer.send(b"fresh", flags="PA", advance=True)
    peer.expect_ack()
    old = (peer.conn.ts_val - 1000) & 0xFFFF_FFFF
    peer.send(b"old", flags=flags, options=ts_option(old, peer.conn.ts_recent))  # Linux: no ACK
    assert dut.recv(peer.fd, 100) == b"fresh"


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
def test_time_wait_answers_a_segment_without_ack(ex, dut, endpoints):
    peer = reach("TIME-WAIT", ex, dut, endpoints)
    peer.send(b"X" * 10, flags="P", seq=seq_add(peer.conn.snd_nxt, -3000))
    peer.expect_ack(immediate=True)  # (the answer to an unacceptable segment is immediate)
