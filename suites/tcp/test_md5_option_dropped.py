"""RFC 1122 4.2.2.5 (RFC 9293 3.1 MUST-6, MUST-7): a TCP MUST ignore an option it does not
implement and survive an option with an illegal length. Linux checks every segment that
reaches a socket for the TCP MD5 signature option (RFC 2385, kind 19) first
(tcp_inbound_hash): a socket without an MD5 key drops a signed segment (drop reason
TCP_MD5UNEXPECTED), and an option area of 18 octets or more (TCPOLEN_MD5SIG) whose framing is
broken (a length below 2 or past the header) where at least 18 octets remain
(tcp_do_parse_auth_options stops below that) is dropped too (TCP_AUTH_HDR), before any state
processing: no SYN,ACK, ACK or RST, and its text is not delivered. Other broken framing is
ignored. A closed port sends no RST for either (tcp_v4_send_reset); the TIME-WAIT minisocket
does not look for signatures.

What every stack owes is asserted (it survives: it still answers a new connection or a probe);
whether the segment was taken or dropped is judged by the lockstep oracle with the target's
profile (the `linux` profile models tcp_inbound_hash, measured on Linux 6.18).
"""

import pytest

from conformance.author.tcp_connection import seq_add
from reference_stack.wire import tcp as tcpw

from .options import NOP, ts
from .states import LISTEN_PORT, listen, reach

MD5 = tcpw.TcpOptUnknown(19, bytes(16))  # kind 19, length 18 (RFC 2385 3.0)


def _broken(area_len: int, at_end: bool) -> tuple:
    """An option area of `area_len` octets: NOPs and an option whose length is 1, first (the
    rest of the area is its raw remainder) or in the last two octets."""
    if at_end:
        return (NOP,) * (area_len - 2) + (tcpw.TcpOptMalformed(b"\x05\x01"),)
    return (tcpw.TcpOptMalformed(b"\x05\x01" + b"\x01" * (area_len - 2)),)


def _signed(conn) -> tuple:
    return (NOP, NOP, ts(conn.ts_val, conn.ts_recent), NOP, NOP, MD5)


def _listener_still_answers(ex):
    ex.tcp(dut_port=LISTEN_PORT).handshake()


def _closed_port_still_answers(ex):
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S")
    conn.expect(flags="RA", seq=0, ack=conn.snd_nxt)


@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-ignore-unknown-options")
def test_signed_syn_to_a_listener(ex, dut, endpoints):
    listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S", options=conn.syn_options + (NOP, NOP, MD5))  # Linux: dropped
    _listener_still_answers(ex)


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-ignore-unknown-options")
@pytest.mark.parametrize("flags,payload", [("PA", b"signed"), ("R", b"")], ids=["data", "rst"])
def test_signed_segment_on_a_connection(ex, dut, endpoints, flags, payload):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(payload, flags=flags, options=_signed(peer.conn))  # Linux: dropped, no answer
    _listener_still_answers(ex)  # (also a barrier: a target replying later has taken it now)
    dut.recv_with_errno(peer.fd, 100, 0)  # Linux: nothing delivered (judged by the oracle)


@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-ignore-unknown-options")
def test_signed_ack_to_a_request_socket(ex, dut, endpoints):
    listener = listen(dut, endpoints)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    conn.expect(flags="SA", ack=conn.snd_nxt)
    conn.send(flags="A", options=_signed(conn))  # Linux: dropped, the handshake not completed
    conn.send(flags="A")
    fd, _ = dut.accept(listener)
    assert fd >= 0


@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-handle-illegal-option-length")
@pytest.mark.parametrize("area,at_end,taken_by_all", [
    (12, False, True),  # shorter than TCPOLEN_MD5SIG: not parsed for signatures
    (20, False, False), (24, False, False),  # Linux: TCP_AUTH_HDR
    (20, True, True),  # the parse stops once fewer than 18 octets remain
])
@pytest.mark.families("ipv4", "ipv6")
def test_broken_option_area(ex, dut, endpoints, area, at_end, taken_by_all):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    peer.send(b"data", flags="PA", options=_broken(area, at_end), advance=taken_by_all)
    if taken_by_all:
        peer.expect_ack()
        assert dut.recv(peer.fd, 100) == b"data"
    else:
        _listener_still_answers(ex)  # (also a barrier, as above)
        dut.recv_with_errno(peer.fd, 100, 0)  # Linux: nothing delivered (judged by the oracle)


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-rst-ack",
                         "RFC1122-4.2.2.5-MUST-ignore-unknown-options")
@pytest.mark.parametrize("flags", ["S", "A"])
def test_signed_segment_to_a_closed_port(ex, dut, endpoints, flags):
    """Linux's tcp_v4_send_reset signs its RST with the listener's key for a signed segment,
    and without a listener (or key) sends none."""
    conn = ex.tcp(dut_port=9)
    conn.send(flags=flags, options=(NOP, NOP, MD5))
    _closed_port_still_answers(ex)


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC9293-3.10.7.1-MUST-closed-rst-ack",
                         "RFC1122-4.2.2.5-MUST-handle-illegal-option-length")
@pytest.mark.parametrize("at_end", [False, True])
def test_broken_option_area_to_a_closed_port(ex, dut, endpoints, at_end):
    """Linux's tcp_v4_send_reset sends no RST when tcp_parse_auth_options fails."""
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S", options=_broken(20, at_end))
    _closed_port_still_answers(ex)


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC1122-4.2.2.5-MUST-ignore-unknown-options",
                         "RFC9293-3.10.7.4-MUST-first-check")
def test_signed_segment_in_time_wait_is_answered(ex, dut, endpoints):
    """The TIME-WAIT minisocket does not look for signatures (tcp_timewait_state_process)."""
    peer = reach("TIME-WAIT", ex, dut, endpoints)
    peer.send(b"X", flags="PA", seq=seq_add(peer.conn.snd_nxt, -3000), options=_signed(peer.conn))
    peer.expect_ack()
