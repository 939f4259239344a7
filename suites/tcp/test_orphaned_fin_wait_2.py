"""RFC 5961 3.2 and 4.2: in a synchronized state, a RST in the window but not at RCV.NXT, and
any SYN, draw a challenge ACK. An orphaned FIN-WAIT-2 (the application closed the socket and
the peer acknowledged the FIN) is a TIME-WAIT minisocket in Linux (tcp_time_wait(sk,
TCP_FIN_WAIT2, ..)), where tcp_timewait_state_process ends it on any RST in the window and
answers a SYN at or beyond RCV.NXT with a RST.

What every stack owes is asserted: a SYN gets an answer at once (a challenge ACK or a RST,
RFC 5961 4.2 / RFC 9293 3.10.7.4). Which answer, and what a RST does, is judged by the
lockstep oracle with the target's profile (measured on Linux 6.18: the RST for the SYN, the
RST taken silently). An answer that may or may not come is waited for with ex.settle() (a
barrier where the target replies synchronously, else a quiescence window), so it is in the
recording before the next segment."""

import pytest

from conformance.author.tcp_connection import seq_add

from .options import ts_option
from .states import reach

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _orphaned_fin_wait_2(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.close(peer.fd)
    peer.conn.expect(flags="FA")
    peer.conn.ack()
    return peer


@pytest.mark.requirement("RFC5961-4.2-MUST-syn-challenge-ack")
def test_syn_in_orphaned_fin_wait_2(ex, dut, endpoints):
    peer = _orphaned_fin_wait_2(ex, dut, endpoints)
    peer.conn.send(flags="S", ack=0)
    peer.conn.expect(flags=None, timeout=1.0)


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-challenge-ack")
def test_rst_in_window_in_orphaned_fin_wait_2(ex, dut, endpoints):
    peer = _orphaned_fin_wait_2(ex, dut, endpoints)
    peer.conn.send(flags="R", seq=seq_add(peer.conn.snd_nxt, 1))
    # the oracle judges the answer (a challenge ACK, or none); then the connection is probed
    peer.conn.send(flags="A", seq=peer.conn.snd_nxt)


@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit")
def test_orphaned_fin_wait_2_has_its_own_ack_limit(ex, dut, endpoints):
    # A challenge ACK in FIN-WAIT-1 arms the ACK throttle (RFC 5961 7); once the FIN is
    # acknowledged, Linux's FIN-WAIT-2 minisocket throttles with a timestamp of its own, still
    # unarmed, so it answers an out-of-window segment at once (measured on Linux 6.18). Whether
    # the answer comes is judged by the lockstep oracle with the target's profile.
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.close(peer.fd)
    peer.conn.expect(flags="FA")
    peer.conn.send(flags="R", seq=seq_add(peer.conn.snd_nxt, 1), ack=0)
    peer.conn.expect(flags="A", timeout=1.0)  # the challenge ACK
    peer.conn.ack()
    peer.conn.send(flags="A", seq=seq_add(peer.conn.snd_nxt, 1 << 20))
    ex.settle()  # the answer, if any, in the recording the oracle judges


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
@pytest.mark.parametrize("flags", ["FP", "FPA"], ids=["no-ack", "ack"])
def test_old_segment_in_orphaned_fin_wait_2_is_answered(ex, dut, endpoints, flags):
    # An old segment (its text and FIN before RCV.NXT) is unacceptable: RFC 9293 3.10.7.4
    # answers it with an ACK. Linux's FIN-WAIT-2 minisocket does so whether or not it has the
    # ACK flag (the full socket drops an ACK-less one first) and without a SACK option
    # (tcp_v4_timewait_ack); judged by the lockstep oracle (measured on Linux 6.18).
    peer = _orphaned_fin_wait_2(ex, dut, endpoints)
    peer.conn.send(b"o" * 9, flags=flags, seq=seq_add(peer.conn.snd_nxt, -20))
    peer.conn.expect(flags="A", timeout=1.0)


@pytest.mark.requirement("RFC7323-5.3-MUST-paws")
def test_old_rst_in_orphaned_fin_wait_2(ex, dut, endpoints):
    # RFC 7323 5.3 R1 exempts a RST from PAWS: a RST at RCV.NXT ends the connection whatever
    # its TSval. Linux's FIN-WAIT-2 minisocket applies PAWS to it (tcp_paws_reject(..,
    # th->rst)) and answers with an ACK, the connection kept; judged by the lockstep oracle
    # (measured on Linux 6.18). A RST with a current TSval then ends it on any stack.
    peer = _orphaned_fin_wait_2(ex, dut, endpoints)
    stale = (peer.conn.ts_val - 100) & 0xFFFF_FFFF
    peer.conn.send(flags="R", options=ts_option(stale, 0))
    ex.settle()  # the answer, if any, in the recording the oracle judges
    peer.conn.send(flags="R", options=ts_option(peer.conn.ts_val + 1, 0))
    peer.conn.send(flags="A", seq=peer.conn.snd_nxt)  # the oracle judges the answer


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-rst-reset")
def test_syn_rst_in_orphaned_fin_wait_2(ex, dut, endpoints):
    # A SYN with RST at RCV.NXT: RFC 9293 3.10.7.4 checks the RST before the SYN, and the RST
    # ends the connection without a reply; so does Linux's minisocket (its RST check comes
    # before its SYN check, tcp_timewait_state_process; measured on Linux 6.18). Judged by
    # the lockstep oracle, then the connection is probed.
    peer = _orphaned_fin_wait_2(ex, dut, endpoints)
    peer.conn.send(flags="SR", seq=peer.conn.snd_nxt, ack=0)
    ex.settle()  # the answer, if any (none), in the recording before the probe
    peer.conn.send(flags="A", seq=peer.conn.snd_nxt)
