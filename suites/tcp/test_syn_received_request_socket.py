"""RFC 9293 3.10.7.4 in SYN-RECEIVED after a passive open, at the edges where stacks differ (Linux
keeps a request socket there, tcp_check_req): an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST>
whatever the sequence number; a SYN repeating the first one draws the SYN,ACK again; a RST in the
window but not at RCV.NXT draws a challenge ACK (RFC 5961 3.2) and the half-open connection
stays; a zero-length segment at the right window edge is acceptable; the ACK answering an old
segment carries no D-SACK block. After each, the handshake still completes (or, for a RST at
RCV.NXT, no longer does).
With a stateless listener (Linux net.ipv4.tcp_syncookies = 2: every passive open a SYN cookie)
there is no SYN-RECEIVED to keep: each segment is the listener's (RFC 9293 3.10.7.2, asserted
instead), and the cookie's ACK still completes the handshake."""

import pytest

from conformance.author.tcp_connection import seq_add

from .states import half_open_syn_received, stateless_listener

pytestmark = pytest.mark.families("ipv4", "ipv6")


def _still_half_open(conn, dut, listener, synack) -> None:
    """The half-open connection survived: the ACK of the SYN,ACK completes it. Its TSecr
    echoes the SYN,ACK (Linux's request socket rejects a TSecr beyond its last SYN,ACK's
    TSval, tcp_check_req's tsecr_reject, which a later ACK's TSval may be)."""
    if synack.timestamps is not None:
        conn.ts_recent = synack.timestamps[0]
    conn.send(flags="A", ack=seq_add(conn.their_isn, 1), advance=False)
    conn.expect_nothing()
    fd, _ = dut.accept(listener)
    assert fd >= 0


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-syn-received-bad-ack-rst")
def test_unacceptable_ack_out_of_window_gets_rst(ex, dut, endpoints):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    bad = seq_add(conn.their_isn, 6)
    conn.send(flags="A", ack=bad, seq=seq_add(conn.snd_nxt, 100000), advance=False)
    conn.expect(flags="R", seq=bad, immediate=True)
    _still_half_open(conn, dut, listener, synack)


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-syn-received-bad-ack-rst")
def test_unacceptable_ack_failing_paws_gets_rst(ex, dut, endpoints):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    bad = seq_add(conn.their_isn, 6)
    conn.ts_val = 0  # older than the SYN's TSval
    conn.send(flags="A", ack=bad, advance=False)
    conn.expect(flags="R", seq=bad, immediate=True)
    conn.ts_val = 10
    _still_half_open(conn, dut, listener, synack)


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
@pytest.mark.parametrize("extra", ["data", "fin"])
def test_syn_repeating_the_first_gets_the_syn_ack_again(ex, dut, endpoints, bed, extra):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    if extra == "data":
        conn.send(b"hello", flags="S", seq=conn.isn, advance=False)
    else:
        conn.send(flags="SF", seq=conn.isn, advance=False)
    if not (stateless_listener(bed) and extra == "fin"):
        # (a stateless listener answers the SYN again, with the same cookie for the same
        # SEG.SEQ; whether it answers a SYN+FIN the lockstep oracle judges)
        conn.expect(flags="SA", seq=conn.their_isn, ack=conn.snd_nxt)
    _still_half_open(conn, dut, listener, synack)


@pytest.mark.requirement("RFC5961-4.2-MUST-syn-challenge-ack",
                         "RFC5961-4.2-MUST-syn-challenge-ack")
@pytest.mark.parametrize("extra", ["data", "fin"])
def test_syn_ack_with_data_at_isn_completes_and_draws_a_challenge_ack(ex, dut, endpoints, bed,
                                                                      extra):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    ack = seq_add(conn.their_isn, 1)
    if extra == "data":
        conn.send(b"hello", flags="SA", seq=conn.isn, ack=ack, advance=False)
    else:
        conn.send(flags="SAF", seq=conn.isn, ack=ack, advance=False)
    if stateless_listener(bed):  # an ACK to LISTEN: <SEQ=SEG.ACK><CTL=RST>
        conn.expect(flags="R", seq=ack, immediate=True)
    else:  # (a challenge ACK is immediate)
        conn.expect(flags="A", seq=ack, ack=conn.snd_nxt, immediate=True)
    _still_half_open(conn, dut, listener, synack)


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-challenge-ack",
                         "RFC5961-3.2-MUST-rst-challenge-ack")
@pytest.mark.parametrize("where", ["inside", "right-edge", "rst-ack-bad-ack"])
def test_rst_in_window_not_at_rcv_nxt_gets_challenge_ack(ex, dut, endpoints, bed, where):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    window = synack.window  # the SYN,ACK's window is never scaled (RFC 7323 2.2)
    if where == "inside":
        conn.send(flags="R", seq=seq_add(conn.snd_nxt, 877), advance=False)
    elif where == "right-edge":
        conn.send(flags="R", seq=seq_add(conn.snd_nxt, window), advance=False)
    else:
        conn.send(flags="RA", seq=seq_add(conn.snd_nxt, 10),
                  ack=seq_add(conn.their_isn, 7), advance=False)
    if stateless_listener(bed):  # LISTEN ignores a RST
        conn.expect_nothing()
    else:  # (a challenge ACK is immediate)
        conn.expect(flags="A", seq=seq_add(conn.their_isn, 1), ack=conn.snd_nxt, immediate=True)
    _still_half_open(conn, dut, listener, synack)


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-out-of-window",
                         "RFC5961-3.2-MUST-rst-out-of-window")
@pytest.mark.parametrize("where", ["beyond-edge", pytest.param(
    "old-timestamp", marks=pytest.mark.needs(timestamps=True))])
def test_rst_outside_window_or_failing_paws_is_dropped(ex, dut, endpoints, where):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    if where == "beyond-edge":
        conn.send(flags="R", seq=seq_add(conn.snd_nxt, synack.window + 1), advance=False)
    else:
        conn.ts_val = 0
        conn.send(flags="R", advance=False)
        conn.ts_val = 10
    conn.expect_nothing()
    _still_half_open(conn, dut, listener, synack)


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-syn-received-ack")
def test_ack_at_the_right_window_edge_establishes(ex, dut, endpoints, bed):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    edge = seq_add(conn.snd_nxt, synack.window)
    ack = seq_add(conn.their_isn, 1)
    conn.send(flags="A", seq=edge, ack=ack, advance=False)
    if stateless_listener(bed):  # not the cookie's ACK: LISTEN's <SEQ=SEG.ACK><CTL=RST>
        conn.expect(flags="R", seq=ack)
        _still_half_open(conn, dut, listener, synack)
        return
    conn.expect_nothing()
    fd, _ = dut.accept(listener)
    assert fd >= 0


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
def test_ack_for_an_old_segment_has_no_dsack(ex, dut, endpoints, bed):
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    ack = seq_add(conn.their_isn, 1)
    conn.send(b"old", flags="PA", seq=seq_add(conn.snd_nxt, -3), ack=ack, advance=False)
    if stateless_listener(bed):  # not the cookie's ACK: LISTEN's <SEQ=SEG.ACK><CTL=RST>
        conn.expect(flags="R", seq=ack)
    else:
        reply = conn.expect(flags="A", ack=conn.snd_nxt)
        assert reply.sack_blocks == (), reply.summary()
    _still_half_open(conn, dut, listener, synack)



def _checks_tsecr(bed) -> bool:
    """Whether the DUT's request socket checks TSecr against its SYN,ACKs' TSvals (Linux's
    tcp_check_req tsecr_reject: the profile's reqsk_tsecr_check); a stateless listener has no
    request socket, its TSecr is the cookie's (tcp/syn_cookie.py)."""
    return bed.oracle_profile.reqsk_tsecr_check and not stateless_listener(bed)


@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-first-check")
@pytest.mark.needs(timestamps=True)
@pytest.mark.parametrize("segment", ["ack", "fin"])
def test_tsecr_no_syn_ack_carried(ex, dut, endpoints, bed, segment):
    """A segment whose TSecr echoes no TSval of the SYN,ACKs sent: RFC 9293 3.10.7.4 takes the
    ACK (and drops an ACK-less FIN at the fifth check); Linux's request socket answers either
    as out of the window (tcp_check_req's tsecr_reject) and the half-open connection stays.
    The lockstep oracle judges every target's answer by its profile."""
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    conn.ts_recent = seq_add(synack.timestamps[0], 100000)
    if segment == "ack":
        conn.send(flags="A", ack=seq_add(conn.their_isn, 1), advance=False)
    else:
        conn.send(b"late", flags="F", advance=False)
    if _checks_tsecr(bed):
        conn.expect(flags="A", seq=seq_add(conn.their_isn, 1), ack=conn.snd_nxt)
        _still_half_open(conn, dut, listener, synack)


@pytest.mark.requirement("RFC5961-3.2-MUST-rst-out-of-window",
                         "RFC5961-3.2-MUST-rst-out-of-window")
@pytest.mark.needs(timestamps=True)
@pytest.mark.parametrize("where", ["rcv-nxt", "inside"])
def test_rst_with_tsecr_no_syn_ack_carried(ex, dut, endpoints, bed, where):
    """A RST whose TSecr echoes no SYN,ACK's TSval is dropped by Linux's request socket
    (tsecr_reject: out of the window, and a RST draws no ACK), even at RCV.NXT, where RFC 9293
    3.10.7.4 returns the passive open to LISTEN (the lockstep oracle judges the others)."""
    conn, listener = half_open_syn_received(ex, dut, endpoints)
    synack = conn.last
    conn.ts_recent = seq_add(synack.timestamps[0], -100000)
    offset = 0 if where == "rcv-nxt" else 877
    conn.send(flags="R", seq=seq_add(conn.snd_nxt, offset), advance=False)
    if _checks_tsecr(bed):
        conn.expect_nothing()
        _still_half_open(conn, dut, listener, synack)
