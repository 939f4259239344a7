"""RFC 9293 3.10.7.4 in TIME-WAIT: a retransmission of the remote FIN is acknowledged; RFC 1122
4.2.2.13 (MAY): a new SYN with a higher sequence number may reopen the connection."""

import pytest

from conformance.author.tcp_connection import seq_add

from .options import ts_option
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-time-wait-fin")
def test_retransmitted_fin_is_acked_in_time_wait(ex, dut, endpoints):
    peer = reach("TIME-WAIT", ex, dut, endpoints)
    peer.send(flags="FA", seq=seq_add(peer.conn.snd_nxt, -1))
    peer.expect_ack()


@pytest.mark.requirement("RFC1122-4.2.2.13-MAY-time-wait-reopen")
def test_new_syn_reopens_from_time_wait(ex, dut, endpoints):
    peer = reach("TIME-WAIT", ex, dut, endpoints)
    new_isn = seq_add(peer.conn.snd_nxt, 100_000)
    peer.conn.send(flags="S", seq=new_isn, ack=0, advance=False)
    peer.conn.expect(flags="SA", ack=seq_add(new_isn, 1), immediate=True)


@pytest.mark.requirement("RFC1122-4.2.2.13-MAY-time-wait-reopen")
def test_newer_timestamp_reopens_from_time_wait(ex, dut, endpoints):
    # RFC 6191 2: with timestamps, a SYN whose TSval is newer than TS.Recent may reopen the
    # connection whatever its sequence number (here below the old RCV.NXT). Whether the DUT
    # reopens (a SYN,ACK) or answers as TIME-WAIT (an ACK) is judged by the lockstep oracle
    # with the target's profile (measured on Linux 6.18: it reopens, tcp_timewait_state_process
    # TCP_TW_SYN).
    peer = reach("TIME-WAIT", ex, dut, endpoints)
    old_isn = seq_add(peer.conn.snd_nxt, -100_000)
    peer.conn.send(flags="S", seq=old_isn, ack=0, advance=False,
                   options=ts_option(peer.conn.ts_val + 1000, 0))
    peer.conn.expect(flags=None, timeout=1.0)
