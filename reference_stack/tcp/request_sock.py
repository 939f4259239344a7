"""Linux's request socket: a passive SYN-RECEIVED connection before its child socket exists
(tcp_check_req, net/ipv4/tcp_minisocks.c), for a profile with `synrecv_minisock`.

RFC 9293 3.10.7.4 processes a segment in SYN-RECEIVED like one in a synchronized state: the
sequence check first, then RST, SYN, ACK. Linux keeps a small request socket instead, whose
checks come in another order and answer differently (each measured on Linux 6.18, see
suites/tcp/test_syn_received_request_socket.py):

1. a SYN at the request's IRS (whatever data or FIN it carries, its PAWS check passed) is a
   retransmitted SYN: the SYN,ACK is sent again (rate limited as an out-of-window ACK);
2. a RST: dropped if PAWS fails (a request socket's TS.Recent is recent, so RFC 7323 5.2's
   leniency for a RST does not apply), its TSecr is not one of the SYN,ACKs' (profile
   `reqsk_tsecr_check`, tcp/synack_tsval.py) or it is outside the window; at RCV.NXT it ends the
   request silently; elsewhere in the window it draws a challenge ACK (RFC 5961 3.2) and the
   request stays; all this whatever its ACK field says;
3. an ACK other than ISS + 1 is the listener's: <SEQ=SEG.ACK><CTL=RST>, before any sequence or
   PAWS check;
4. the sequence check is tcp_in_window over [RCV.NXT, RCV.NXT + the SYN,ACK's window], which
   also accepts a zero-length segment at the right edge itself; an unacceptable (or PAWS-failing,
   or with `reqsk_tsecr_check` TSecr-failing: tsecr_reject) segment draws the request socket's
   ACK (tcp_v4_reqsk_send_ack: no SACK blocks, so no D-SACK);
5. a SYN at the IRS is truncated (its SYN bit is out of the window); any other SYN resets;
6. a segment without ACK is dropped; with the valid ACK the child socket is made (it enters the
   accept queue) and processes the same segment as SEGMENT ARRIVES, where a truncated SYN's bit
   draws the child's challenge ACK (RFC 5961 4.2);
7. unless the accept queue is full (profile `abort_on_overflow` not None): then the ACK is
   dropped, the request kept with its SYN,ACK timer, or (net.ipv4.tcp_abort_on_overflow = 1)
   answered with <SEQ=SEG.ACK><CTL=RST> and the request dropped (measured on Linux 6.18).

`check_req` applies 1-5 and returns True when the request socket consumed the segment; on False
the caller carries on with the child (the connection is no longer a request socket).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.tcp import ack_throttle, synack_tsval
from reference_stack.tcp.listener import Listener
from reference_stack.tcp.seq import seq_add, seq_gt, seq_le, seq_lt
from reference_stack.tcp.tcb import Tcb
from reference_stack.trace import ACCEPT, DROP, STATE
from reference_stack.wire.tcp import ACK, RST, SYN, TcpRepr

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections

RULE_SYN_RTX = "LINUX-tcp_check_req-syn-retransmit"
RULE_RST_CHALLENGE = "LINUX-tcp_check_req-rst-challenge-ack"
RULE_RST_DROP = "LINUX-tcp_check_req-rst-out-of-window"
RULE_ACK_FIRST = "LINUX-tcp_check_req-ack-before-sequence"
RULE_OUT_OF_WINDOW = "LINUX-tcp_check_req-out-of-window-ack"
RULE_SYN_RESET = "LINUX-tcp_check_req-syn-reset"
RULE_SYN_TRUNCATED = "LINUX-tcp_check_req-syn-truncated"
RULE_TSECR = "LINUX-tcp_check_req-tsecr-reject"
RULE_RST_RESET = "RFC9293-3.10.7.4-MUST-syn-received-rst-listen"
RULE_BAD_ACK = "RFC9293-3.10.7.4-MUST-syn-received-bad-ack-rst"
RULE_NO_ACK = "RFC9293-3.10.7.4-MUST-fifth-check-no-ack"
RULE_OVERFLOW = "LINUX-tcp_check_req-listen-overflow"
RULE_ABORT_OVERFLOW = "LINUX-tcp_check_req-abort-on-overflow"




def in_window(seq: int, end_seq: int, s_win: int, e_win: int) -> bool:
    """tcp_in_window (net/ipv4/tcp_minisocks.c): the segment [seq, end_seq) starts at s_win,
    or overlaps [s_win, e_win), or is a zero-length segment at e_win itself (RFC 9293 3.10.7.4
    accepts a zero-length segment only below RCV.NXT + RCV.WND)."""
    if seq == s_win:
        return True
    if seq_gt(end_seq, s_win) and seq_lt(seq, e_win):
        return True
    return seq == e_win and seq == end_seq


def check_req(layer: Connections, tcb: Tcb, seg: TcpRepr, ts: tuple[int, int] | None,
              now: float) -> bool:
    """Linux tcp_check_req for a segment to a request socket; True if it consumed it."""
    trace = layer.trace
    send = layer.sender
    flags = seg.flags
    ctl = flags & (RST | SYN | ACK)
    end_seq = seq_add(seg.seq, seg.segment_len)
    # RFC 7323 5.3 R1 (PAWS), with the RST included (tcp_paws_reject: TS.Recent is fresh).
    paws_reject = ts is not None and seq_lt(ts[0], tcb.ts_recent)
    # Linux tsecr_reject: a TSecr that echoes none of the SYN,ACKs' TSvals (tcp/synack_tsval.py)
    tsecr_reject = (ts is not None and layer.profile.reqsk_tsecr_check
                    and synack_tsval.rejects(tcb, ts[1]))
    if seg.seq == tcb.irs and ctl == SYN and not paws_reject:
        # A retransmitted SYN (RFC 9293 3.5 figure 6/8 as RFC 1122 fixed it): the SYN,ACK again.
        if ack_throttle.limited(layer.profile, trace, tcb, seg, now, challenge=False):
            return True
        trace.add("tcp", ACCEPT, RULE_SYN_RTX, "duplicate SYN: SYN,ACK sent again")
        tcb.snd_nxt = tcb.iss
        send.transmit(tcb, now)
        return True
    in_win = in_window(seg.seq, end_seq, tcb.rcv_nxt, seq_add(tcb.rcv_nxt, tcb.rcv_wnd()))
    if flags & RST:
        # RFC 5961 3.2 in SYN-RECEIVED: exactly RCV.NXT resets, elsewhere in the window a
        # challenge ACK (Linux 6.18 answers before looking at the ACK field).
        if tsecr_reject and not paws_reject and in_win:
            trace.add("tcp", DROP, RULE_TSECR, f"RST with TSecr {ts[1]} not a SYN,ACK's TSval"
                      f" {tcb.synack_tsvals}")
        elif paws_reject or not in_win:
            trace.add("tcp", DROP, RULE_RST_DROP, "RST outside the window or failing PAWS")
        elif seg.seq == tcb.rcv_nxt:
            trace.add("tcp", STATE, RULE_RST_RESET, "passive open: return to LISTEN")
            layer.delete(tcb)
        else:
            trace.add("tcp", DROP, RULE_RST_CHALLENGE, "RST in window but not at RCV.NXT")
            # (limited even when it carries data: measured, a RST with 12 octets of data
            # within 500 ms of the SYN,ACK's retransmission is not answered)
            send.challenge_ack(tcb, seg, now, RULE_RST_CHALLENGE)
        return True
    if flags & ACK and seg.ack != seq_add(tcb.iss, 1):
        # RFC 9293 3.10.7.4 SYN-RECEIVED fifth check (unacceptable ACK -> <SEQ=SEG.ACK><RST>),
        # made before the sequence check: the listener answers, the request stays.
        if paws_reject or not in_win:
            trace.add("tcp", DROP, RULE_ACK_FIRST, "unacceptable ACK outside the window")
        send.reset(tcb.local_ip, tcb.remote_ip, seg, RULE_BAD_ACK)
        return True
    if tsecr_reject and not paws_reject and in_win:
        # RFC 9293 3.10.7.4 first check's answer for a TSecr no SYN,ACK carried (Linux
        # tsecr_reject, checked with PAWS and the window: the same ACK, rate limited).
        trace.add("tcp", DROP, RULE_TSECR, f"TSecr {ts[1]} not a SYN,ACK's TSval"
                  f" {tcb.synack_tsvals}")
        send.oow_ack(tcb, seg, now, RULE_TSECR)
        return True
    if paws_reject or tsecr_reject or not in_win:
        # RFC 9293 3.10.7.4 first check / RFC 7323 5.3: an ACK, from the request socket.
        trace.add("tcp", DROP, RULE_OUT_OF_WINDOW,
                  f"seq={seg.seq} end={end_seq} outside RCV.NXT={tcb.rcv_nxt}"
                  f" WND={tcb.rcv_wnd()}" + (" (PAWS)" if paws_reject else ""))
        send.oow_ack(tcb, seg, now, RULE_OUT_OF_WINDOW)
        return True
    if flags & SYN and seg.seq != tcb.irs:
        # RFC 9293 3.10.7.4 fourth check, SYN-RECEIVED of a passive open: back to LISTEN; Linux
        # also answers the SYN with a RST (tcp_check_req's embryonic_reset).
        send.reset(tcb.local_ip, tcb.remote_ip, seg, RULE_SYN_RESET)
        trace.add("tcp", STATE, RULE_SYN_RESET, "passive open: return to LISTEN")
        layer.delete(tcb)
        return True
    if not flags & ACK:
        trace.add("tcp", DROP, RULE_NO_ACK)
        return True
    if accept_queue_full(layer, tcb):
        if layer.profile.abort_on_overflow:
            send.reset(tcb.local_ip, tcb.remote_ip, seg, RULE_ABORT_OVERFLOW)
            trace.add("tcp", STATE, RULE_ABORT_OVERFLOW, "accept queue full: request dropped")
            layer.delete(tcb)
        else:
            trace.add("tcp", DROP, RULE_OVERFLOW, "accept queue full: the ACK dropped, "
                      "the request, its TS.Recent and its SYN,ACK timer kept")
        return True
    if ts is not None and seq_le(seg.seq, tcb.rcv_nxt):
        tcb.ts_recent = ts[0]  # RFC 7323 4.3: the child's TS.Recent (tcp_check_req)
    if flags & SYN:
        trace.add("tcp", ACCEPT, RULE_SYN_TRUNCATED,
                  "SYN at IRS: bit truncated, the child socket sees it")
    layer.established_passive(tcb)  # the child socket enters the accept queue
    return False


def accept_queue_full(layer: Connections, tcb: Tcb) -> bool:
    """Whether the listener refuses the child the handshake's last ACK would make: its accept
    queue holds more than the backlog (Linux sk_acceptq_is_full in tcp_v4_syn_recv_sock, for a
    profile with `abort_on_overflow` not None; RFC 9293 3.10.1 leaves the backlog open)."""
    lst = tcb.listener
    return (layer.profile.abort_on_overflow is not None and isinstance(lst, Listener)
            and lst.queue_full())
