"""SEGMENT ARRIVES (RFC 9293 3.10.7), in the RFC's order: sequence acceptability, RST, SYN,
ACK, URG, text, FIN; with RFC 5961 (challenge ACKs, ACK acceptability) and RFC 7323 (PAWS,
TS.Recent). The per-state outcomes come from the tables in `tcp/states/`."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from reference_stack.tcp import (
    linux_arrival,
    lwip_arrival,
    netstack_arrival,
    netstack_window,
    recovery,
    request_sock,
    sack_compression,
    syn_cookie,
    time_wait,
    urgent,
)
from reference_stack.tcp.listener import Listener
from reference_stack.tcp.options import (
    DEFAULT_MSS,
    DEFAULT_MSS_IPV6,
    negotiate,
    segment_timestamps,
    send_option_reserve,
)
from reference_stack.tcp.seq import (
    before_at_half,
    segment_acceptable,
    segment_acceptable_at_wup,
    seq_add,
    seq_diff,
    seq_ge,
    seq_gt,
    seq_le,
    seq_lt,
)
from reference_stack.tcp.state import State
from reference_stack.tcp.states import TABLES
from reference_stack.tcp.tcb import T_PERSIST, T_RETRANSMIT, T_TIME_WAIT, Tcb, is_request
from reference_stack.trace import ACCEPT, DROP, EVENT
from reference_stack.wire.tcp import ACK, CWR, ECE, FIN, RST, SYN, URG, TcpRepr

if TYPE_CHECKING:
    from reference_stack.profiles import Profile
    from reference_stack.tcp.connections import Connections

# Linux tcp_fin: the ACK of a FIN in FIN-WAIT-1/2 keeps the SACK blocks (profile
# fin_ack_sacks_purged_ofo).
RULE_FIN_ACK_SACKS_PURGED = "LINUX-tcp_fin-ack-before-ofo-purge"

# -- CLOSED (RFC 9293 3.10.7.1) -------------------------------------------------------------

def closed(layer: Connections, src: bytes, dst: bytes, seg: TcpRepr) -> None:
    if seg.flags & RST:
        layer.trace.add("tcp", DROP, "RFC9293-3.10.7.1-MUST-closed-rst-drop",
                        "An incoming segment containing a RST is discarded.")
        return
    rule = ("RFC9293-3.10.7.1-MUST-closed-ack-rst" if seg.flags & ACK
            else "RFC9293-3.10.7.1-MUST-closed-rst-ack")
    layer.sender.reset(dst, src, seg, rule)


# -- LISTEN (RFC 9293 3.10.7.2) -------------------------------------------------------------

def listen(layer: Connections, lst: Listener, src: bytes, dst: bytes, seg: TcpRepr,
           now: float, iss: int | None = None) -> None:
    trace = layer.trace
    if seg.flags & RST:
        trace.add("tcp", DROP, "RFC9293-3.10.7.2-MUST-listen-rst-ignore")
        return
    if seg.flags & ACK:
        again = syn_cookie.remembered(layer, lst, src, dst, seg, now)
        if again is not None:  # Linux: an ACK carrying an earlier SYN cookie
            tcb, syn = again
            _take_syn(layer, tcb, syn, True)
            tcb.last_ack_sent = tcb.rcv_nxt  # as if its SYN,ACK had just gone
            ts = segment_timestamps(layer.profile.last_timestamps_option, seg)
            if tcb.ts_ok and ts is not None:
                tcb.ts_recent = ts[0]  # cookie_v4_check: TS.Recent is the ACK's TSval
            synchronized(layer, tcb, seg, now)
            return
        layer.sender.reset(dst, src, seg, "RFC9293-3.10.7.2-MUST-listen-ack-rst")
        return
    if not seg.flags & SYN:
        trace.add("tcp", DROP, "RFC9293-3.10.7.2-MUST-listen-other-drop")
        return
    if seg.flags & FIN and layer.profile.listen_drop_syn_fin:
        trace.add("tcp", DROP, "LINUX-tcp_rcv_state_process-syn-fin",
                  "profile drops SYN+FIN in LISTEN")
        return
    if lst.queue_full():
        trace.add("tcp", DROP, "LINUX-listen-overflow", "accept queue full")
        return
    cookie = _syn_cookie(layer, lst)
    if cookie is None:
        return
    arm = TABLES[State.LISTEN].syn
    tcb = layer.new_tcb(dst, lst.port, src, seg.src_port, State.SYN_RECEIVED, now,
                        opts=lst.opts, iss=iss)
    tcb.passive = True
    tcb.listener = lst
    lst.pending[tcb.key] = cookie
    _take_syn(layer, tcb, seg, cookie)
    if cookie:
        syn_cookie.remember(lst, tcb, seg)
    if layer.profile.ecn_accept and seg.flags & (ECE | CWR) == ECE | CWR:
        # RFC 3168 6.1.1: an ECN-setup SYN; answered with an ECN-setup SYN-ACK (Linux
        # tcp_ecn_create_request; it also refuses a SYN that is itself ECT, which the TCP
        # layer does not see).
        tcb.ecn_ok = True
        trace.add("tcp", ACCEPT, "LINUX-tcp_ecn_create_request-ecn-setup",
                  "ECN-setup SYN: ECE in the SYN-ACK")
    trace.add("tcp", "state", arm.rule, "LISTEN -> SYN-RECEIVED")
    layer.sender.transmit(tcb, now)


def _syn_cookie(layer: Connections, lst: Listener) -> bool | None:
    """Whether a SYN in LISTEN is answered with a SYN cookie; None: dropped. RFC 9293
    3.10.7.2 keeps state for every SYN (profile.syncookies None); Linux tcp_conn_request does
    so while the request queue holds no more than the backlog (inet_csk_reqsk_queue_is_full),
    then answers with a cookie (net.ipv4.tcp_syncookies = 1; 2: always) or drops (0)."""
    mode = layer.profile.syncookies
    if mode is None:
        return False
    if mode != 2 and sum(1 for c in lst.pending.values() if not c) <= lst.backlog:
        return False
    if not mode:
        layer.trace.add("tcp", DROP, "LINUX-tcp_conn_request-queue-full",
                        "request queue over the backlog, tcp_syncookies = 0")
        return None
    layer.trace.add("tcp", EVENT, "LINUX-tcp_conn_request-syn-cookie",
                    "SYN answered with a cookie (no request socket)")
    return True


def _take_syn(layer: Connections, tcb: Tcb, seg: TcpRepr, cookie: bool = False) -> None:
    """IRS, RCV.NXT and the option negotiation from a SYN (RFC 9293 3.10.7.2-3)."""
    p = layer.profile
    tcb.irs = seg.seq
    tcb.rcv_nxt = seq_add(seg.seq, 1)
    # RFC 9293 3.7.1: without an MSS option, 536 over IPv4, 1220 over IPv6.
    default_mss = DEFAULT_MSS_IPV6 if len(tcb.remote_ip) == 16 else DEFAULT_MSS
    neg = negotiate(seg, p.window_scaling, p.timestamps, p.sack, default_mss)
    if cookie and not neg.ts_ok:
        # Linux tcp_conn_request: `want_cookie && !tmp_opt.saw_tstamp` -> tcp_clear_options:
        # a cookie carries window scale and SACK-permitted only in the timestamp.
        neg = negotiate(seg, False, False, False, default_mss)
    tcb.negotiated = True
    tcb.ws_ok = neg.snd_wscale is not None
    tcb.snd_wscale = neg.snd_wscale or 0
    if not tcb.ws_ok:
        tcb.rcv_wscale = 0
    tcb.ts_ok = neg.ts_ok
    if neg.ts_ok:
        tcb.ts_recent = segment_timestamps(p.last_timestamps_option, seg)[0]
    tcb.sack_ok = neg.sack_ok
    # RFC 6691 / RFC 9293 3.7.1: the effective send MSS deducts the options we always send.
    reserve = send_option_reserve(neg.ts_ok, neg.sack_ok, p.mss_reserves_sack)
    peer_mss = neg.peer_mss
    limit = tcb.path_mss
    if cookie:
        user_mss = tcb.listener.opts.maxseg if isinstance(tcb.listener, Listener) else None
        peer_mss = tcb.cookie_mss = syn_cookie.cookie_mss(layer.trace, tcb, peer_mss, user_mss)
        limit = syn_cookie.send_limit(layer.trace, tcb, p.mtu, user_mss)
    # (tcp_sync_mss: the path MTU bounds it, not the MSS we announced: route_metrics)
    tcb.mss = max(1, min(peer_mss, limit) - reserve)
    tcb.cwnd = layer.initial_cwnd(tcb.mss, tcb.route.initcwnd)
    # RFC 7323 2.2: the window field of a SYN is never scaled.
    tcb.snd_wnd = seg.window
    tcb.max_snd_wnd = seg.window
    tcb.snd_wl1 = seg.seq
    if tcb.passive or tcb.state is State.SYN_RECEIVED:
        tcb.syn_window = layer.initial_window(tcb)
    if tcb.passive:
        # The SYN-ACK's window, computed with the options now known, bounds the window (Linux
        # tcp_openreq_init_rwin: rcv_ssthresh = the request's window); the one new_tcb
        # guessed before the SYN (MSS without the timestamps) does not.
        tcb.rcv_wnd_clamp = tcb.syn_window
    else:
        tcb.rcv_wnd_clamp = max(tcb.syn_window, tcb.rcv_wnd_clamp if tcb.ws_ok else 0)
    if not tcb.ws_ok:
        tcb.rcv_wnd_clamp = min(tcb.rcv_wnd_clamp, 0xFFFF)


# -- SYN-SENT (RFC 9293 3.10.7.3) -----------------------------------------------------------

def syn_sent(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> None:
    trace = layer.trace
    flags = seg.flags
    table = TABLES[State.SYN_SENT]
    if flags & ACK:
        # First check: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable.
        if seq_le(seg.ack, tcb.iss) or seq_gt(seg.ack, tcb.snd_nxt):
            if flags & RST:
                trace.add("tcp", DROP, "RFC9293-3.10.7.3-MUST-bad-ack-rst-drop")
            else:
                layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg,
                                   "RFC9293-3.10.7.3-MUST-bad-ack-rst")
            if layer.profile.syn_sent_bad_ack_rearms and not tcb.retries:
                # Linux tcp_rcv_synsent_state_process: the SYN again after TCP_TIMEOUT_MIN
                # ("previous FIN/ACK or RST/ACK might be ignored"); RFC 9293 3.10.7.3 keeps
                # its RTO
                tcb.timers.set(T_RETRANSMIT, now + layer.profile.tlp_min_timeout)
                trace.add("tcp", EVENT, "LINUX-tcp_rcv_synsent_state_process-bad-ack-rearm",
                          "SYN retransmission timer re-armed to TCP_TIMEOUT_MIN")
            return
    if flags & RST:
        # Second check; RFC 5961 3.2: in SYN-SENT a RST is valid if its ACK acknowledges the SYN.
        if flags & ACK:
            layer.transition(tcb, table.rst, now)
        else:
            trace.add("tcp", DROP, "RFC9293-3.10.7.3-MUST-rst-no-ack-drop")
        return
    if not flags & SYN:
        trace.add("tcp", DROP, "RFC9293-3.10.7.3-MUST-no-syn-drop")
        return
    # Fourth check: the SYN.
    _take_syn(layer, tcb, seg)
    if tcb.ecn_ok and flags & (ECE | CWR) != (ECE if flags & ACK else ECE | CWR):
        # RFC 3168 6.1.1: ECN is in use only if the peer answered an ECN-setup SYN with an
        # ECN-setup SYN-ACK (ECE, not CWR), or a simultaneous SYN with ECE and CWR (Linux
        # tcp_ecn_rcv_synack, tcp_ecn_rcv_syn)
        tcb.ecn_ok = False
    if flags & ACK:
        layer.acknowledge(tcb, seg.ack, now)
    if tcb.syn_acked():
        tcb.snd_wl2 = seg.ack
        layer.transition(tcb, table.ack_of_syn, now)
        if layer.profile.window_edge_held:
            netstack_window.handshake_ack(tcb)  # (gVisor: the handshake's window)
        layer.sender.send_ack(tcb, now, table.ack_of_syn.rule)
        if seg.payload:
            trace.add("tcp", DROP, "RFC9293-3.10.7.3-MAY-syn-text-ignored",
                      "text on a SYN,ACK is not queued")
        layer.sender.transmit(tcb, now)
    else:
        layer.transition(tcb, table.syn, now)
        if not layer.profile.simultaneous_open_keeps_syn_window:
            tcb.syn_window = layer.initial_window(tcb)
        tcb.snd_nxt = tcb.iss  # the SYN,ACK carries <SEQ=ISS>
        layer.sender.transmit(tcb, now)


# -- the synchronized states and SYN-RECEIVED (RFC 9293 3.10.7.4) ---------------------------

def synchronized(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> None:
    p = layer.profile
    trace = layer.trace
    send = layer.sender
    flags = seg.flags
    length = seg.segment_len
    ts = segment_timestamps(p.last_timestamps_option, seg) if tcb.ts_ok else None

    lwip_arrival.mss_option_taken(layer, tcb, seg)  # (tcp_parseopt first)
    if lwip_arrival.syn_copy_in_syn_received(layer, tcb, seg, now):
        return
    # Linux's request socket (tcp_check_req) checks a passive SYN-RECEIVED's segments itself.
    in_request = tcb.state is State.SYN_RECEIVED and tcb.passive and p.synrecv_minisock
    # (gVisor's passive SYN-RECEIVED is its handshake's: connect.go synRcvdState runs the
    # window check on a segment without ACK too; netstack_arrival.syn_received below.)
    handshake = tcb.state is State.SYN_RECEIVED and tcb.passive and p.synrcvd_ack_first
    if (p.drop_without_ack_first and not flags & (ACK | RST | SYN) and not in_request
            and not handshake):
        # RFC 9293 3.10.7.4 drops a segment without ACK at the fifth check, after the sequence
        # check has answered an unacceptable one; Linux drops it before any check.
        trace.add("tcp", DROP, "LINUX-tcp_rcv_established-no-ack-flag",
                  "none of ACK, RST, SYN: dropped before the sequence check")
        return
    # RFC 7323 3.2: once negotiated, a non-RST segment without TSopt SHOULD be dropped.
    if (tcb.ts_ok and ts is None and not flags & RST and p.drop_segment_without_ts
            and tcb.state is not State.SYN_RECEIVED):
        trace.add("tcp", DROP, "RFC7323-3.2-SHOULD-drop-missing-tsopt")
        return
    child = False
    if p.synrecv_minisock and tcb.passive and is_request(tcb):
        # Linux's request socket has checks of its own (tcp/request_sock.py), a cookie
        # connection has none but the listener's (tcp/syn_cookie.py); a segment either passes
        # on makes the child socket, which repeats SEGMENT ARRIVES (tcp_child_process).
        if syn_cookie.check_cookie(layer, tcb, seg, now) if syn_cookie.is_cookie(tcb) \
                else request_sock.check_req(layer, tcb, seg, ts, now):
            return
        child = True
    # RFC 7323 5.3 R1 (PAWS): before the sequence check, a segment whose TSval is older than
    # TS.Recent is unacceptable: send an ACK and drop it (a RST is exempt, RFC 7323 5.2).
    if (ts is not None and not flags & RST and seq_lt(ts[0], tcb.ts_recent)
            and not p.breaks("RFC7323-5.3-MUST-paws")
            and not _within_paws_window(layer, tcb, ts[0], in_request)
            and not (p.paws_disordered_ack and not in_request
                     and _disordered_ack(layer, tcb, seg, ts[0]))):
        if (p.paws_old_ack_silent and flags & (ACK | SYN | FIN) == ACK and not seg.payload
                and not in_request and _before_rcv_nxt(layer, tcb, seg.seq)):
            # Linux tcp_disordered_ack_check: an old pure ACK, no duplicate ACK for it.
            trace.add("tcp", DROP, "LINUX-tcp_validate_incoming-paws-old-ack",
                      f"pure ACK before RCV.NXT, TSval {ts[0]} < TS.Recent {tcb.ts_recent}")
            return
        trace.add("tcp", DROP, "RFC7323-5.3-MUST-paws", f"TSval {ts[0]} < TS.Recent "
                  f"{tcb.ts_recent}")
        if not flags & SYN:  # (Linux tcp_validate_incoming: a SYN goes to syn_challenge)
            rejected_duplicate(layer, tcb, seg, length)
        elif p.paws_syn_dupack and _before_rcv_nxt(layer, tcb, seg.seq):
            # Linux 6.1 tcp_validate_incoming: tcp_send_dupack for a SYN too, its octet of
            # old sequence space reported in a D-SACK block (RFC 2883 4).
            trace.add("tcp", DROP, "LINUX-tcp_send_dupack-paws-syn-dsack",
                      f"SYN at {seg.seq} before RCV.NXT {tcb.rcv_nxt}")
            note_duplicate(layer, tcb, seg.seq, seq_add(seg.seq, length))
        send.oow_ack(tcb, seg, now, "RFC7323-5.3-MUST-paws")
        return

    if (tcb.state is State.SYN_RECEIVED and not tcb.passive and flags & (SYN | ACK | RST)
            == SYN | ACK and not seg.payload and seq_add(seg.seq, 1) == tcb.rcv_nxt
            and seg.ack == tcb.snd_nxt):
        # RFC 9293 3.5 figure 8 (simultaneous open, line 6): the peer's SYN,ACK, which
        # repeats its SYN, establishes the connection (the first check would call it old;
        # Linux passes it too, tcp_validate_incoming).
        trace.add("tcp", ACCEPT, "RFC9293-3.5-MUST-simultaneous-open", "SYN,ACK in SYN-RECEIVED")
        if ts is not None and seq_ge(ts[0], tcb.ts_recent):
            tcb.ts_recent = ts[0]  # RFC 7323 4.3 (SEG.SEQ = RCV.NXT - 1 =< Last.ACK.sent)
        _syn_received_acked(layer, tcb, seg, now)
        if p.ack_duplicate_sequence_space:
            # Linux: the repeated SYN is a duplicate for tcp_data_queue (D-SACK and an ACK).
            _duplicate(layer, tcb, seg, now)
        send.transmit(tcb, now)
        return

    if p.synrcvd_ack_first and netstack_arrival.syn_received(layer, tcb, seg, now):
        return  # (gVisor: its handshake's own checks, ACK first)
    # First check: sequence number.
    rcv_wnd = tcb.rcv_wnd()
    if child:
        # The child's tcp_sequence accepts all that the request's tcp_in_window did.
        acceptable = True
    elif p.seq_check_end_at_wup:
        # Linux tcp_sequence.
        acceptable = segment_acceptable_at_wup(seg.seq, length, tcb.last_ack_sent, tcb.rcv_nxt,
                                               rcv_wnd, tcb.rcv_edge)
        if (acceptable and tcb.rcv_edge is not None
                and not seq_lt(seg.seq, seq_add(tcb.rcv_nxt, rcv_wnd))
                and seq_gt(seq_add(seg.seq, length), tcb.rcv_nxt)):
            # RFC 9293 3.10.7.4 would refuse it: it starts at or beyond RCV.NXT + RCV.WND.
            trace.add("tcp", ACCEPT, "LINUX-tcp_sequence-advertised-right-edge",
                      "up to RCV.WUP + the advertised window, its edge included")
        if acceptable and p.beyond_edge_refused_while_queued and \
                linux_arrival.ends_beyond_edge_queue_held(
                layer, tcb, seg, length):
            acceptable = False
    elif p.window_edge_held:
        # gVisor rcv.go acceptable(): against the window its last field expressed.
        acceptable = netstack_window.acceptable(seg.seq, len(seg.payload), tcb.rcv_nxt,
                                                netstack_window.acceptance_window(tcb))
        if acceptable is not segment_acceptable(seg.seq, length, tcb.rcv_nxt, rcv_wnd):
            trace.add("tcp", ACCEPT if acceptable else DROP, netstack_window.RULE_ACCEPTABLE,
                      f"against the advertised window {netstack_window.acceptance_window(tcb)}"
                      f", RCV.WND {rcv_wnd}")
    else:
        acceptable = segment_acceptable(seg.seq, length, tcb.rcv_nxt, rcv_wnd)
    if (p.time_wait_ts_recent_first and tcb.state is State.TIME_WAIT and ts is not None
            and flags & (ACK | RST | SYN) == ACK and seq_ge(ts[0], tcb.ts_recent)
            and seq_le(seg.seq, tcb.last_ack_sent)):
        # RFC 7323 5.3 R3 takes TSval only from an acceptable segment; gVisor's TIME-WAIT
        # (rcv.go handleTimeWaitSegment) takes it from any ACK before its sequence checks.
        trace.add("tcp", "event", "RFC7323-3.2-MUST-tsecr-echoes-ts-recent",
                  f"TIME-WAIT: TS.Recent {tcb.ts_recent} -> {ts[0]} before the checks")
        tcb.ts_recent = ts[0]
    if not acceptable:
        if flags & RST:
            if linux_arrival.reset_after_fin(layer, tcb, seg):
                layer.transition(tcb, TABLES[tcb.state].rst, now)
                return
            if seq_lt(seg.seq, tcb.rcv_nxt) and _held_ack_turns(layer, tcb, seg, length,
                                                                 rcv_wnd, now, False):
                # Linux tcp_sequence, its RCV.WUP still where the ACK it holds back left it
                # (tcp_fin's ping-pong mode): the RST below RCV.NXT is in its window, not at
                # RCV.NXT, so it draws a challenge ACK (RFC 5961 3.2; the held ACK's twin, they
                # may merge), which arms the rate limit (RFC 5961 7): a RST in the window soon
                # after gets none (stateful finding b4f2bcf6740c).
                send.challenge_ack(tcb, seg, now, "RFC5961-3.2-MUST-rst-challenge-ack",
                                   may_delay=True)
                return
            trace.add("tcp", DROP, "RFC5961-3.2-MUST-rst-out-of-window")
            return
        if (tcb.state is State.TIME_WAIT and flags & FIN
                and seq_add(seg.seq, length) == tcb.rcv_nxt):
            arm = TABLES[State.TIME_WAIT].fin
            trace.add("tcp", ACCEPT, arm.rule, "retransmitted FIN")
            tcb.timers.set(T_TIME_WAIT, now + p.time_wait)
            send.send_ack(tcb, now, arm.rule)
            return
        if (flags & SYN and p.syn_challenge_any_seq and tcb.state is not State.SYN_RECEIVED):
            # RFC 5961 4.2: a SYN draws a challenge ACK "irrespective of the sequence number"
            # (Linux tcp_validate_incoming: an unacceptable SYN goes to syn_challenge), not
            # the first check's duplicate ACK with its D-SACK.
            rule = TABLES[State.ESTABLISHED].syn.rule
            trace.add("tcp", DROP, rule, f"SYN outside the window (seq={seg.seq})")
            send.challenge_ack(tcb, seg, now, rule)
            return
        trace.add("tcp", DROP, "RFC9293-3.10.7.4-MUST-first-check",
                  f"seq={seg.seq} len={length} outside RCV.NXT={tcb.rcv_nxt} WND={rcv_wnd}")
        merged = _held_ack_turns(layer, tcb, seg, length, rcv_wnd, now, False)
        rejected_duplicate(layer, tcb, seg, length)
        send.oow_ack(tcb, seg, now, "RFC9293-3.10.7.4-MUST-first-check", may_delay=merged)
        return
    # RFC 7323 4.3: TS.Recent follows the newest in-order timestamp (a Linux profile does so
    # only once the ACK checks passed, below).
    update_ts = (ts is not None and seq_ge(ts[0], tcb.ts_recent)
                 and seq_le(seg.seq, tcb.last_ack_sent))
    if update_ts and not p.ts_recent_after_ack_check and not p.ts_recent_after_receive:
        tcb.ts_recent = ts[0]

    table = TABLES[tcb.state]
    # Second check: RST (RFC 5961 3.2).
    if flags & RST:
        if lwip_arrival.time_wait_rst_ignored(layer, tcb):
            return
        if seg.seq != tcb.rcv_nxt and not linux_arrival.reset_after_fin(layer, tcb, seg):
            trace.add("tcp", DROP, "RFC5961-3.2-MUST-rst-challenge-ack",
                      "RST in window but not at RCV.NXT")
            if not p.breaks("RFC5961-3.2-MUST-rst-challenge-ack"):
                merged = _held_ack_turns(layer, tcb, seg, length, rcv_wnd, now, True)
                send.challenge_ack(tcb, seg, now, "RFC5961-3.2-MUST-rst-challenge-ack",
                                   may_delay=merged)
            return
        if tcb.state is State.SYN_RECEIVED and tcb.passive:
            trace.add("tcp", "state", "RFC9293-3.10.7.4-MUST-syn-received-rst-listen",
                      "passive open: return to LISTEN")
            layer.delete(tcb)
            return
        layer.transition(tcb, table.rst, now)
        return
    # Fourth check: SYN (RFC 5961 4.2).
    if flags & SYN:
        if tcb.state is State.SYN_RECEIVED and tcb.passive and not p.synrecv_minisock:
            # (Linux: the request socket resets, request_sock.py; its child, a full socket,
            # answers with the challenge ACK below.)
            trace.add("tcp", "state", table.syn.rule, "passive open: return to LISTEN")
            layer.delete(tcb)
            return
        rule = TABLES[State.ESTABLISHED].syn.rule
        trace.add("tcp", DROP, rule, "SYN in a synchronized state")
        if not p.breaks(rule):
            send.challenge_ack(tcb, seg, now, rule)
        return
    # Fifth check: ACK.
    if not flags & ACK:
        trace.add("tcp", DROP, "RFC9293-3.10.7.4-MUST-fifth-check-no-ack")
        return
    if p.after_close_checks_before_ack and netstack_arrival.closed_receiver(layer, tcb, seg,
                                                                            now):
        return  # (gVisor: its receiver's checks after close(), before the ACK is taken)
    # (Linux: in these states a segment at or beyond RCV.NXT goes no further than the ACK
    # checks; what differs from RFC 9293, which ignores its text too, is its FIN.)
    new_after_fin = p.after_fin_ignores_new_sequence and linux_arrival.fin_after_fin(tcb, seg)
    consumed = False  # (by the ACK of our FIN: linux_arrival.consumed_by_ack_of_fin)
    old_ack = seq_lt(seg.ack, tcb.snd_una)
    if tcb.state is State.SYN_RECEIVED:
        if not (seq_lt(tcb.snd_una, seg.ack) and seq_le(seg.ack, tcb.snd_nxt)):
            layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg,
                               "RFC9293-3.10.7.4-MUST-syn-received-bad-ack-rst",
                               stamped=(tcb, now) if p.rst_carries_timestamps else None)
            return
        _syn_received_acked(layer, tcb, seg, now)
        table = TABLES[tcb.state]
    else:
        # RFC 5961 5.2: acceptable iff SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT.
        # (SND.NXT of RFC 9293 is the next new sequence number: a retransmission from the
        # queue does not move it back, so after a timeout's go-back the oracle's snd_nxt lies
        # below it and SND.MAX is what was sent: netstack and Linux accept an ACK up to it.)
        if seq_gt(seg.ack, tcb.snd_max):
            if p.ack_unsent_silent_established and tcb.state is State.ESTABLISHED:
                # Linux 6.1 tcp_rcv_established: tcp_ack's -TCP_ACK_UNSENT_DATA, no ACK.
                trace.add("tcp", DROP, "LINUX-tcp_rcv_established-ack-unsent-silent",
                          "ACK acknowledges something not yet sent: dropped silently")
                return
            trace.add("tcp", DROP, "RFC9293-3.10.7.4-MUST-ack-unsent",
                      "ACK acknowledges something not yet sent")
            send.challenge_ack(tcb, seg, now, "RFC9293-3.10.7.4-MUST-ack-unsent")
            return
        if seq_lt(seg.ack, seq_add(tcb.snd_una, -_max_snd_wnd(p, tcb))):
            # RFC 5961 5.2: too old; discarded (text, FIN and TS.Recent untouched), with a
            # challenge ACK.
            rule = "RFC5961-5.2-MUST-ack-too-old"
            if not seq_lt(seg.ack, seq_add(tcb.snd_una, -tcb.max_snd_wnd)):
                rule = "LINUX-tcp_ack-too-old-never-sent"  # only by the bytes_acked bound
            trace.add("tcp", DROP, rule, f"SEG.ACK={seg.ack} SND.UNA={tcb.snd_una} "
                      f"acknowledged so far {tcb.bytes_acked}")
            send.challenge_ack(tcb, seg, now, rule)
            return
        if update_ts and p.ts_recent_after_ack_check and not old_ack:
            # Linux tcp_ack: tcp_replace_ts_recent once the ACK passed its checks, before
            # tcp_clean_rtx_queue and tcp_fastretrans_alert: what this ACK makes the sender
            # (re)transmit already echoes its TSval (RFC 7323 4.3).
            tcb.ts_recent = ts[0]
            update_ts = False
        # RFC 5681 2 (definition of a duplicate ACK) and 3.2, RFC 6675: duplicate ACKs and
        # SACK information drive loss recovery (tcp/recovery.py; a connection without a
        # scoreboard whose ACK carries neither takes the plain path).
        dup = (seg.ack == tcb.snd_una and recovery.is_dupack(
            tcb, seg.window, bool(seg.payload or flags & FIN)))
        blocks = seg.sack_blocks if tcb.sack_ok and seg.options else ()
        if tcb.board is not None or dup or blocks:
            recovery.on_ack(layer, tcb, seg.ack, blocks, dup, now)
        elif seq_gt(seg.ack, tcb.snd_una):
            layer.acknowledge(tcb, seg.ack, now)
        # RFC 9293 3.10.7.4: if SND.UNA =< SEG.ACK =< SND.NXT, update the send window, only
        # from newer segments (an old ACK is ignored: Linux tcp_ack's old_ack path too).
        if not old_ack and (seq_lt(tcb.snd_wl1, seg.seq) or (
                tcb.snd_wl1 == seg.seq and seq_le(tcb.snd_wl2, seg.ack))):
            tcb.snd_wnd = seg.window << tcb.snd_wscale
            tcb.max_snd_wnd = max(tcb.max_snd_wnd, tcb.snd_wnd)
            tcb.snd_wl1 = seg.seq
            tcb.snd_wl2 = seg.ack
            if tcb.snd_wnd:
                tcb.timers.cancel(T_PERSIST)
                tcb.persist_backoff = 0
        if table.ack_of_fin is not None and tcb.fin_acked():
            if flags & FIN and tcb.orphan and tcb.state is State.FIN_WAIT_1 and \
                    p.fin_wait_2_minisock:
                # Linux tcp_rcv_state_process (FIN-WAIT-1, SOCK_DEAD): with th->fin the full
                # socket stays in FIN-WAIT-2 ("we could lose such FIN otherwise"), its
                # keepalive timer armed; no minisocket.
                tcb.fin_wait_2_full = True
                trace.add("tcp", "state", "LINUX-tcp_rcv_state_process-fin-wait-2-full-socket",
                          "FIN acknowledged by a segment with FIN: the full socket stays")
            layer.transition(tcb, table.ack_of_fin, now)
            if tcb.state is State.CLOSED:
                return
            consumed = (p.ack_of_fin_consumes
                        and linux_arrival.consumed_by_ack_of_fin(layer, tcb, seg))
            table = TABLES[tcb.state]
    if update_ts and p.ts_recent_after_ack_check and not (old_ack and p.old_ack_skips_ts_recent):
        tcb.ts_recent = ts[0]
    if consumed:
        return
    if new_after_fin:
        # RFC 9293 3.10.7.4 would acknowledge its FIN again (the text is ignored either way).
        trace.add("tcp", DROP, linux_arrival.RULE_AFTER_FIN_IGNORED,
                  f"FIN, SEG.SEQ {seg.seq} at or beyond RCV.NXT after the peer's FIN: not "
                  "acknowledged")
        send.transmit(tcb, now)
        return
    # Sixth check: URG. The urgent pointer is noted and the data stays in line (RFC 6093 4:
    # SO_OOBINLINE behaviour), unless the profile models Linux's out-of-band byte, which a read
    # then skips (tcp/urgent.py).
    if flags & URG and table.text is not None and table.text.accept:
        # RFC 9293 3.10.7.4 sixth check: RCV.UP <- max(RCV.UP, SEG.UP), signal the user.
        up = seq_add(seg.seq, seg.urgent)
        if tcb.rcv_up is None or seq_gt(up, tcb.rcv_up):
            tcb.rcv_up = up
        urgent.pointer_received(p, tcb, seg.seq, seg.urgent)
        trace.add("socket", "deliver", "RFC9293-3.10.7.4-MUST-urg-check",
                  f"SEG.UP={seg.urgent}: urgent data signalled, kept in line")
    if (p.ack_duplicate_sequence_space and length
            and seq_le(seq_add(seg.seq, length), tcb.rcv_nxt)):
        # Linux: old sequence space that tcp_sequence let through (see the profile flag).
        _duplicate(layer, tcb, seg, now)
        send.transmit(tcb, now)
        return
    # Seventh check: segment text.
    need_ack = False
    in_order_text = False
    text_in_sequence = False  # (its text at RCV.NXT, whatever is held out of order)
    fin_ok = bool(flags & FIN)
    if linux_arrival.text_after_fin_aborts(layer, tcb, seg):
        layer.sender.reset(tcb.local_ip, tcb.remote_ip, seg, linux_arrival.RULE_TEXT_AFTER_FIN)
        tcb.error = errno.ECONNRESET
        layer.delete(tcb)
        return
    if linux_arrival.second_fin_taken(layer, tcb, seg, rcv_wnd):
        # (tcp_data_queue's D-SACK of the old text is reset by tcp_fin: fin_clears_dsack)
        tcb.rcv_nxt = seq_add(tcb.rcv_nxt, 1)
        # (tcp_fin leaves the state as it is; ping-pong mode since the first FIN: may wait)
        send.send_ack(tcb, now, "RFC9293-3.10.7.4-MUST-ack-text-fin", may_delay=True)
        send.transmit(tcb, now)
        return
    lwip_abort = lwip_arrival.data_after_close(layer, tcb, seg, now)
    if lwip_abort:
        return
    if lwip_abort is None and (
            (seg.payload or (fin_ok and p.fin_gap_aborts_after_close)) and tcb.orphan
            and tcb.state in (State.FIN_WAIT_1, State.FIN_WAIT_2)
            and seq_gt(seq_add(seg.seq, len(seg.payload)), tcb.rcv_nxt)):
        # RFC 1122 4.2.2.13: new data after the user's CLOSE SHOULD draw a RST (Linux
        # tcp_rcv_state_process: TCPABORTONDATA, then a RST for the segment).
        rule = "RFC1122-4.2.2.13-SHOULD-rst-data-after-close"
        if not seg.payload:
            # Linux: `end_seq - fin` after RCV.NXT, so a FIN beyond RCV.NXT aborts too.
            layer.trace.add("tcp", DROP, "LINUX-tcp_rcv_state_process-fin-beyond-rcv-nxt",
                            "a FIN beyond RCV.NXT after close(): abort")
        layer.sender.abort_reset(tcb, seg, now, rule)
        tcb.error = errno.ECONNRESET
        layer.trace.add("tcp", "state", rule, f"{tcb.state.value} -> CLOSED")
        layer.delete(tcb)
        return
    if seg.payload:
        arm = table.text
        if arm is not None and arm.accept:
            start = seg.seq
            data = seg.payload
            off = seq_diff(tcb.rcv_nxt, start)
            if off > 0:
                note_duplicate(layer, tcb, start, tcb.rcv_nxt)
                data = data[off:]
                start = tcb.rcv_nxt
            if tcb.rcv_edge is not None:
                # Linux tcp_data_queue: text is taken up to the advertised right edge, as far
                # as the buffer's space rounded up to the scale unit reaches (profile
                # window_align_up; the oracle's RCV.WND is free buffer space).
                unit = (1 << tcb.rcv_wscale) - 1
                room = max(rcv_wnd, min(seq_diff(tcb.rcv_edge, tcb.rcv_nxt),
                                        (rcv_wnd + unit) & ~unit))
            else:
                room = rcv_wnd
            room -= seq_diff(start, tcb.rcv_nxt)
            if len(data) > room and p.window_edge_held:
                netstack_window.taken_whole(trace, len(data) - room)
                room = len(data)
            if (len(data) > room > 0 and p.text_beyond_edge_kept and tcb.rcv_edge is not None
                    and not (tcb.recv.ready and p.beyond_edge_refused_while_queued)):
                # Linux tcp_sequence + tcp_data_queue(_ofo): a segment starting within the
                # advertised edge is queued whole while the receive queue is empty (6.1:
                # whatever the queue holds).
                trace.add("tcp", ACCEPT, "LINUX-tcp_sequence-text-beyond-edge-kept",
                          f"{len(data) - room} octets beyond the right edge not trimmed")
                room = len(data)
            if len(data) > room:
                data = data[:max(0, room)]
                fin_ok = False  # RFC 9293 3.10.7.4: a FIN beyond the window is trimmed
            before = tcb.rcv_nxt
            if data:
                if start != before and p.dsack and tcb.sack_ok:
                    # (Linux's sequence space of a segment, end_seq, counts its FIN: with
                    # sack_edge_counts_fin the FIN is part of the block received again.)
                    fin_counts = p.sack_edge_counts_fin and fin_ok and seg.flags & FIN
                    held = _ofo_held(tcb, start, len(data) + bool(fin_counts),
                                     p.sack_edge_counts_fin)
                    if held is not None:
                        # RFC 2883 4 (examples 4-5): out-of-order text received again, a
                        # D-SACK block before the block holding it (Linux
                        # tcp_data_queue_ofo: tcp_dsack_set)
                        tcb.dsack = held
                # RFC 9293 3.10.7.4: held segments are processed after this one, whose FIN
                # (eighth check) ends the stream first: in-sequence text carrying a FIN is
                # taken alone, and the FIN discards what is held beyond it (Linux
                # tcp_data_queue: tcp_fin before tcp_ofo_queue; lwIP tcp_receive bins its
                # ooseq queue; stateful fuzz finding 6a5eb87526a9).
                merge = not (fin_ok and start == before and table.fin is not None)
                overlap = _ofo_overlap(tcb, start, len(data)) if merge else None
                tcb.rcv_nxt = tcb.recv.insert(start, data, tcb.rcv_nxt, merge)
                if overlap is not None and p.dsack and tcb.sack_ok:
                    # RFC 2883 4: octets received again, in order now and held out of order
                    # before (Linux tcp_ofo_queue: tcp_dsack_extend(skb->seq, dsack_high)).
                    tcb.dsack = overlap
                text_in_sequence = start == before
                in_order_text = text_in_sequence and not tcb.recv.ooo
                if text_in_sequence and tcb.recv.ooo and p.gap_fill_ack_delayed:
                    # RFC 5681 4.2 acknowledges text that fills part of a gap at once; lwIP's
                    # tcp_receive delays it (tcp_ack) with out-of-order data still queued.
                    trace.add("tcp", ACCEPT, "LWIP-tcp_receive-gap-fill-ack-delayed",
                              "in-order text, out-of-order data still queued: ACK may wait")
                    in_order_text = True
            elif off > 0 and not tcb.recv.ooo:
                # All its text old, its FIN at RCV.NXT: for Linux tcp_data_queue a partial
                # duplicate, queued in sequence (queue_and_out), then tcp_fin.
                in_order_text = True
            trace.add("socket", "deliver", arm.rule,
                      f"{len(data)} bytes, RCV.NXT {before} -> {tcb.rcv_nxt}")
            need_ack = True
        else:
            rule = arm.rule if arm is not None else "RFC9293-3.10.7.4-MUST-text-ignore"
            trace.add("tcp", DROP, rule, "text ignored")
    if (fin_ok and not seg.payload and p.seq_check_end_at_wup and tcb.rcv_edge is not None
            and not seq_lt(seg.seq, tcb.rcv_edge)):
        # A bare FIN at the advertised right edge, which Linux's tcp_sequence let through:
        # tcp_data_queue finds it out of window ("F.e. zero window probe") and drops it with
        # an immediate ACK, queueing nothing (RFC 9293 3.10.7.4 refuses it in the first check).
        trace.add("tcp", DROP, "LINUX-tcp_data_queue-out-of-window",
                  f"FIN at {seg.seq}, the right edge: not queued")
        fin_ok = False
        need_ack = True
    # Eighth check: FIN.
    if fin_ok and table.fin is not None:
        fin_at = seq_add(seg.seq, len(seg.payload))
        if tcb.peer_fin_seq is None or (fin_at == tcb.rcv_nxt
                                        and seq_gt(tcb.peer_fin_seq, tcb.rcv_nxt)):
            # A FIN in sequence is the one taken, also after a FIN at a later sequence number
            # (held out of order for later processing, RFC 9293 3.10.7.4 / 3.10.7.4 eighth
            # check; Linux tcp_data_queue -> tcp_fin, which purges the out-of-order queue
            # holding that FIN: fuzz findings 90162d597df9, e8a5bc085f55).
            tcb.peer_fin_seq = fin_at
        if p.sack_edge_counts_fin and seq_gt(fin_at, tcb.rcv_nxt):
            # RFC 2018 4 reports out-of-order data; Linux tcp_data_queue_ofo queues an
            # out-of-order FIN as a segment, text or not: it is held among the out-of-order
            # data in its order of arrival, and its SACK block reaches FIN + 1 (tcp/output.py).
            tcb.recv.insert(fin_at, b"", tcb.rcv_nxt)
            if not seg.payload and tcb.sack_ok:
                trace.add("tcp", ACCEPT, "LINUX-tcp_data_queue_ofo-bare-fin-sacked",
                          f"out-of-order FIN at {fin_at}: SACK block up to "
                          f"{seq_add(fin_at, 1)}")
        need_ack = True
    fin_taken = tcb.peer_fin_seq is not None and tcb.rcv_nxt == tcb.peer_fin_seq
    if update_ts and p.ts_recent_after_receive and not fin_taken:
        tcb.ts_recent = ts[0]  # (before this segment's ACK, as RFC 7323 4.3 has it)
    if fin_taken:
        # The FIN is in order: it advances RCV.NXT over itself. Nothing can follow it, so
        # out-of-order data beyond it is discarded (as Linux tcp_fin does).
        tcb.rcv_nxt = seq_add(tcb.rcv_nxt, 1)
        tcb.peer_fin_unread = True
        if p.fin_clears_dsack and tcb.state not in (State.FIN_WAIT_1, State.FIN_WAIT_2):
            # Linux tcp_fin: tcp_sack_reset, after the ACK it sends itself in FIN-WAIT-1 and
            # FIN-WAIT-2 (that one carries the D-SACK: stateful fuzz finding 28de98371207)
            tcb.dsack = None
        acked_before_purge = False
        if tcb.recv.ooo:
            if (p.fin_ack_sacks_purged_ofo and tcb.sack_ok
                    and tcb.state in (State.FIN_WAIT_1, State.FIN_WAIT_2)):
                # Linux tcp_fin: in FIN-WAIT-1 and FIN-WAIT-2 its own ACK goes before
                # skb_rbtree_purge and tcp_sack_reset, with the SACK blocks of what is still
                # held beyond the FIN (RFC 2018 4; stateful fuzz finding e9b6fbd63f37).
                trace.add("tcp", EVENT, RULE_FIN_ACK_SACKS_PURGED,
                          "ACK of the FIN before the out-of-order queue is purged")
                send.send_ack(tcb, now, RULE_FIN_ACK_SACKS_PURGED)
                acked_before_purge = True
            tcb.recv.ooo.clear()
            trace.add("tcp", DROP, "RFC9293-3.10.7.4-MUST-fin-ends-stream",
                      "out-of-order data beyond the FIN discarded")
        from_established = tcb.state is State.ESTABLISHED
        table = TABLES[tcb.state]
        layer.transition(tcb, table.fin, now)
        need_ack = not acked_before_purge
        # RFC 1122 4.2.3.2 lets this ACK be delayed too; the oracle acknowledges a FIN at once
        # unless the profile follows Linux's tcp_fin, which enters ping-pong mode moving
        # ESTABLISHED to CLOSE-WAIT: the ACK of a FIN taken in order waits for the delayed-ACK
        # timer (a FIN that completes earlier out-of-order data is acknowledged at once).
        # (Text in sequence that filled no gap: tcp_fin has purged what was held out of order
        # before tcp_data_queue looks for a filled gap, so its ACK waits as well; fuzz finding
        # e8a5bc085f55.)
        in_order_text = bool(p.fin_ack_delayed and from_established and flags & FIN
                             and (in_order_text or text_in_sequence or not seg.payload))
    if need_ack:
        # RFC 5681 4.2: out-of-order data is acknowledged immediately (a duplicate ACK), except
        # where the profile compresses SACKs (Linux, tcp/sack_compression.py).
        may_delay = in_order_text
        if (not may_delay and p.sack_compression and tcb.sack_ok and tcb.recv.ooo
                and sack_compression.ack_may_wait(tcb)):
            trace.add("tcp", "event", "LINUX-__tcp_ack_snd_check-sack-compressed",
                      "fourth or later ACK for out-of-order data at this RCV.NXT: may wait")
            may_delay = True
        if p.ack_rides_on_data and not may_delay:
            # Linux: data first (tcp_data_snd_check); a segment sent carries the ACK owed at
            # once and its SACK blocks (stateful fuzz findings 41de8e413d54, e8a5bc085f55).
            # (An ACK that may wait is predicted as such: riding on data is within it.)
            queued = len(send.out)
            send.transmit(tcb, now)
            need_ack = len(send.out) == queued
        if need_ack:
            send.send_ack(tcb, now, "RFC9293-3.10.7.4-MUST-ack-text-fin", may_delay=may_delay)
    if update_ts and p.ts_recent_after_receive and fin_taken:
        # (gVisor rcv.go consumeSegment: a FIN's ACK goes at once, before the sender half.)
        _take_ts_recent_late(layer, tcb, ts[0])
    send.transmit(tcb, now)


def _take_ts_recent_late(layer: Connections, tcb: Tcb, tsval: int) -> None:
    """RFC 7323 4.3 takes SEG.TSval into TS.Recent on arrival; gVisor's sender half does so
    after the receiver half (profile ts_recent_after_receive): the ACK of a FIN, sent at
    once, echoes the TS.Recent from before it (a data segment's ACK, sent after both halves,
    the new one: the caller updates it before that ACK)."""
    layer.trace.add("tcp", "event", "RFC7323-3.2-MUST-tsecr-echoes-ts-recent",
                    f"TS.Recent {tcb.ts_recent} -> {tsval} after the receive checks")
    tcb.ts_recent = tsval


def _held_ack_turns(layer: Connections, tcb: Tcb, seg: TcpRepr, length: int, rcv_wnd: int,
                    now: float, acceptable: bool) -> bool:
    """Would Linux tcp_sequence (profile seq_check_end_at_wup) judge this segment otherwise
    with the RCV.WUP and right edge it had before the delayed ACK it may still hold back
    (Tcb.held_ack)? For a RST or a pure ACK, the answer is then either nothing (the delayed
    ACK follows) or an ACK (the delayed ACK sent, then the challenge or first check's ACK):
    the same ACK once or twice, so it may merge with the held one."""
    held = tcb.held_ack
    if (held is None or now > held[2] or not layer.profile.seq_check_end_at_wup or length
            or seg.flags & (SYN | FIN)):
        return False
    if segment_acceptable_at_wup(seg.seq, length, held[0], tcb.rcv_nxt, rcv_wnd,
                                 held[1]) is acceptable:
        return False
    layer.trace.add("tcp", DROP if acceptable else ACCEPT,
                    "LINUX-tcp_sequence-wup-before-delayed-ack",
                    f"{'un' if acceptable else ''}acceptable at RCV.WUP {held[0]}, edge "
                    f"{held[1]}, while the delayed ACK may be held back: its ACK may merge")
    return True


def _before_rcv_nxt(layer: Connections, tcb: Tcb, seq: int) -> bool:
    """Is SEG.SEQ old sequence space (before RCV.NXT)? RFC 1982 3.2 leaves a distance of
    exactly 2**31 undefined (seq_lt says no); Linux's before() (tcp_send_dupack,
    tcp_disordered_ack_check) says yes: profile half_space_is_before."""
    if seq_lt(seq, tcb.rcv_nxt):
        return True
    if layer.profile.half_space_is_before and before_at_half(seq, tcb.rcv_nxt):
        layer.trace.add("tcp", DROP, "LINUX-tcp_send_dupack-half-space",
                        "SEG.SEQ = RCV.NXT + 2**31 taken as old sequence space")
        return True
    return False


def _within_paws_window(layer: Connections, tcb: Tcb, tsval: int, in_request: bool) -> bool:
    """A TSval older than TS.Recent by no more than the profile's PAWS window passes (Linux
    tcp_paws_check(&rx_opt, TCP_PAWS_WINDOW) in tcp_validate_incoming; the request and
    TIME-WAIT minisockets allow none, tcp_paws_reject); recorded when it decides."""
    window = layer.profile.paws_window
    if not window or in_request or seq_diff(tcb.ts_recent, tsval) > window:
        return False
    layer.trace.add("tcp", ACCEPT, "LINUX-tcp_paws_check-paws-window",
                    f"TSval {tsval} within {window} of TS.Recent {tcb.ts_recent}")
    return True


def _disordered_ack(layer: Connections, tcb: Tcb, seg: TcpRepr, tsval: int) -> bool:
    """Linux tcp_disordered_ack_check: a pure duplicate ACK at RCV.NXT (SEG.ACK = SND.UNA)
    that could update no window, whose TSval lies within the replay window (RTO * 1200 ticks,
    tcp_tsval_replay), is a reordered ACK and passes PAWS (recorded when it decides)."""
    nwin = seg.window << tcb.snd_wscale
    if (seg.flags & (ACK | SYN | FIN) != ACK or seg.payload or seg.seq != tcb.rcv_nxt
            or seg.ack != tcb.snd_una or seq_gt(seg.seq, tcb.snd_wl1)
            or (seg.seq == tcb.snd_wl1 and (nwin > tcb.snd_wnd or not nwin))
            or seq_diff(tcb.ts_recent, tsval) > int(tcb.rto.rto * 1200)):
        return False
    layer.trace.add("tcp", ACCEPT, "LINUX-tcp_disordered_ack_check-reordered-ack",
                    f"duplicate ACK, TSval {tsval} within the replay window")
    return True


def _max_snd_wnd(p: Profile, tcb: Tcb) -> int:
    """MAX.SND.WND of RFC 5961 5.2's acceptable ACK range; Linux tcp_ack bounds it by the
    octets the peer ever acknowledged ("do not accept ACK for bytes we never sent")."""
    if p.old_ack_bound_acked and tcb.bytes_acked < tcb.max_snd_wnd:
        return tcb.bytes_acked
    return tcb.max_snd_wnd


def _syn_received_acked(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> None:
    """SYN-RECEIVED, SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED with SND.WND <- SEG.WND,
    SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK (RFC 9293 3.10.7.4 fifth check)."""
    # RFC 7323 2.2: a SYN's window is never scaled.
    tcb.snd_wnd = seg.window if seg.flags & SYN else seg.window << tcb.snd_wscale
    if tcb.passive and layer.profile.max_window_from_ack:
        # Linux tcp_create_openreq_child: the child's max_window is this ACK's window, not
        # the SYN's (tcp_xmit_size_goal and tcp_sync_mss halve it: tcp/send_buffer.py)
        tcb.max_snd_wnd = tcb.snd_wnd
    else:
        tcb.max_snd_wnd = max(tcb.max_snd_wnd, tcb.snd_wnd)
    tcb.snd_wl1 = seg.seq
    tcb.snd_wl2 = seg.ack
    layer.acknowledge(tcb, seg.ack, now)
    if tcb.passive:
        # Linux tcp_create_openreq_child: the child starts at SND.UNA = ISS + 1, so the ACK
        # of the SYN,ACK is not counted in bytes_acked (an active open's SYN is).
        tcb.bytes_acked = 0
        if layer.profile.synrecv_minisock:
            # and with its own ACK-throttling timestamp, unarmed (last_oow_ack_time = 0; the
            # request socket's answers were limited by the request's own, RFC 5961 7).
            tcb.last_oow_ack = None
    layer.transition(tcb, TABLES[State.SYN_RECEIVED].ack_of_syn, now)
    layer.established_passive(tcb)


def _duplicate(layer: Connections, tcb: Tcb, seg: TcpRepr, now: float) -> None:
    """An accepted segment whose whole sequence space (text, SYN, FIN) lies before RCV.NXT:
    Linux tcp_data_queue reports it in a D-SACK block (RFC 2883 4) and acknowledges at once;
    nothing in it is delivered again."""
    rule = "LINUX-tcp_data_queue-duplicate"
    note_duplicate(layer, tcb, seg.seq, seq_add(seg.seq, seg.segment_len))
    layer.trace.add("tcp", DROP, rule, "old sequence space: D-SACK and an immediate ACK")
    layer.sender.send_ack(tcb, now, rule)


def rejected_duplicate(layer: Connections, tcb: Tcb, seg: TcpRepr, length: int) -> None:
    """A segment refused by the first check (RFC 9293 3.10.7.4) or PAWS (RFC 7323 5.3) whose
    sequence space is old is a duplicate: RFC 2883 4 reports it in a D-SACK block (Linux
    tcp_send_dupack, the one path of both refusals: ``end_seq != seq && before(seq,
    rcv_nxt)``, to SEG.SEQ + SEG.LEN at most RCV.NXT)."""
    p = layer.profile
    flags = seg.flags
    if _before_rcv_nxt(layer, tcb, seg.seq) and (seg.payload or (
            p.ack_duplicate_sequence_space and flags & FIN and not flags & SYN)):
        # Linux tcp_send_dupack: a D-SACK for any old sequence space, a FIN's included.
        note_duplicate(layer, tcb, seg.seq, seq_add(seg.seq, length))


def _ofo_overlap(tcb: Tcb, start: int, length: int) -> tuple[int, int] | None:
    """In-order text [start, start + length) that reaches data held out of order: the D-SACK
    block Linux's tcp_ofo_queue reports, from the first such segment to the text's end."""
    if start != tcb.rcv_nxt or not tcb.recv.ooo:
        return None
    end = seq_add(start, length)
    firsts = [s for s, d in tcb.recv.ooo.items() if d and seq_lt(s, end)]
    if not firsts:
        return None
    first = min(firsts, key=lambda s: seq_diff(s, start))
    return first, end


def _ofo_held(tcb: Tcb, start: int, length: int, fin_counts: bool = False,
              ) -> tuple[int, int] | None:
    """Out-of-order text [start, start + length) that starts inside a segment held out of
    order: the part of it held already (what Linux's tcp_data_queue_ofo reports, from the
    segment's start to its end or the held segment's). ``fin_counts``: a FIN held right after
    the held text ends the held segment (Linux: the skb's end_seq counts its FIN)."""
    ooo = tcb.recv.ooo
    for s, d in ooo.items():
        if d and seq_le(s, start) and seq_lt(start, seq_add(s, len(d))):
            end = seq_add(start, length)
            held_end = seq_add(s, len(d))
            if fin_counts and ooo.get(held_end) == b"":
                held_end = seq_add(held_end, 1)
            return start, end if seq_le(end, held_end) else held_end
    return None


def note_duplicate(layer: Connections, tcb: Tcb, start: int, end: int) -> None:
    """RFC 2883: report received-again data in a D-SACK block (if the profile does)."""
    if layer.profile.dsack and tcb.sack_ok:
        if seq_lt(tcb.rcv_nxt, end):
            end = tcb.rcv_nxt
        tcb.dsack = (start, end)


def time_wait_entered(layer: Connections, tcb: Tcb, now: float) -> None:
    """RFC 9293 3.10.7.4: start the time-wait timer, turn off the other timers."""
    tcb.timers.clear()
    tcb.timers.set(T_TIME_WAIT, now + layer.profile.time_wait)
    if layer.profile.time_wait_minisock:
        # Linux tcp_time_wait: the minisocket's own ACK-throttling timestamp starts unarmed
        # (tw_last_oow_ack_time = 0; RFC 5961 7, tcp/ack_throttle.py).
        tcb.last_oow_ack = None


def time_wait_reopen(layer: Connections, tcb: Tcb, seg: TcpRepr) -> bool:
    """RFC 1122 4.2.2.13 (MAY): a new SYN may reopen the connection from TIME-WAIT. RFC 6191 2
    says which: with timestamps on both incarnations, one whose TSval is newer than TS.Recent
    (or equal to it, above the old sequence space); else one above the old sequence space
    (RFC 1122). Linux tcp_timewait_state_process (TCP_TW_SYN): not PAWS-rejected, and after
    RCV.NXT or with a TSval newer than TS.Recent. The caller then hands the SYN to the
    listener; the new ISS must lie above the old SND.NXT."""
    if not (layer.profile.time_wait_accepts_syn and tcb.state is State.TIME_WAIT):
        return False
    detail = time_wait.new_syn(layer.profile, tcb, seg)
    if detail is None:
        return False
    layer.trace.add("tcp", "state", "RFC1122-4.2.2.13-MAY-time-wait-reopen", detail)
    layer.delete(tcb)
    return True
