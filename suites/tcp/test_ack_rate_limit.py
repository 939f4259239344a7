"""RFC 5961 7 (ACK throttling, SHOULD): a stack limits the ACKs it sends in answer to segments
it rejects. Linux keeps one per-socket timestamp (tcp_sock.last_oow_ack_time) and sends at most
one such ACK per net.ipv4.tcp_invalid_ratelimit (500 ms):

* a challenge ACK (tcp_send_challenge_ack: RST in the window not at RCV.NXT, SYN, an ACK older
  than the bound of RFC 5961 5.2) is limited, and arms the limit, whatever the segment carries;
* the duplicate ACK of an out-of-window or PAWS-rejected segment (tcp_oow_rate_limited) is
  limited and arms it only when the segment has no data and no FIN (``seq == end_seq``) or a
  SYN: data and FIN are exempt and leave the timestamp alone.

Each case draws one answer, then sends a second segment within the interval. The two cases
that wait the interval out shorten it where the target has sysctls (SHORT_INTERVAL_MS, the
oracle follows it) and wait from the answer that armed the limit (the DUT sent it before the
tester saw it) to the interval's end plus a margin, not from their last segment.

The assertions are what every stack owes (RFC 9293, RFC 5961 MUSTs); the answers left to a
stack's choice are judged by the lockstep oracle with the target's profile (the `linux`
profile models the kernel behaviour described here, measured on Linux 6.18).
"""

import time

import pytest

from conformance.author.needs import at_least, other_than
from conformance.author.tcp_connection import seq_add

from ..ipv4.dut_sysctl import dut_profile, set_dut_sysctl
from .options import ts_option
from .states import LISTEN_PORT, Peer, listen, reach

OUT_OF_WINDOW = 1 << 30  # right of any receive window, yet "after" RCV.NXT modulo 2**32
INTERVAL = 0.5  # net.ipv4.tcp_invalid_ratelimit
SHORT_INTERVAL_MS = 250  # the interval the waiting cases set where the target has sysctls
MARGIN_S = 0.1  # past the interval's end (jiffies: 4 ms at HZ=250)
# Two challenge ACKs within a second: certain only with a namespace budget of three or more a
# second (Linux net.ipv4.tcp_challenge_ack_limit, profile challenge_ack_limit: RFC 5961 7)
NEEDS_TWO_CHALLENGES = pytest.mark.needs(challenge_ack_limit=at_least(3))


def _challenge(peer) -> float:
    """A RST in the window but not at RCV.NXT: a challenge ACK (RFC 5961 3.2). Returns when
    the tester had the ACK (the limit was armed before)."""
    peer.send(flags="R", seq=seq_add(peer.conn.snd_nxt, 1))
    peer.expect_ack(timeout=1.0)
    return time.monotonic()


def _short_interval(bed) -> float:
    """tcp_invalid_ratelimit shortened where the target has sysctls; the interval in s."""
    if bed.set_dut_sysctl is None:
        return INTERVAL
    set_dut_sysctl(bed, "net.ipv4.tcp_invalid_ratelimit", str(SHORT_INTERVAL_MS))
    return dut_profile(bed).oow_ack_interval


def _wait_out(armed_at: float, interval: float) -> None:
    """Until the interval that began at ``armed_at`` is over, with a margin."""
    time.sleep(max(0.0, armed_at + interval + MARGIN_S - time.monotonic()))


def _old_pure_ack(peer):
    """A bare ACK right of the window (RFC 9293 3.10.7.4 first check)."""
    peer.send(flags="A", seq=seq_add(peer.conn.snd_nxt, OUT_OF_WINDOW))


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC5961-3.2-MUST-rst-challenge-ack")
@NEEDS_TWO_CHALLENGES
def test_second_challenge_ack_waits_for_the_interval(ex, dut, endpoints, bed):
    interval = _short_interval(bed)
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    armed_at = _challenge(peer)
    peer.send(flags="R", seq=seq_add(peer.conn.snd_nxt, 2))  # Linux: limited, no answer
    _wait_out(armed_at, interval)
    _challenge(peer)
    peer.expect_alive()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC9293-3.10.7.4-MUST-first-check")
def test_challenge_ack_arms_the_out_of_window_limit(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    _challenge(peer)
    _old_pure_ack(peer)  # Linux: limited, no answer
    peer.expect_alive()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC5961-3.2-MUST-rst-challenge-ack")
def test_out_of_window_ack_arms_the_challenge_limit(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    _old_pure_ack(peer)
    peer.expect_ack()
    peer.send(flags="R", seq=seq_add(peer.conn.snd_nxt, 1))  # Linux: limited, no answer
    peer.expect_alive()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC9293-3.10.7.4-MUST-first-check")
@pytest.mark.parametrize("what", ["data", "fin"])
def test_out_of_window_data_or_fin_is_answered_within_the_interval(ex, dut, endpoints, what):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    _challenge(peer)
    seq = seq_add(peer.conn.snd_nxt, -3000)
    if what == "data":
        peer.send(b"X" * 100, flags="PA", seq=seq)
    else:
        peer.send(flags="FA", seq=seq)
    peer.expect_ack()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC9293-3.10.7.4-MUST-first-check")
def test_out_of_window_data_leaves_the_limit_unarmed(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"X" * 100, flags="PA", seq=seq_add(peer.conn.snd_nxt, OUT_OF_WINDOW))
    peer.expect_ack()
    _old_pure_ack(peer)
    peer.expect_ack()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC5961-4.2-MUST-syn-challenge-ack")
def test_syn_challenge_ack_is_limited(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    _challenge(peer)
    peer.send(flags="S")  # Linux: limited, no answer
    peer.expect_alive()


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC5961-5.2-MUST-ack-of-unsent-dropped")
def test_ack_of_unsent_data_is_limited_with_its_data(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    _challenge(peer)
    peer.send(b"injected?", flags="PA", ack=seq_add(peer.dut_snd_nxt, 1000))  # Linux: limited
    value, err = dut.recv_with_errno(peer.fd, 100, 0)
    assert err != 0, f"the DUT delivered text carried by an unacceptable ACK: {value!r}"


@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC5961-3.2-MUST-rst-challenge-ack")
@pytest.mark.needs(syncookies=other_than(2))  # a request socket's ACK
def test_the_accepted_connection_starts_unlimited(ex, dut, endpoints):
    """tcp_create_openreq_child: the child's last_oow_ack_time starts at 0, whatever the
    request socket (its own timestamp) answered."""
    listener = listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    synack = conn.expect(flags="SA", ack=conn.snd_nxt)
    conn.send(flags="A", seq=seq_add(conn.snd_nxt, OUT_OF_WINDOW))
    conn.expect(flags="A", ack=conn.snd_nxt)
    # TSecr echoes the SYN,ACK: tcp_check_req drops an ACK echoing a later TSval (the one of
    # the request socket's ACK just received) as TCP_RFC7323_TSECR. (No Timestamps option
    # where the DUT did not offer it: net.ipv4.tcp_timestamps = 0.)
    echo = ts_option(conn.ts_val, synack.timestamps[0]) if synack.timestamps else ()
    conn.send(flags="A", options=echo)
    fd, _ = dut.accept(listener)
    peer = Peer(conn, fd, "ESTABLISHED", listener)
    _challenge(peer)


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit", "RFC9293-3.10.7.4-MUST-ack-unsent")
@pytest.mark.parametrize("state", ["ESTABLISHED", "CLOSE-WAIT"])
@NEEDS_TWO_CHALLENGES
def test_ack_of_unsent_data_is_a_limited_challenge(ex, dut, endpoints, bed, state):
    # An ACK of data never sent is answered with an ACK (RFC 9293 3.10.7.4); Linux's tcp_ack
    # (tcp_rcv_established, tcp_rcv_state_process) sends it as a challenge ACK: limited by, and
    # arming, the same per-socket timestamp.
    interval = _short_interval(bed)
    peer = reach(state, ex, dut, endpoints)
    armed_at = _challenge(peer)
    unsent = seq_add(peer.dut_snd_nxt, 1000)
    peer.send(flags="A", ack=unsent)  # Linux: limited, no answer
    _wait_out(armed_at, interval)
    peer.send(flags="A", ack=unsent)
    peer.expect_ack(timeout=1.0)
    peer.expect_alive()


@pytest.mark.requirement("RFC5961-7-SHOULD-ack-rate-limit",
                         "RFC9293-3.10.7.4-MUST-first-check")
def test_new_syn_in_time_wait_without_listener(ex, dut, endpoints):
    """A SYN above the old sequence space in TIME-WAIT that finds no listener (stateful finding
    7ba9159982c0), just after an out-of-window ACK armed the limit: Linux's tcp_v4_rcv hands
    it (TCP_TW_SYN) to tcp_v4_timewait_ack, past the limit."""
    peer = reach("TIME-WAIT", ex, dut, endpoints)
    dut.close(peer.listener)  # nothing listens on the port: the SYN cannot reopen
    _old_pure_ack(peer)  # RFC 9293 3.10.7.4: an ACK; the limit armed
    peer.expect_ack(immediate=True)
    peer.conn.send(flags="S", seq=seq_add(peer.conn.snd_nxt, 100_000), ack=0, advance=False)
    ex.settle()  # an ACK, or nothing where the limit holds: the lockstep oracle judges it
