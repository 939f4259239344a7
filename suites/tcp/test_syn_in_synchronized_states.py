"""RFC 9293 3.10.7.4 (fourth check) and RFC 5961 4.2: a SYN (or SYN-ACK) in a synchronized
state, whatever its sequence number, elicits a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
and does not reset the connection. (TIME-WAIT is special: see test_time_wait.py.)"""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import SYNCHRONIZED, reach

pytestmark = pytest.mark.families("ipv4", "ipv6")

OFFSETS = {"at-rcv-nxt": 0, "in-window": 100, "left-of-window": -5000, "right-of-window": 1 << 30}


@pytest.mark.requirement("RFC5961-4.2-MUST-syn-challenge-ack",
                         "RFC5961-4.2-MUST-syn-challenge-ack")
@pytest.mark.parametrize("where", OFFSETS)
@pytest.mark.parametrize("flags", ["S", "SA"], ids=["syn", "syn-ack"])
@pytest.mark.parametrize("state", SYNCHRONIZED)
def test_syn_gets_challenge_ack_and_connection_survives(ex, dut, endpoints, state, flags, where):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags=flags, seq=seq_add(peer.conn.snd_nxt, OFFSETS[where]))
    peer.expect_ack()
    peer.expect_alive()
