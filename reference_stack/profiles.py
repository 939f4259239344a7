"""Profiles: the parameters where the RFCs leave latitude, as frozen data (DESIGN principle 3).

A profile is passed into the stack; nothing here is global or mutable. `RFC` is the strict
reading of the RFCs (where the RFCs allow several outputs, predictions carry the whole allowed
set); `LINUX` records the choices of a Linux 6.x host in a default network namespace, and
narrows the allowed variance accordingly.

To break one rule on purpose (a test of the harness itself), derive a profile with
`profile.breaking("RFC1122-3.2.1.2-MUST-verify-checksum")`: code applying a rule that can be broken
asks `profile.breaks(rule_id)`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from reference_stack.route_metrics import NO_ROUTE_METRICS, RouteMetrics

# Overlapping IPv4 fragments (RFC 791 leaves the choice open; RFC 5722 forbids overlaps for IPv6).
OVERLAP_LAST_WINS = "last"  # RFC 791's reassembly procedure copies each fragment in turn
OVERLAP_FIRST_WINS = "first"
OVERLAP_DISCARD = "discard"  # the whole datagram is dropped (Linux, also for IPv4)

# Zero-window probes (RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17).
PROBE_ONE_BYTE = "one_byte"  # send one byte of new data beyond the window
PROBE_OLD_SEQ = "old_seq"  # Linux: an empty ACK with SEQ = SND.UNA - 1 (tcp_xmit_probe_skb)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    # IPv4
    ttl: int = 64  # RFC 1122 3.2.1.7: fixed default TTL; RFC 1700 recommends 64
    mtu: int = 1500
    # RFC 1191 3: a host doing path MTU discovery sends its datagrams with DF set; one that
    # does not leaves DF clear (RFC 791 3.2 then lets routers fragment them). Linux: DF on
    # TCP and UDP sockets unless net.ipv4.ip_no_pmtu_disc (inet_create: IP_PMTUDISC_DONT).
    tcp_df: bool = True
    udp_df: bool = True
    icmp_df: bool = False
    # The RFC profile applies tcp_df to every segment. Linux sends a RST answering a segment
    # and the ACKs of its TIME-WAIT and request sockets from the namespace's control socket
    # (ip_send_unicast_reply), whose pmtudisc tcp_sk_init sets to IP_PMTUDISC_DO: DF whatever
    # net.ipv4.ip_no_pmtu_disc made of the connection's own socket.
    control_socket_df: bool = False
    # Linux ip_build_and_send_pkt sends a request socket's SYN,ACK with DF when the datagram
    # is at most 576 octets (IPV4_MIN_MTU: "do not bother generating IPID for small packets"),
    # whatever the listener's pmtudisc (RFC 1191 3 leaves a host not doing discovery free).
    small_synack_df: bool = False
    accept_own_source: bool = False  # a datagram from our own address is a martian
    directed_broadcast_source_martian: bool = True  # RFC 1122 3.2.1.3; Linux accepts it
    drop_source_routed: bool = False  # Linux: accept_source_route = 0
    reassembly_timeout: float = 60.0  # RFC 1122 3.3.2: 60 to 120 seconds recommended
    fragment_overlap: str = OVERLAP_LAST_WINS
    # RFC 826 reception adds the sender of any ARP packet targeting us; Linux (arp_process,
    # net.ipv4.conf.*.arp_accept = 0) creates no entry from a reply of an unknown sender.
    arp_accept: bool = True
    # ICMP
    icmp_error_max_len: int = 576  # RFC 1812 4.3.2.3: up to 576 octets in total
    icmp_quote_exact: bool = False  # False: any prefix of >= header + 8 octets is allowed
    echo_ignore_broadcasts: bool = False  # RFC 1122 3.2.2.6: MAY ignore broadcast echo
    # RFC 1122 3.2.2.6: every host MUST answer an Echo Request. Linux icmp_echo drops them all
    # while net.ipv4.icmp_echo_ignore_all is set (off by default).
    echo_ignore_all: bool = False
    # RFC 1122 4.2.3.9: a soft error (Destination Unreachable codes 0, 1, 5, ...) MUST NOT
    # abort a connection; Linux tcp_v4_err aborts one in SYN-SENT (RFC 5461 4: common practice).
    syn_sent_aborts_on_soft_error: bool = False
    # RFC 9293 3.10.7.3 answers an unacceptable ACK in SYN-SENT with a RST (or drops a RST)
    # and leaves the SYN's retransmission timer alone. Linux tcp_rcv_synsent_state_process
    # ("previous FIN/ACK or RST/ACK might be ignored") re-arms it to TCP_TIMEOUT_MIN
    # (tlp_min_timeout) while the SYN has not been retransmitted: the SYN goes again at once.
    syn_sent_bad_ack_rearms: bool = False
    # (With it: gVisor's network/ipv4/icmp.go hands TCP only Host Unreachable among the soft
    # Destination Unreachable codes; Network Unreachable and the others are dropped.)
    soft_error_abort_host_only: bool = False
    icmp_timestamp_reply: bool = False  # RFC 1122 3.2.2.8: MAY answer Timestamp (Linux does)
    icmp_error_echo_options: bool = False  # Linux icmp_send: ip_options_echo into errors
    # RFC 1122 3.2.2.6 returns Record Route and Timestamp in an echo reply and says nothing of
    # the other options (the oracle returns none of them). gVisor rebuilds the request's option
    # area in order: NOP, End of List, Router Alert kept, RR and TS updated, others left out,
    # zero-padded to a 4-octet multiple (ip_options.echo_option_area).
    echo_reply_option_area: bool = False
    # RFC 7323 3.2: a RST MAY carry the Timestamps option (the oracle's carry none). gVisor's
    # endpoint sends its resets through sendRaw, whose options hold TS once negotiated
    # (transport/tcp/connect.go sendRaw / makeOptions; in SYN-RECEIVED: handshake's RST).
    rst_carries_timestamps: bool = False
    # RFC 7323 5.3 R3 takes SEG.TSval into TS.Recent only from an acceptable segment; gVisor's
    # TIME-WAIT (transport/tcp/rcv.go handleTimeWaitSegment) takes it from any ACK with
    # SEG.SEQ =< Last.ACK.sent before its sequence checks, so its ACK echoes that TSval.
    time_wait_ts_recent_first: bool = False
    ip_options_compile: bool = False  # Linux: options validated in order (ip_options_compile)
    igmp_host: bool = False  # RFC 1112 / RFC 2236 host: protocol 2 is IGMP, not unreachable
    icmp_quote_udp_length: bool = False  # Linux: a port unreachable quotes the UDP length only
    # RFC 792 (Echo Reply): code 0. Linux icmp_echo copies the request's header and changes
    # only its type (`icmp_param.data.icmph = *icmp_hdr(skb)`): the request's code is echoed.
    echo_reply_copies_code: bool = False
    # RFC 1349 5.1: an Echo Reply SHOULD carry the request's TOS (Linux icmp_reply takes
    # ip_hdr(skb)->tos); False: the reply goes out with TOS 0.
    echo_reply_keeps_tos: bool = True
    # RFC 1122 3.2.2.1: Protocol Unreachable for a transport the host does not run. Linux
    # registers UDP-Lite (IP protocol 136, RFC 3828; udplite_rcv), so a valid UDP-Lite datagram
    # to a port without a UDP-Lite socket draws Port Unreachable (RFC 1122 4.1.3.1) instead.
    udplite: bool = False
    # TCP handshake and options
    window_scaling: bool = True  # RFC 7323 2
    window_scale: int = 7
    timestamps: bool = True  # RFC 7323 3
    sack: bool = True  # RFC 2018
    # RFC 3168 6.1.1: a host MAY answer an ECN-setup SYN (ECE and CWR) with an ECN-setup
    # SYN-ACK (ECE); the RFC profile does not use ECN. Linux net.ipv4.tcp_ecn = 2 accepts it on
    # passive opens (tcp_ecn_create_request, tcp_ecn_make_synack).
    ecn_accept: bool = False
    # RFC 3168 6.1.1: a host MAY send an ECN-setup SYN (ECE and CWR) on an active open; Linux
    # does with net.ipv4.tcp_ecn = 1 (tcp_ecn_send_syn) and, with tcp_ecn_fallback = 1 (the
    # default), retransmits the SYN without them (tcp_ecn_clear_syn).
    ecn_request: bool = False
    ecn_fallback: bool = True
    dsack: bool = False  # RFC 2883 D-SACK (optional); Linux: net.ipv4.tcp_dsack = 1
    # RFC 2018 3: a SACK block's right edge follows the last octet of the data received. Linux
    # tcp_sack_new_ofo_skb(sk, seq, end_seq) counts an out-of-order segment's FIN in it, and
    # a FIN alone beyond RCV.NXT (tcp_data_queue_ofo queues it too) has a block of its own.
    sack_edge_counts_fin: bool = False
    # RFC 2883 reports text received again in a D-SACK block; Linux tcp_fin resets the SACK
    # state (tcp_sack_reset: dsack = 0) when it takes the peer's FIN, so the ACK of a segment
    # whose old text came with the FIN taken carries no D-SACK block (except in FIN-WAIT-1
    # and FIN-WAIT-2, where tcp_fin sends that ACK itself before the reset).
    fin_clears_dsack: bool = False
    # RFC 9293 3.8.6.3 lets an ACK ride on data. Linux ends segment processing with
    # tcp_data_snd_check before tcp_ack_snd_check: data the segment let go (a window opened)
    # carries the ACK owed, which is then not sent on its own.
    ack_rides_on_data: bool = False
    # RFC 5681 4.2: out-of-order data SHOULD be acknowledged at once. Linux sends the first three
    # such ACKs at one RCV.NXT at once and compresses later ones (tcp/sack_compression.py).
    sack_compression: bool = False
    ts_recent_after_ack_check: bool = False  # Linux updates TS.Recent in tcp_ack, after the
    # ACK checks (and not at all for an old ACK, SEG.ACK < SND.UNA: tcp_ack returns at old_ack
    # before tcp_replace_ts_recent); RFC 7323 4.3 right after the sequence check
    # RFC 7323 4.3 takes TS.Recent from any acceptable segment, an old ACK's too; with
    # ts_recent_after_ack_check, Linux 6.18's tcp_ack skips it for an old ACK (SEG.ACK <
    # SND.UNA), while 6.1's updates it at old_ack ("An old ACK can carry new data").
    old_ack_skips_ts_recent: bool = False
    # RFC 9293 3.10.7.4 fifth check drops a segment without ACK after the sequence check (which
    # answers an unacceptable one); Linux tcp_rcv_established / tcp_rcv_state_process drop a
    # segment with none of ACK, RST, SYN before any check (drop reason TCP_FLAGS), silently.
    drop_without_ack_first: bool = False
    # RFC 7323 does not say which of two Timestamps options counts (the oracle: the first);
    # Linux tcp_parse_options lets each overwrite rcv_tsval: the last counts (TS.Recent, PAWS).
    last_timestamps_option: bool = False
    # RFC 7323 5.3 R1 answers a PAWS-rejected segment with an ACK; Linux 6.14+
    # (tcp_validate_incoming -> tcp_disordered_ack_check, TCP_RFC7323_PAWS_ACK) drops a pure
    # ACK before RCV.NXT silently ("old ACK are common").
    paws_old_ack_silent: bool = False
    # RFC 1122 4.2.2.5 / RFC 9293 3.1: unknown options are ignored, illegal lengths survived.
    # Linux (CONFIG_TCP_MD5SIG) drops, before any state processing, a segment with a TCP MD5
    # option (RFC 2385) for a socket without a key, or with broken framing in an option area
    # of 18 octets or more (tcp_inbound_hash; tcp/auth_options.py), and sends no RST for one.
    inbound_auth_check: bool = False
    # With inbound_auth_check: broken option framing in that area is dropped too (6.18's
    # tcp_do_parse_auth_options: -EINVAL, TCP_AUTH_HDR); 6.1's tcp_parse_md5sig_option stops
    # at it and finds no signature, so only a well-formed first MD5 option drops.
    auth_framing_checked: bool = False
    # RFC 1122 4.2.2.5: an illegal option length is survived, the segment processed (rfc).
    # True: a segment whose option list has a length of zero or one running past the header
    # is dropped before any state processing.
    bad_option_length_drops: bool = False
    # RFC 1982 3.2 leaves a comparison of sequence numbers 2**31 apart undefined; Linux's
    # before() ((s32)(a - b) < 0) says "before": tcp_send_dupack reports such a segment's
    # data in a D-SACK block as old (RFC 2883 4), on the first check's path and on PAWS's,
    # where tcp_disordered_ack_check drops such a pure ACK silently (paws_old_ack_silent).
    half_space_is_before: bool = False
    # RFC 9293 3.10.7.4 (eighth check) acknowledges a FIN, RFC 1122 4.2.3.2 lets the ACK be
    # delayed; Linux tcp_fin (ESTABLISHED -> CLOSE-WAIT, inet_csk_enter_pingpong_mode) delays
    # it: the prediction carries the delayed-ACK latitude (timing.delay_ms).
    fin_ack_delayed: bool = False
    # RFC 7323 5.3 R1: TSval < TS.Recent fails PAWS. Linux tcp_validate_incoming allows
    # TCP_PAWS_WINDOW (1) tick of reordering (tcp_paws_check: ts_recent - tsval <= 1 passes).
    paws_window: int = 0
    # RFC 7323 5.3 R1 rejects any TSval < TS.Recent; Linux (tcp_disordered_ack_check) lets a
    # pure duplicate ACK at RCV.NXT that updates no window through when its TSval is within
    # the replay window (RTO * 1200 ticks, tcp_tsval_replay): a reordered ACK.
    paws_disordered_ack: bool = False
    # RFC 5961 4.2 challenges a SYN whatever its sequence number; RFC 9293's first check answers
    # an unacceptable one with its duplicate ACK (and D-SACK). Linux tcp_validate_incoming sends
    # an unacceptable SYN to syn_challenge: a challenge ACK, no D-SACK.
    syn_challenge_any_seq: bool = False
    # RFC 7323 4.3 copies SEG.TSval into TS.Recent when an in-order segment arrives, so the
    # ACK it draws echoes it. gVisor's netstack (transport/tcp/connect.go handleSegmentLocked)
    # runs the receiver half first (rcv.go handleRcvdSegment: the closing states' ACK check,
    # text, a FIN's immediate ACK) and updates TS.Recent in the sender half after it (snd.go
    # handleRcvdSegment -> endpoint.go updateRecentTimestamp), only if the segment was kept;
    # a SYN's challenge ACK (maybeSendOutOfWindowAck) never updates it.
    ts_recent_after_receive: bool = False
    # RFC 5961 5.2: an ACK below SND.UNA - MAX.SND.WND is too old. Linux tcp_ack bounds
    # MAX.SND.WND by the octets the peer ever acknowledged (min(max_window, bytes_acked)).
    old_ack_bound_acked: bool = False
    # RFC 9293 3.10.7.4 first check: a segment is acceptable if SEG.SEQ+SEG.LEN-1 >= RCV.NXT (or
    # SEG.SEQ >= RCV.NXT). Linux tcp_sequence accepts it if SEG.SEQ+SEG.LEN (SYN and FIN
    # counted) >= RCV.WUP (RCV.NXT when the last window was sent, i.e. Last.ACK.sent) and
    # SEG.SEQ =< the right edge: a retransmission that ends exactly at RCV.NXT is acceptable.
    seq_check_end_at_wup: bool = False
    # RFC 7323 2.3: a scaled window field loses the low bits of RCV.WND (either rounding is
    # allowed). Linux __tcp_select_window rounds up (`ALIGN(window, 1 << rcv_wscale)`, so as
    # not to announce a zero window); tcp_sequence (with seq_check_end_at_wup) then accepts up
    # to RCV.WUP plus that window, a zero-length segment at the edge itself included (RFC 9293
    # 3.10.7.4 accepts one only below RCV.NXT + RCV.WND), and tcp_data_queue takes text up to
    # the edge.
    window_align_up: bool = False
    # RFC 9293 3.10.7.4: text beyond the receive window is trimmed. Linux tcp_sequence (6.17+,
    # "do not accept packets beyond window") lets a segment that starts within the advertised
    # edge but ends beyond it through whole while the receive queue is empty, and
    # tcp_data_queue / tcp_data_queue_ofo queue it untrimmed (its SACK block reaches its end).
    # While the receive queue holds anything (unread text, or the peer's FIN not yet read)
    # tcp_sequence refuses it instead (TCP_INVALID_END_SEQUENCE: the first check's ACK), unless
    # only its FIN lies beyond the edge ("some stacks are known to handle FIN incorrectly").
    text_beyond_edge_kept: bool = False
    # With text_beyond_edge_kept: the refusal while the receive queue holds anything
    # (TCP_INVALID_END_SEQUENCE, 6.17+); 6.1's tcp_sequence checks only SEG.SEQ against the
    # edge, so such a segment is queued whole out of order (its SACK block reaches its end).
    beyond_edge_refused_while_queued: bool = False
    # Linux tcp_data_queue (reached from CLOSE-WAIT, CLOSING and LAST-ACK too when SEG.SEQ <
    # RCV.NXT, tcp_rcv_state_process): an accepted segment whose sequence space (text, SYN or
    # FIN) lies before RCV.NXT is a duplicate: a D-SACK block (RFC 2883, tcp_dsack_set) and an
    # immediate ACK. RFC 9293 never sees such a segment (its first check rejects it).
    ack_duplicate_sequence_space: bool = False
    # RFC 6691 2: the sender deducts the options it sends from the peer's MSS. gVisor's
    # netstack (transport/tcp/snd.go newSender: `int(mss) - ep.maxOptionSize()`) deducts its
    # largest possible option area, the SACK option with as many blocks as fit included, so
    # every data segment is smaller than the MSS allows (36 octets without timestamps).
    mss_reserves_sack: bool = False
    initial_window_space: int = 65535  # receive window offered in SYN and SYN-ACK
    round_initial_window_to_mss: bool = False  # Linux: rounddown(space, mss)
    listen_drop_syn_fin: bool = False  # Linux discards SYN+FIN in LISTEN
    # RFC 9293 3.10.7.3 leaves the SYN,ACK's window of a simultaneous open free; Linux
    # (tcp_rcv_synsent_state_process -> tcp_send_synack) repeats its SYN's window (tp->rcv_wnd
    # from tcp_connect_init) instead of recomputing it with the timestamp option deducted.
    simultaneous_open_keeps_syn_window: bool = False
    # TCP timers (RFC 6298, RFC 9293 3.4.2, 3.8.1)
    rto_initial: float = 1.0
    rto_min: float = 1.0
    rto_max: float = 60.0
    syn_retries: int = 6
    # RFC 6298 5.5 doubles the RTO on every expiry. Linux tcp_retransmit_timer keeps the SYN's
    # RTO unchanged for its first net.ipv4.tcp_syn_linear_timeouts retransmissions (6.x: 4).
    syn_linear_timeouts: int = 0
    # RFC 8985 7 (RACK-TLP, optional): a tail loss probe, sent PTO = 2 * SRTT (+ rto_min with
    # one segment in flight, + tlp_min_timeout otherwise, capped by the RTO) after the last
    # transmission: new data if any, else the last segment again. Linux
    # tcp_schedule_loss_probe (net.ipv4.tcp_early_retrans = 3, SACK connections only).
    tail_loss_probe: bool = False
    tlp_min_timeout: float = 0.008  # Linux TCP_TIMEOUT_MIN: 2 jiffies (HZ = 250)
    synack_retries: int = 6  # retransmissions of a passive open's SYN,ACK
    data_retries: int = 15
    # RFC 5681 3.2: the third duplicate ACK starts fast retransmit. Linux tcp_time_to_recover
    # (and RACK's reordering window, tcp_rack_reo_wnd) count against tp->reordering, which
    # starts at net.ipv4.tcp_reordering (3).
    dupthresh: int = 3
    # RFC 9293 3.8.3 R2 counts retransmissions. Linux tcp_write_timeout (synchronized states)
    # gives up by time instead (retransmits_timed_out): once the time since the first
    # retransmission reaches what `limit` retransmissions backed off from TCP_RTO_MIN would
    # take (tcp_model_timeout), at a timer expiry.
    retries_by_time: bool = False
    # RFC 9293 3.8.3 (R2) applies to every connection; Linux tcp_write_timeout bounds an
    # orphan's (its socket closed) retransmissions by tcp_orphan_retries() instead
    # (net.ipv4.tcp_orphan_retries, 0 meaning 8). None: data_retries.
    orphan_retries: int | None = None
    # RFC 9293 3.10.7.2 keeps state for each SYN in LISTEN. Linux tcp_conn_request answers
    # statelessly with a SYN cookie while the request queue is over the backlog
    # (net.ipv4.tcp_syncookies = 1; 2: always); a cookie keeps window scale and SACK only in
    # the timestamp, so a SYN without one is answered with the MSS option alone. None: no
    # request-queue limit; 0: a SYN over it is dropped.
    syncookies: int | None = None
    time_wait: float = 240.0  # 2 * MSL, MSL = 2 minutes (RFC 9293 3.4.2)
    keepalive_idle: int = 7200  # RFC 1122 4.2.3.6: no less than two hours by default
    keepalive_interval: int = 75  # RFC 1122 4.2.3.6 sets none (BSD's 75 s)
    keepalive_probes: int = 9  # RFC 1122 4.2.3.6 sets none (BSD's 9)
    zero_window_probe: str = PROBE_ONE_BYTE
    # RFC 5961 7 (SHOULD) ACK throttling: at most one challenge ACK or out-of-window ACK per
    # interval and connection (Linux __tcp_oow_rate_limited: net.ipv4.tcp_invalid_ratelimit);
    # None: no limit (tcp/ack_throttle.py).
    oow_ack_interval: float | None = None
    # Linux tcp_oow_rate_limited: the ACK of an out-of-window or PAWS-rejected segment with data
    # or FIN and no SYN is neither limited nor arms the limit (RFC 5961 7 limits them all).
    oow_limit_exempts_data: bool = False
    fin_wait_2_timeout: float | None = None  # orphaned FIN-WAIT-2 lifetime (Linux 60 s)
    time_wait_accepts_syn: bool = False  # RFC 1122 4.2.2.13 MAY: reopen from TIME-WAIT
    # RFC 9293 3.10.7.4: a RST (at RCV.NXT) ends TIME-WAIT; RFC 1337 3 proposes ignoring it.
    # Linux does with net.ipv4.tcp_rfc1337 = 1 (tcp_timewait_state_process), default 0.
    time_wait_ignores_rst: bool = False
    drop_segment_without_ts: bool = True  # RFC 7323 3.2 SHOULD; Linux accepts them
    # RFC 9293 3.8.5 / RFC 6093: urgent data stays in line. Linux (without SO_OOBINLINE) takes
    # the last urgent octet out of the stream as an out-of-band byte (tcp_urg, tcp_recvmsg).
    urgent_oob_byte: bool = False
    # -- congestion control and loss recovery (tcp/recovery.py) ---------------------------
    # RFC 5681 3.1 RECOMMENDS cwnd += min(N, SMSS) per ACK in slow start. Linux tcp_slow_start
    # adds every segment the ACK delivered (cwnd = min(cwnd + acked, ssthresh); RFC 3465
    # appropriate byte counting without its L limit); so does gVisor's reno.go/cubic.go
    # updateSlowStart. The rule id the oracle records for it ("" : the RFC's min(N, SMSS)).
    slow_start_counts_segments: str = ""
    # RFC 5681 3.1 grows cwnd by what an ACK acknowledges; gVisor's snd.go handleRcvdSegment
    # passes cc.Update(originalOutstanding - s.Outstanding), the segments the ACK removed
    # from the write list: one it acknowledges only in part is trimmed (TrimFront) and still
    # counts as outstanding, so such an ACK grows cwnd by nothing (slow start, reno.go
    # updateSlowStart, and congestion avoidance alike).
    slow_start_whole_segments: bool = False
    # RFC 9293 3.10.4: CLOSE in ESTABLISHED enters FIN-WAIT-1 (the FIN queued). gVisor's
    # endpoint leaves ESTABLISHED only when the FIN segment goes out (snd.go maybeSendSegment:
    # setEndpointState(StateFinWait1)), so while the congestion window holds the FIN
    # (fin_obeys_cwnd) rcv.go handleRcvdSegment skips handleRcvdSegmentClosing: the checks
    # after close() (after_close_checks_before_ack) wait for the FIN to be sent.
    closing_checks_after_fin_sent: bool = False
    # RFC 3465 2.2 (appropriate byte counting) lets slow start add min(N, L * SMSS) per ACK
    # with L up to 2; RFC 5681 3.1 RECOMMENDS L = 1 (this field: L, in segments). lwIP's
    # tcp_in.c tcp_receive takes L = 2, and 1 while the retransmissions of a timeout are
    # unacknowledged (TF_RTO, cleared once SND.UNA reaches rto_end).
    slow_start_limit_segments: int = 1
    # RFC 5681 3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS) on loss. Linux's default
    # congestion control, CUBIC (bictcp_recalc_ssthresh), takes cwnd * beta / 1024 with
    # beta = 717 (at least 2 segments): the profile's beta, None for the RFC's halving.
    recovery_beta: int | None = None
    # RFC 6675 4 IsLost() deems a segment lost once DupThresh segments above it are SACKed.
    # Linux (net.ipv4.tcp_recovery & 1) uses RACK (RFC 8985 6, tcp_rack_detect_loss): a
    # segment is lost once one sent after it is SACKed and the reordering window (RACK.min_RTT
    # / 4, zero in recovery or with DupThresh segments SACKed: tcp_rack_reo_wnd) has passed.
    rack_loss_detection: bool = False
    # RFC 6675 5 keeps cwnd at ssthresh through recovery. Linux tcp_cwnd_reduction runs
    # Proportional Rate Reduction (RFC 6937 PRR-SSRB, RecoverFS = the cwnd at the start).
    prr: bool = False
    # TCP data path
    initial_cwnd_segments: int | None = None  # None: RFC 5681 3.1 formula; Linux: 10 (RFC 6928)
    send_buffer: int = 16384
    # RFC 1122 4.2.3.4 Nagle: hold a partial segment while any data is unacknowledged. Linux
    # uses Minshall's variant (tcp_nagle_check / tcp_minshall_check): hold it only while an
    # earlier partial segment is unacknowledged, so a write's last short segment follows the
    # full-sized ones at once.
    nagle_minshall: bool = False
    # RFC 1122 4.2.3.4 holds all user data while data is unacknowledged, the FIN behind it.
    # Linux's tcp_nagle_test never holds the segment that carries the FIN ("don't use the
    # nagle rule ... for the final FIN"): data written before close()/shutdown() goes at once
    # with the FIN.
    nagle_exempts_fin: bool = False
    # RFC 1122 4.2.2.2: a TCP MAY aggregate SENDs without PUSH. A send() with MSG_MORE is one:
    # Linux holds its partial segment as under TCP_CORK for that call (tcp_push,
    # TCP_NAGLE_CORK; tcp/output.py). A stack may instead send as Nagle allows and only leave
    # PSH off the call's segments (msg_more_clears_psh), or ignore the flag.
    msg_more_holds: bool = True
    msg_more_clears_psh: bool = False
    # RFC 1122 4.2.2.13: new data after CLOSE SHOULD draw a RST. Linux's tcp_rcv_state_process
    # (FIN-WAIT-1/2 after close()) aborts on any segment with data or FIN whose `end_seq - fin`
    # is after RCV.NXT: a FIN alone beyond RCV.NXT (a gap before it) aborts too.
    fin_gap_aborts_after_close: bool = False
    # RFC 9293 3.10.7.4 (seventh check) ignores text in CLOSE-WAIT, CLOSING and LAST-ACK.
    # Linux tcp_rcv_state_process lets a segment there that starts before RCV.NXT fall through
    # to FIN-WAIT's check, and the peer's FIN set RCV_SHUTDOWN (tcp_fin): text ending after
    # RCV.NXT aborts the connection with a RST (TCPABORTONDATA).
    text_after_fin_aborts: bool = False
    # RFC 9293 3.10.4: after CLOSE the FIN follows the data already sent; RFC 5681 limits data,
    # not a lone FIN. Linux queues the FIN as a segment of its own (tcp_send_fin, unless it
    # rides on unsent data) and tcp_write_xmit's tcp_cwnd_test holds it while the segments in
    # flight fill the congestion window (a tail loss probe may force it out).
    fin_obeys_cwnd: bool = False
    # RFC 9293 3.10.4 sends the FIN after the queued data; Linux's tcp_write_xmit holds the
    # FIN's segment like data while the peer's window does not cover it (tcp_snd_wnd_test:
    # end_seq after SND.UNA + SND.WND), probing a zero window meanwhile (tcp_check_probe_timer).
    fin_obeys_send_window: bool = False
    # RFC 6298 5.4 retransmits the earliest unacknowledged segment (RFC 9293 3.8.1 lets it be
    # repacketized with the data after it). Linux's retransmission timer sends the head of its
    # retransmission queue alone (tcp_retransmit_timer -> tcp_retransmit_skb, later sent
    # segments collapsed into it up to an MSS by tcp_retrans_try_collapse): never data that
    # was not sent before, and no new data beside it.
    rto_retransmits_head: bool = False
    # The NIC holds the last frame it sent until it sends another (virtio_net without TX NAPI
    # frees a sent skb at its next start_xmit, free_old_xmit_skbs): that segment's skb stays
    # cloned, and Linux's tcp_retrans_try_collapse does not collapse it into the head it
    # retransmits (tcp_can_collapse: skb_cloned). RFC 9293 3.8.1 allows either.
    nic_holds_last_frame: bool = False
    # RFC 1122 4.2.2.13: closing with unread data SHOULD send a RST (an ABORT, which RFC 9293
    # 3.10.5 sends in no state past CLOSE-WAIT). Linux tcp_close resets on unread data in any
    # state, CLOSING and LAST-ACK too (tcp_send_active_reset).
    close_unread_resets_any_state: bool = False
    recv_buffer: int = 131072
    ephemeral_ports: tuple[int, int] = (49152, 65535)  # RFC 6335 6
    # Sockets
    sockbuf_doubling: bool = False  # Linux stores twice the SO_RCVBUF/SO_SNDBUF value asked
    # Linux's minisockets: tcp_check_req for a passive SYN-RECEIVED (a duplicate SYN gets the
    # SYN,ACK again; an in-window RST at any seq, or a SYN, ends the embryo, the SYN with a
    # RST), tcp_timewait_state_process for TIME-WAIT (see tcp/time_wait.py).
    synrecv_minisock: bool = False
    time_wait_minisock: bool = False
    # RFC 5961 3.2 / 4.2 challenge a RST not at RCV.NXT and any SYN. Linux turns an orphaned
    # FIN-WAIT-2 whose FIN is acknowledged into a TIME-WAIT minisocket (tcp_rcv_state_process
    # -> tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)); tcp_timewait_state_process then ends it on
    # any RST in the window and answers a SYN at or beyond RCV.NXT with a RST.
    fin_wait_2_minisock: bool = False
    # RFC 5961 3.2: a RST resets only at exactly RCV.NXT; elsewhere in the window it draws a
    # challenge ACK, outside it is dropped. Linux tcp_validate_incoming -> tcp_reset_check also
    # resets on a RST at RCV.NXT - 1 in CLOSE-WAIT, CLOSING and LAST-ACK (the peer's FIN taken:
    # a RST sent before our ACK of that FIN reached it), whether tcp_sequence accepted it or not.
    rst_after_fin_at_rcv_nxt_minus_1: bool = False
    # RFC 9293 3.10.7.4 (eighth check) acknowledges a FIN in CLOSE-WAIT, CLOSING and LAST-ACK
    # again. Linux tcp_rcv_state_process (step 7) passes a segment to tcp_data_queue in these
    # states only if it starts before RCV.NXT (an old one: a D-SACK and an ACK); one at or
    # beyond RCV.NXT, a FIN after the FIN, is dropped after the ACK checks, unacknowledged.
    after_fin_ignores_new_sequence: bool = False
    # RFC 9293 3.10.7.4 goes on to the text and FIN checks after an ACK of our FIN. Linux
    # tcp_rcv_state_process consumes the segment whose ACK takes CLOSING to TIME-WAIT
    # (tcp_time_wait), or an orphaned FIN-WAIT-1 without FIN or new text to its FIN-WAIT-2
    # minisocket (tcp_time_wait(sk, TCP_FIN_WAIT2, ..)), there ("goto consume"): its old text
    # or FIN is neither acknowledged nor reported in a D-SACK block.
    ack_of_fin_consumes: bool = False
    # RFC 7323 5.3 R1 exempts a RST from PAWS (Linux's full sockets too, tcp_validate_incoming).
    # Linux's timewait socket (TIME-WAIT, orphaned FIN-WAIT-2) applies it to a RST as well:
    # tcp_timewait_state_process -> tcp_paws_reject(&tmp_opt, th->rst) refuses a RST older
    # than TS.Recent (ignored in TIME-WAIT, answered with an ACK in FIN-WAIT-2).
    time_wait_paws_rst: bool = False
    # IPv6 (RFC 8200, RFC 4443, RFC 4861)
    ipv6_hop_limit: int = 64  # RFC 8200 3: the sender's choice (Linux hop_limit sysctl: 64)
    ipv6_reassembly_timeout: float = 60.0  # RFC 8200 4.5 (Linux net.ipv6.ip6frag_time: 60)
    # Linux ip6_parse_tlv drops a packet whose padding runs over 7 octets or whose PadN
    # carries non-zero data (RFC 4942 2.1.9.5); RFC 8200 4.2 only skips padding.
    ipv6_padn_checks: bool = False
    # Linux ipv6_srh_rcv drops a Segment Routing Header silently with seg6_enabled = 0 (the
    # default); RFC 8200 4.4 answers an unprocessed routing type with a Parameter Problem.
    ipv6_srh_disabled: bool = False
    # Linux ipv6_rpl_srh_rcv drops an RPL Source Route Header (type 3, RFC 6554) silently
    # with rpl_seg_enabled = 0 (the default); RFC 8200 4.4 ignores a header with Segments
    # Left 0 and answers an unprocessed type with a Parameter Problem.
    ipv6_rpl_disabled: bool = False
    # Linux ipv6_hop_jumbo drops a Jumbo Payload option of the wrong length or alignment
    # silently; RFC 2675 3 names no error for it (the rfc profile checks the length fields).
    jumbo_option_checks: bool = False
    # Linux ipv6_frag_rcv: a Fragment header after another (an atomic fragment's, or in a
    # reassembled packet) is a Parameter Problem code 0; RFC 8200 4.1 only says the header
    # SHOULD occur once (the rfc profile processes each in turn).
    ipv6_one_fragment_header: bool = False
    # Linux ipv6_hop_ra drops a packet whose Router Alert option is not 2 octets long; RFC
    # 2711 defines the format, not what a malformed one means (the rfc profile takes it).
    router_alert_length_check: bool = False
    # Linux __udp6_lib_rcv reads a UDP Length of 0 as the IPv6 payload's length (RFC 2675 4's
    # jumbogram rule, applied to any packet); RFC 768 discards a length below 8.
    udp6_zero_length_whole: bool = False
    # Linux knows two more Hop-by-Hop options (ipv6_hop_ioam: IOAM, RFC 9486, dropped when
    # misaligned; ipv6_hop_calipso: CALIPSO, RFC 5570, dropped unless valid) that RFC 8200
    # 4.2 skips as unrecognised (their action bits are 00).
    ipv6_hbh_ioam_calipso: bool = False
    # AH and ESP over IPv6 are protocols the host knows (RFC 4302, RFC 4303; Linux: ah6 and
    # esp6 are modules, absent from the development kernel, so ip6_protocol_deliver_rcu finds
    # no handler for either).
    ipv6_ipsec: bool = True
    # RFC 4861 7.2.4 MAY omit the target link-layer address from an NA answering a unicast
    # solicitation; Linux's ndisc_recv_ns includes it only for a multicast one.
    nd_tlla_multicast_only: bool = False
    # RFC 4291 2.8: a packet not for us is discarded; Linux routes it and, finding no route
    # (an off-link destination, no default route), answers from ip6_pkt_discard.
    ipv6_no_route_unreachable: bool = False
    # RFC 8201 4: a Packet Too Big reporting less than 1280 leaves a PMTU estimate of 1280;
    # Linux's tcp_v6_err ignores it (`mtu < IPV6_MIN_MTU`: the connection keeps its MSS).
    ptb_below_minimum_ignored: bool = False
    # RFC 8201 4 reduces the PMTU on any Packet Too Big; Linux's tcp_v6_err takes one only if
    # the quoted segment's sequence number lies in SND.UNA..SND.NXT (RFC 5927 4.1).
    ptb_checks_sequence: bool = False
    # IPv6 address configuration and the neighbour cache's timers (RFC 4862, RFC 4861 7.3,
    # 10; issue 13). RFC 4862 5.1 DupAddrDetectTransmits (1; 0: no DAD) and RFC 4861 10
    # RetransTimer (RETRANS_TIMER, 1 s): Linux net.ipv6.conf.<if>.dad_transmits and
    # net.ipv6.neigh.<if>.retrans_time_ms (addrconf_dad_kick, addrconf_dad_work).
    dad_transmits: int = 1
    retrans_timer: float = 1.0
    # RFC 4862 5.4 performs DAD on every unicast address; Linux's addrconf_dad_begin skips it
    # while accept_dad < 1 on the link and on conf.all (the harness's DUT: principle 8).
    accept_dad: bool = True
    # RFC 4862 5.4.2 sends a DAD NS without options; Linux (enhanced_dad = 1, RFC 7527) puts a
    # Nonce option in it (addrconf_dad_kick, ndisc_send_ns) and ndisc_recv_ns takes a DAD NS
    # carrying that nonce as its own looped back, not as a duplicate (RFC 4862 5.4.3).
    dad_nonce: bool = False
    # RFC 4862 5.4.2 delays the first DAD solicitation (by up to MAX_RTR_SOLICITATION_DELAY)
    # only as the first message after the interface (re)starts: not for an address added to a
    # link that is up. Linux's addrconf_dad_kick always waits a random time below
    # router_solicitation_delay (1 s): the oracle sends at the range's start and the matcher
    # takes the target's later frame, but it assigns the address RetransTimer after its own
    # last solicitation, up to that delay before the target (suites set the delay to 0, or
    # send to the address only after the delay and DAD are both over).
    dad_delay: float = 0.0
    # RFC 4861 10: BaseReachableTime (REACHABLE_TIME, 30 s), DELAY_FIRST_PROBE_TIME (5 s),
    # MAX_UNICAST_SOLICIT and MAX_MULTICAST_SOLICIT (3): Linux net.ipv6.neigh.<if>.
    # base_reachable_time_ms, delay_first_probe_time, ucast_solicit, mcast_solicit (iface/nud.py).
    base_reachable_time: float = 30.0
    delay_first_probe_time: float = 5.0
    max_unicast_solicit: int = 3
    max_multicast_solicit: int = 3
    # RFC 4861 7.3.3: a REACHABLE entry goes STALE after ReachableTime. Linux's
    # neigh_timer_handler makes it DELAY instead when a packet went through it (neigh->used,
    # not updated through a REACHABLE entry) within delay_first_probe_time, and a DELAY entry
    # confirmed within that time REACHABLE again.
    nd_delay_on_recent_use: bool = False
    # RFC 4861 7.2.2: a solicitation no packet prompted (a PROBE) comes from any of our
    # addresses; Linux's ndisc_send_ns takes the link's link-local address (ipv6_get_lladdr)
    # and sends nothing without one (the harness's DUT has none: addrgenmode none).
    nd_probe_link_local_source: bool = False
    # Socket API (issue 12). POSIX poll(): POLLHUP and POLLOUT are mutually exclusive (RFC
    # 9293 3.9.1.10 leaves STATUS to the implementation). Linux tcp_poll sets POLLOUT once the
    # sending side is shut (SEND_SHUTDOWN: shutdown(SHUT_WR), or a reset or failed connect,
    # tcp_done's SHUTDOWN_MASK), beside POLLHUP and POLLERR.
    poll_out_after_shutdown: bool = False
    # RFC 9293 3.8.6.2.2 leaves the window offered to the buffer the user allotted. Linux, once
    # the user set SO_RCVBUF (SOCK_RCVBUF_LOCK), offers tcp_full_space = tcp_win_from_space of
    # the (doubled) buffer, half of it at the start (TCP_DEFAULT_SCALING_RATIO), and clamps
    # the window scale to that space (tcp_select_initial_window, tcp_openreq_init_rwin).
    rcvbuf_lock_window: bool = False
    # RFC 9293 3.10.7.4: a RST in CLOSE-WAIT signals "connection reset" (ECONNRESET); Linux
    # tcp_reset reports EPIPE there (the peer had closed its side already).
    reset_close_wait_epipe: bool = False
    # RFC 1122 4.2.3.5 lets the application set R2 (TCP_USER_TIMEOUT); the RFCs retransmit at
    # the RTO until then. Linux cuts the last RTO to what is left of the user timeout
    # (tcp_clamp_rto_to_user_timeout), so the connection is given up on time.
    user_timeout_clamps_rto: bool = False
    # RFC 1122 4.2.3.5 leaves open from when R2 (TCP_USER_TIMEOUT) runs; Linux counts from
    # the first retransmission (tp->retrans_stamp, tcp_retransmit_skb). gVisor's netstack
    # counts from the last transmission of the segment the first RTO retransmits (snd.go
    # retransmitTimerExpired: firstRetransmittedSegXmitTime = writeList.Front().xmitTime: the
    # original send, or a tail loss probe's) and checks it on every expiry, the first too.
    user_timeout_from_head_send: bool = False
    # RFC 1122 4.2.3.4 (Nagle) buffers user data while data is unacknowledged; the oracle
    # holds any partial segment from SND.NXT, sent before or not. gVisor's snd.go
    # maybeSendSegment applies Nagle only to a segment not yet assigned its sequence number:
    # a partial piece of data sent before (split off after a Packet Too Big) goes at once.
    nagle_new_data_only: bool = False
    # IPsec (issue 15; reference_stack/ipsec/). RFC 4301 4.4.1 orders the SPD and takes the
    # first match; Linux orders its policies by priority, lower first, then insertion
    # (xfrm_policy_insert, xfrm_policy_lookup_bytype).
    ipsec_policy_priority: bool = False
    # RFC 4301 4.4.1 discards a packet no SPD entry matches; Linux sends and accepts it in the
    # clear (xfrm_lookup_with_ifid: no policy, the route as it is; __xfrm_policy_check: no
    # policy, accepted).
    ipsec_no_policy_bypass: bool = False
    # RFC 4301 5.1 discards what a DISCARD entry matches; Linux finds the policy with the
    # route (xfrm_lookup_with_ifid: XFRM_POLICY_BLOCK -> -EPERM), so a socket's send fails.
    ipsec_block_eperm: bool = False
    # RFC 4301 5.1: no SA for a PROTECT entry: ask the key manager, discard or queue; Linux
    # with net.core.xfrm_larval_drop = 1 (the default) sends an acquire and drops the packet
    # (xfrm_lookup_with_ifid: -EREMOTE, a blackhole route: the send itself succeeds).
    xfrm_larval_drop: bool = False
    # RFC 4303 2.4: the receiver SHOULD inspect the Padding (1, 2, 3, ...); Linux's
    # esp_remove_trailer checks only that the Pad Length fits.
    esp_padding_unchecked: bool = False
    # RFC 4303 3.3.3: without ESN the counter does not cycle (the packet is not sent); Linux's
    # xfrm_replay_overflow fails the output with -EOVERFLOW, which a UDP send returns.
    xfrm_overflow_eoverflow: bool = False
    # RFC 4301 4.4.2.1: an SA past its hard lifetime is not used; Linux's
    # xfrm_state_check_expire fails the output with -EINVAL, which a UDP send returns.
    xfrm_expired_einval: bool = False
    # -- ESP fuzzing (issue 15, esp15) --
    # RFC 4303 3.4.3: the receive window is updated only if the ICV verified; Linux updates it
    # only once the whole ESP input succeeded (xfrm_input: xfrm_replay_advance after
    # x->type->input), so a packet esp_input_done2 fails after the ICV (a Pad Length past
    # the data, esp_remove_trailer; a dummy packet, Next Header 59, RFC 4303 2.6) leaves
    # the window as it was.
    xfrm_replay_advance_after_input: bool = False
    # RFC 4303 2.5: the Pad Length counts pad octets within the decrypted data; Linux's
    # esp_remove_trailer also refuses a Pad Length that leaves no payload at all
    # (padlen + 2 + alen >= elen: -EINVAL), where the RFC's bound lets the payload be empty.
    esp_trailer_needs_payload: bool = False
    # RFC 7323 5.3 R1 answers a PAWS-rejected segment with an ACK; Linux 6.1's
    # tcp_validate_incoming sends it through tcp_send_dupack for a SYN too, whose octet of
    # sequence space (end_seq != seq, before RCV.NXT) becomes a D-SACK block (RFC 2883 4);
    # 6.18 sends a SYN to syn_challenge instead (no D-SACK). The vm target's 6.1 choice.
    paws_syn_dupack: bool = False
    # RFC 9293 3.10.7.4: an ACK of something not yet sent is answered with an ACK; Linux
    # 6.1's tcp_rcv_established drops it silently (tcp_ack: -TCP_ACK_UNSENT_DATA, discard),
    # the other states' tcp_rcv_state_process sends a challenge ACK. The vm target's 6.1
    # choice (6.18 answers in ESTABLISHED too).
    ack_unsent_silent_established: bool = False
    # RFC 1122 3.2.2.1 SHOULD answer an unknown protocol with a Protocol Unreachable; a Linux
    # with xfrm4_tunnel loaded (tunnel4: IPIP, 4, and IPv6-in-IPv4, 41) hands those to
    # tunnel4_rcv / tunnel64_rcv, which drop a packet shorter than the inner header and give
    # the rest to xfrm_tunnel_rcv (xfrm4_rcv_spi: no SA, XfrmInNoStates): no ICMP for
    # either. The vm target loads it (IPsec tunnel mode); the host has no such module.
    ipv4_tunnel_protocols: tuple[int, ...] = ()
    # AH and ESP over IPv4 are protocols the host knows (RFC 4302, RFC 4303: without an SA a
    # packet is discarded, 3.4.2, no ICMP); Linux: when ah4 and esp4 are loaded
    # (xfrm4_protocol_register; xfrm_input: no state, XfrmInNoStates). The host has neither,
    # so it answers a Protocol Unreachable (RFC 1122 3.2.2.1); the vm target loads both.
    ipv4_ipsec: bool = False
    # RFC 4301 5.2 checks a packet's selectors, its transport ports included; Linux 6.1's
    # decode_session6 takes the protocol from the last Next Header field (IP6CB nhoff) but
    # reads the ports at offset 40, after the fixed header: with an extension header there
    # (a Destination Options header before ESP) they are that header's first octets, and a
    # selector with ports (an SA's, a policy's) misses. The vm target's 6.1 choice.
    xfrm6_ports_after_fixed_header: bool = False

    # -- gVisor's netstack (issue 16, the `gvisor` profile; tcp/netstack_arrival.py) --------
    # RFC 1122 4.2.2.13 asks for a RST on new data after CLOSE and fixes no form; the oracle
    # answers the segment (<SEQ=SEG.ACK><CTL=RST>, RFC 9293 3.10.7.1, as Linux's
    # tcp_v4_send_reset). netstack aborts the connection (transport/tcp/connect.go
    # resetConnectionLocked): RST,ACK at SND.NXT (SND.UNA + SND.WND if the peer's window
    # shrank below it), ACK = RCV.NXT, window 0, the connection's Timestamps option (sendRaw).
    abort_rst_from_connection: bool = False
    # RFC 9293 3.10.7.4 processes the ACK field (fifth check) before the text (seventh).
    # netstack's receiver half (rcv.go handleRcvdSegmentClosing) runs before the sender half
    # takes the ACK (connect.go handleSegmentLocked): after close() new data in FIN-WAIT-1/2
    # aborts in the state the segment found, its ACK unprocessed, and in FIN-WAIT-1 a FIN
    # beyond RCV.NXT is dropped silently (`rcvClosed && !segEnd.LessThanEq(RcvNxt)`), where
    # RFC 9293 queues it and acknowledges RCV.NXT.
    after_close_checks_before_ack: bool = False
    # RFC 9293 3.10.7.4 checks a passive SYN-RECEIVED's segment by sequence number first (the
    # four-case test), then RST, SYN (back to LISTEN), ACK. netstack (transport/tcp/connect.go
    # handshake.synRcvdState) checks the ACK first (checkAck: SEG.ACK != ISS+1 draws
    # <SEQ=SEG.ACK><CTL=RST> whatever SEG.SEQ), then SEG.SEQ alone against [RCV.NXT,
    # RCV.NXT+RCV.WND) (else an ACK: a SYN,ACK repeating the peer's ISN is answered and the
    # embryo stays), then a SYN in the window resets the embryo with a RST,ACK.
    synrcvd_ack_first: bool = False
    # RFC 9293 3.8.6 leaves the window to the receiver (the oracle: free buffer space, bounded
    # by its SYN's window). netstack (transport/tcp/rcv.go getSendParams) keeps the right edge
    # it advertised unless the octets received since its last ACK reach SegOverheadSize or the
    # application read since then; its field rounds the window down to the scale unit, and
    # acceptable() tests against that rounded window (tcp/netstack_window.py).
    window_edge_held: bool = False
    # RFC 9293 3.10.7.2 leaves the SYN's window free (the oracle: initial_window_space).
    # netstack (transport/tcp/endpoint.go initialReceiveWindow) offers at most InitialCwnd *
    # the advertised MSS * 2 segments, rounded down to the window scale: 29184 over IPv4 (MSS
    # 1460), 28800 over IPv6 (MSS 1440). 0: not bounded by the MSS.
    initial_window_mss_segments: int = 0
    # RFC 791 3.2 rebuilds a datagram from its fragments; nothing fixes the reassembled
    # header's checksum, which an ICMP error quotes (RFC 792: "the internet header"). netstack
    # (network/ipv4/ipv4.go handleValidatedPacket) sets the reassembled total length and
    # fragment offset but keeps the first fragment's header checksum.
    reassembled_keeps_first_checksum: bool = False
    # RFC 8985 7.3: the probe sends a previously unsent segment if the receive window allows
    # (Linux: whatever the congestion window). netstack (transport/tcp/rack.go
    # probeTimerExpired) sends new data (or the FIN) only while fewer segments are
    # outstanding than the congestion window holds; else it resends the last segment sent.
    tlp_new_data_within_cwnd: bool = False
    # Socket API: TCP_INFO is Linux's struct tcp_info (no RFC). gVisor's sentry
    # (pkg/sentry/socket/netstack/netstack.go getsockopt TCP_INFO) fills only state, ca_state,
    # rto, rtt, rttvar, snd_ssthresh and snd_cwnd from netstack's TCPInfoOption; the rest is 0.
    tcp_info_partial: bool = False
    # RFC 2675 (jumbograms) is optional; a node without it treats the Jumbo Payload option
    # (type 0xC2) as unrecognised: RFC 8200 4.2's action bits 11, a Parameter Problem code 2
    # (unless the destination is multicast). netstack's header/ipv6_extension_headers.go
    # knows Pad1, PadN and Router Alert only (IPv6UnknownExtHdrOption for the rest).
    jumbograms: bool = True
    # RFC 792 quotes "the internet header" of the datagram in an ICMP error. netstack
    # (network/ipv4/ipv4.go processIPOptions -> handleRecordRoute) records its address in a
    # Record Route option in place on receipt, before an error is generated, so the quote
    # holds the route as recorded (pointer advanced, checksum as received); a Parameter
    # Problem about the options quotes them as received (the recorded ones are copied over
    # the header only when every option passed).
    icmp_quote_recorded_route: bool = False
    # RFC 791 3.1: a Timestamp option with "some room but not enough room for a full
    # timestamp" puts the datagram in error (discarded; an ICMP Parameter Problem MAY be
    # sent). gVisor (network/ipv4/ipv4.go handleTimestamp) sends one pointing at the option's
    # pointer. (Without the flag the oracle counts an overflow instead: its reading for the
    # other profiles, left as it was.)
    timestamp_no_room_param_problem: bool = False
    # RFC 5961 7 limits every challenge and out-of-window ACK. gVisor's snd.go
    # maybeSendOutOfWindowAck answers any segment with a payload at once (a SYN's or a
    # challenge's too), the limit untouched; a bare FIN is limited (Linux exempts data or FIN
    # without SYN, oow_limit_exempts_data).
    oow_limit_exempts_payload: bool = False
    # RFC 9293 3.10.4 lets the FIN ride on the last data segment (the oracle: it does when
    # both are unsent). netstack queues the FIN as a segment of its own after the data
    # (transport/tcp/snd.go maybeSendSegment: "Netstack queues FIN segments without data").
    fin_own_segment: bool = False

    # -- stateful fuzz timing (issue 11) --
    # RFC 5961 7 limits the ACKs sent to unacceptable segments. Linux tcp_v4_rcv/tcp_v6_rcv:
    # a SYN in TIME-WAIT that tcp_timewait_state_process would let open a new incarnation
    # (TCP_TW_SYN) and that finds no listener falls through to tcp_v4_timewait_ack, past
    # tcp_timewait_check_oow_rate_limit: answered with an ACK, unlimited.
    time_wait_syn_ack_unlimited: bool = False

    # -- lwip fuzz findings (session 6): lwIP's socket API (POSIX leaves none of these open,
    # RFC 9293 3.10 names only the condition, "connection closing"). lwIP 2.1.3's
    # tcp_write_checks refuses a write outside ESTABLISHED, CLOSE_WAIT, SYN_SENT and SYN_RCVD
    # with ERR_CONN, which lwip_send reports as ENOTCONN (POSIX: EPIPE).
    send_closed_enotconn: bool = False
    # lwIP's tcp_shutdown refuses shut_tx outside SYN_RCVD, ESTABLISHED, CLOSE_WAIT (a second
    # shutdown(SHUT_WR)) with ERR_CONN: ENOTCONN (POSIX: 0).
    shutdown_closing_enotconn: bool = False
    # lwIP's netconn_recv_data_tcp frees the receive mailbox once it reported the peer's FIN:
    # a recv() after the end of file fails with ERR_CONN, ENOTCONN (POSIX: 0 again).
    recv_after_eof_enotconn: bool = False
    # -- lwIP stateful findings (lwst) --
    # RFC 1122 4.2.2.13 asks for a RST on new data after CLOSE and fixes no form. lwIP's
    # tcp_input takes the segment first (tcp_receive: in-order text advances RCV.NXT,
    # out-of-order text is queued and ACKed) and aborts only when in-order text reaches the
    # closed receiver (TF_RXCLOSED with recv_data: tcp_abort -> tcp_abandon -> tcp_rst):
    # RST,ACK at SND.NXT acknowledging the new RCV.NXT, the ABORT of RFC 9293 3.10.5.
    abort_on_in_order_data_after_close: bool = False
    # RFC 1122 4.2.2.13: a CLOSE with received data pending SHOULD send a RST. lwIP's
    # tcp_close_shutdown does so only in ESTABLISHED and CLOSE_WAIT; after shutdown(SHUT_WR)
    # (FIN-WAIT-1, FIN-WAIT-2) the unread data is discarded and nothing is sent.
    close_unread_resets_open_states_only: bool = False
    # POSIX recv() reports a pending error once (the oracle: then the end of file). lwIP's
    # err_tcp stores the error (conn->pending_err, which any call's netconn_err takes) and
    # posts it to the receive mailbox too (api/api_msg.c), so recv() fails with it from the
    # mailbox, then from pending_err if still there (api_lib.c netconn_recv_data), and later
    # with ERR_CONN, ENOTCONN (NETCONN_FLAG_MBOXCLOSED).
    recv_error_twice: bool = False
    # RFC 9293 3.10.7.4 answers a copy of the peer's SYN in SYN-RECEIVED (old: the first
    # check) with an ACK; lwIP's tcp_process (SYN_RCVD: seqno == rcv_nxt - 1 -> tcp_rexmit)
    # sends its SYN,ACK again, as Linux's request socket does.
    synrcvd_syn_copy_resends_synack: bool = False
    # RFC 9293 3.9.1.4 leaves how long CLOSE waits to the interface (a MAY); POSIX close()
    # with SO_LINGER blocks "until all queued messages for the socket have been successfully
    # sent or the linger timeout has been reached", Linux (sk_stream_wait_close) until its
    # FIN is acknowledged. lwIP's api_msg.c lwip_netconn_do_close_internal lingers only if the
    # pcb holds unsent or unacknowledged data when close is called (conn->pcb.tcp->unsent ||
    # conn->pcb.tcp->unacked, looked at before tcp_close queues the FIN): with nothing in
    # flight, close returns once its FIN is sent.
    linger_needs_data_in_flight: bool = False
    # Predictions: True = this profile's own choices are the only allowed outputs (a target
    # profile); False = any output the RFCs allow (ISN aside, always free).
    exact_choices: bool = False
    # -- sysctl18 (issue 18): the listener's accept queue at the handshake's last ACK --
    # RFC 9293 3.10.7.4 moves SYN-RECEIVED to ESTABLISHED on an acceptable ACK whatever the
    # listener holds (RFC 9293 3.10.1 leaves the backlog to the implementation). Linux
    # tcp_check_req -> tcp_v4_syn_recv_sock makes no child while the accept queue is full
    # (sk_acceptq_is_full: listen_overflow): the ACK is dropped and the request keeps its
    # SYN,ACK timer (net.ipv4.tcp_abort_on_overflow = 0, False here), or the ACK draws
    # <SEQ=SEG.ACK><CTL=RST> and the request is dropped (= 1, embryonic_reset: True); a SYN
    # cookie's ACK is dropped either way (tcp_get_cookie_sock). None: no such limit.
    abort_on_overflow: bool | None = None
    # -- send buffer (tcp12): what a SEND takes, when POLLOUT (tcp/send_buffer.py) --
    # RFC 9293 3.9.1.2 queues a SEND while the buffer has room (its size is the
    # implementation's: 3.8.6); the rfc profile counts octets against SO_SNDBUF. Linux
    # charges sk_wmem_queued with each skb's truesize and payload and starts a new skb only
    # below sk_sndbuf (tcp_sendmsg_locked, sk_stream_memory_free); tcp_poll says POLLOUT
    # only while a third of the buffer is free (__sk_stream_is_writeable).
    send_buffer_accounting: bool = False
    # tcp_sndbuf_expand at ESTABLISHED (tcp_init_buffer_space) for a buffer the user did not
    # set: sk_sndbuf = ca_ops->sndbuf_expand() (BBR's bbr_sndbuf_expand: 3; others: 2) x
    # max(TCP_INIT_CWND, cwnd, reordering + 1) x per-MSS skb memory, at most tcp_wmem[2].
    # an skb's truesize without payload: tcp_stream_alloc_skb's SKB_TRUESIZE(skb_end_offset)
    skb_truesize: int = 832
    # MAX_TCP_HEADER (include/net/tcp.h: L1_CACHE_ALIGN(128 + MAX_HEADER), a build choice:
    # netdevice.h's LL_MAX_HEADER and tunnels), the head tcp_sndbuf_expand counts per MSS.
    max_tcp_header: int = 256
    sndbuf_expand: int = 2
    send_buffer_max: int = 4194304  # tcp_wmem[2]
    # RFC 5961 5.2's MAX.SND.WND is the largest window the peer offered, its SYN's too. Linux
    # gives a passive open's child the window of the ACK that completes the handshake
    # (tcp_create_openreq_child: max_window = snd_wnd), which bounds its size goal and MSS
    # (tcp_bound_to_half_wnd) and the old-ACK check (tcp_ack) alike.
    max_window_from_ack: bool = False
    # -- sb12 (issues 12/16): the send buffer of pytcp, lwIP and gVisor --
    # RFC 9293 3.9.1.2 SEND: "If there is insufficient space to remember this buffer, the
    # call fails"; how large the buffer is, and whether the user can size it, is the
    # implementation's (3.8.6). send_buffer above is the buffer a socket starts with;
    # send_buffer_unbounded: none at all (every SEND is taken whole, poll() always says
    # POLLOUT on a connection).
    send_buffer_unbounded: bool = False
    # SO_SNDBUF / SO_RCVBUF exist (False: setsockopt and getsockopt answer ENOPROTOOPT).
    sndbuf_option: bool = True
    rcvbuf_option: bool = True
    # A connection accepted from a listener takes the listener's SO_SNDBUF (POSIX/Linux
    # sk_clone_lock); False: it starts with send_buffer.
    listener_sndbuf_inherited: bool = True
    # poll() says POLLOUT only while more than this many octets of the buffer are free (0:
    # any room, the rfc profile's). The Linux accounting has its own (tcp/send_buffer.py).
    pollout_low_water: int = 0

    # -- request socket (reqsk11, issue 11) --
    # RFC 9293 3.10.7.4 judges a segment in SYN-RECEIVED by its sequence number (first
    # check) and ACK field (fifth); RFC 7323 gives TSecr no acceptability test. Linux 6.18's
    # tcp_check_req (tsecr_reject) also finds a segment to a request socket unacceptable when
    # its TSecr is non-zero and outside [snt_tsval_first, snt_tsval_last], the TSvals of the
    # SYN,ACKs it sent (tcp_synack_options): answered as an out-of-window segment (an ACK,
    # rate limited; nothing for a RST), after the ACK field's check (tcp/synack_tsval.py).
    reqsk_tsecr_check: bool = False

    # -- Linux fuzz findings on IPv6 (fz11, issues 11 and 13) --
    # RFC 2018 4 reports in SACK blocks the data held out of order; RFC 9293 3.10.7.4 (eighth
    # check) makes the FIN the end of the stream, so what lies beyond it is discarded. Linux
    # tcp_fin, in FIN-WAIT-1 and FIN-WAIT-2, sends the ACK of the FIN (tcp_send_ack) before it
    # purges the out-of-order queue and resets the SACK state (skb_rbtree_purge,
    # tcp_sack_reset): that ACK still carries the SACK blocks of what was held beyond the FIN.
    fin_ack_sacks_purged_ofo: bool = False
    # RFC 9293 3.10.7.4: a RST in CLOSING or LAST-ACK enters CLOSED and returns, with no
    # "connection reset" for the user (that is for ESTABLISHED to CLOSE-WAIT). Linux tcp_reset
    # sets sk_err = ECONNRESET there too (its switch: ECONNREFUSED in SYN-SENT, EPIPE in
    # CLOSE-WAIT, ECONNRESET otherwise; tcp_done_with_error): the next call reports it.
    reset_closing_econnreset: bool = False

    # -- sysctl precision (prec18, issue 18) --
    # RFC 5961 7 leaves a challenge-ACK budget to the implementation. Linux's per-namespace one
    # (net.ipv4.tcp_challenge_ack_limit, tcp_send_challenge_ack) is off at INT_MAX, the
    # default since 6.0; a smaller limit lets get_random_u32_inclusive(half, limit + half - 1)
    # challenge ACKs through each second (half = (limit + 1) >> 1): only the first `half` are
    # certain, so a test needing k in one second declares a limit of 2k - 1 at least (needs).
    challenge_ack_limit: int = 2147483647
    # RFC 4821 packetization-layer path MTU discovery (net.ipv4.tcp_mtu_probing; tcp_mtup_init:
    # on from the start with 2): segments sized from tcp_base_mss (tcp_sync_mss: search_low),
    # then probes (tcp_mtu_probe), which the oracle does not model: a test sending full-sized
    # segments declares needs(mtu_probing=other_than(2)). 0: off (RFC 1191 only), 1: after a
    # black hole is detected (tcp_mtu_check_reprobe).
    mtu_probing: int = 0
    # RFC 4443 4.2 MUST answer an Echo Request; Linux icmpv6_rcv answers none while
    # net.ipv6.icmp.echo_ignore_all is set (off by default), as echo_ignore_all for IPv4.
    echo6_ignore_all: bool = False

    # -- camp16 (issue 16): the 300 s fuzz campaigns against lwIP and gVisor --
    # RFC 9293 3.2 / 3.7.1: the MSS option is sent in a SYN only, and the send MSS is fixed
    # from the peer's SYN (RFC 1122 4.2.2.6); what a later segment's MSS option does is left
    # open (RFC 9293 3.1: an option may come in any segment). lwIP's tcp_process calls
    # tcp_parseopt for every segment but a RST, a SYN in a synchronized state and TIME_WAIT's
    # (src/core/tcp_in.c), acceptable or not, and its MSS case sets pcb->mss (0 or above
    # TCP_MSS: TCP_MSS) each time: the segments sent next are cut to it. Value: TCP_MSS.
    mss_option_any_segment: int | None = None
    # RFC 5681 4.2: a receiver SHOULD send an immediate ACK when a segment fills all or part of
    # a gap in the sequence space. lwIP's tcp_receive acknowledges in-order text with tcp_ack
    # (the delayed ACK: TF_ACK_DELAY, sent by tcp_fasttmr) whether or not out-of-order
    # segments stay queued beyond what it took (tcp_in.c, "Acknowledge the segment(s).").
    gap_fill_ack_delayed: bool = False
    # RFC 6298 5.4 retransmits the earliest unacknowledged segment (RFC 9293 3.8.1 lets it be
    # repacketized with the data after it). gVisor's netstack (transport/tcp/snd.go
    # retransmitTimerExpired -> cc.HandleRTOExpired: SndCwnd 1 packet, Outstanding 0; then
    # sendData from writeList.Front()) resends the head segment as it was sent: maybeSendSegment
    # merges only segments without a sequence number yet, and the one-packet window stops the
    # loop after it (no later data beside it).
    rto_resends_head_segment: bool = False
    # RFC 1122 4.2.2.13 resets on new data after CLOSE; a segment without text carries none.
    # netstack's rcv.go handleRcvdSegmentClosing (FIN-WAIT-1/2, rcvClosed after close())
    # aborts when RCV.NXT < SEG.SEQ + payload (endDataSeq), so a segment without text (nor FIN)
    # that starts beyond RCV.NXT inside the window aborts the connection too.
    closed_abort_on_empty_beyond_rcv_nxt: bool = False
    # RFC 791 3.1: Security, Stream ID and the source and record route options "appear at
    # most once in a datagram" (what a host does with a repeat is not said; RFC 1122 3.2.2.5
    # SHOULD send a Parameter Problem for a datagram discarded for a bad parameter). netstack
    # (network/ipv4/ipv4.go processIPOptions: seenOptions) discards a datagram repeating any
    # option kind but NOP, with a Parameter Problem pointing at the repeat.
    ip_option_repeat_param_problem: bool = False
    # -- session 9 (gvfast): a netstack choice the faster gvisor reads showed --
    # RFC 6582 3.2 step 1 starts "recover" at the ISS, and step 2 enters fast retransmit only
    # when the duplicate ACKs' cumulative ACK covers more than it; the oracle (every other
    # profile, as Linux's tcp_fastretrans_alert) sets recover at the first recovery only, so
    # three duplicate ACKs of the SYN (the first data segment lost) start one. netstack
    # (transport/tcp/snd.go newSender: FastRecovery.Last = iss; detectLoss:
    # !FastRecovery.Last.LessThan(seg.ackNumber - 1)) starts none: the RTO resends it.
    recover_from_iss: bool = False

    # -- gvfz9 (issue 16): the gVisor stateful campaign's findings --
    # RFC 2018 4 SHOULD report out-of-order data in SACK blocks in every ACK while it is held;
    # netstack's connect.go sendRaw adds them only in ESTABLISHED (out-of-order text held in
    # FIN-WAIT-1/2 or CLOSE-WAIT goes unreported).
    sack_blocks_established_only: bool = False
    # RFC 9293 3.10.7.4's empty ACK carries <SEQ=SND.NXT>, which an RTO brings back to SND.UNA
    # (RFC 6298 5.4 retransmits from there); netstack's SndNxt is the highest sequence number
    # sent (snd.go maybeSendSegment only moves it forward) and sendAck sends at it: after an
    # RTO the ACK carries SND.MAX.
    empty_ack_at_snd_max: bool = False

    # The route to the peer, one per family (a route belongs to one: `ip -4 route`, `ip -6
    # route`), its attributes (reference_stack/route_metrics.py) each refining an RFC choice
    # for the connections of that family: mtu (RFC 9293 3.7.1 the MSS announced, RFC 1191 3
    # the segments sent: tcp_advertise_mss, tcp_sync_mss), advmss (tcp_advertise_mss:
    # dst_metric_advmss), initcwnd (RFC 5681 3.1: tcp_init_cwnd), initrwnd (RFC 9293
    # 3.8.6.2.2 the SYN's window: tcp_select_initial_window), quickack (RFC 1122 4.2.3.2 no
    # delayed ACK: tcp_in_quickack_mode) and rto_min. RFC 6298 2.4 sets the RTO's floor
    # (rto_min); a route's rto_min (RTAX_RTO_MIN, tcp_rto_min) replaces it for the RTO only:
    # the zero-window probe's timer (tcp_probe0_base: max(RTO, TCP_RTO_MIN)) and the time an
    # RTO series takes to give up (tcp_model_timeout from TCP_RTO_MIN) keep rto_min.
    route4: RouteMetrics = NO_ROUTE_METRICS
    route6: RouteMetrics = NO_ROUTE_METRICS
    # Rules deliberately violated (tests of the harness only).
    broken_rules: frozenset[str] = frozenset()

    def breaks(self, rule: str) -> bool:
        return rule in self.broken_rules

    def breaking(self, *rules: str) -> Profile:
        return dataclasses.replace(self, broken_rules=self.broken_rules | frozenset(rules))

    @property
    def mss(self) -> int:
        """MSS to advertise: MTU minus fixed IPv4 and TCP headers (RFC 9293 3.7.1, RFC 6691)."""
        return self.mtu - 40

    def route_to(self, remote_ip: bytes) -> RouteMetrics:
        """The attributes of the route to ``remote_ip``'s family (route4 or route6)."""
        return self.route6 if len(remote_ip) == 16 else self.route4

    def initial_cwnd(self, ipv6: bool = False) -> int | None:
        """The initial window in segments of a connection of that family: the route's
        initcwnd, else initial_cwnd_segments (None: RFC 5681 3.1's formula by SMSS)."""
        return (self.route6 if ipv6 else self.route4).initcwnd or self.initial_cwnd_segments


def linux_window_scale(tcp_rmem_max: int, rmem_max: int = 0) -> int:
    """The shift Linux offers (tcp_select_initial_window): the smallest that lets a 16-bit
    window cover max(tcp_rmem[2], net.core.rmem_max), at most 14. Default netns (tcp_rmem[2]
    = 6 MiB): 7; a host with tcp_rmem[2] = 32 MiB offers 10. Use it with
    `dataclasses.replace(LINUX, window_scale=...)` to match a given target."""
    space = max(tcp_rmem_max, rmem_max)
    shift = 0
    while space > 0xFFFF << shift and shift < 14:
        shift += 1
    return shift


RFC = Profile(name="rfc")

LINUX = Profile(
    poll_out_after_shutdown=True,  # tcp_poll (LINUX-tcp_poll-pollout-when-shut)
    rcvbuf_lock_window=True,  # tcp_select_initial_window (LINUX-...-rcvbuf-lock)
    reset_close_wait_epipe=True,  # tcp_reset (LINUX-tcp_reset-close-wait-epipe)
    user_timeout_clamps_rto=True,  # tcp_clamp_rto_to_user_timeout
    name="linux",
    ttl=64,  # net.ipv4.ip_default_ttl
    window_scale=7,  # linux_window_scale(6 MiB), the default tcp_rmem[2]
    reassembly_timeout=30.0,  # net.ipv4.ipfrag_time
    drop_source_routed=True,
    directed_broadcast_source_martian=False,
    fragment_overlap=OVERLAP_DISCARD,  # ip_frag_queue: overlap drops the queue (RFC 5722 style)
    icmp_quote_exact=True,  # icmp_send quotes as much as fits in 576 octets
    echo_ignore_broadcasts=True,  # net.ipv4.icmp_echo_ignore_broadcasts = 1
    icmp_timestamp_reply=True,  # icmp_timestamp
    icmp_error_echo_options=True,  # icmp_send -> ip_options_echo
    ip_options_compile=True,  # ip_rcv_options -> ip_options_compile, then source routes
    igmp_host=True,  # CONFIG_IP_MULTICAST: igmp_rcv
    icmp_quote_udp_length=True,  # __udp4_lib_rcv: pskb_trim_rcsum(skb, ulen) before lookup
    echo_reply_copies_code=True,  # icmp_echo
    udplite=True,  # udplite4_register: inet_add_protocol(&udplite_protocol, IPPROTO_UDPLITE)
    control_socket_df=True,  # tcp_sk_init: the control socket's IP_PMTUDISC_DO
    small_synack_df=True,  # ip_build_and_send_pkt: skb->len <= IPV4_MIN_MTU
    initial_window_space=65536,  # win_from_space(tcp_rmem[1]) in tcp_select_initial_window
    round_initial_window_to_mss=True,  # SYN 64240 = 44 * 1460, SYN-ACK 65160 = 45 * 1448
    listen_drop_syn_fin=True,
    syn_sent_aborts_on_soft_error=True,
    syn_sent_bad_ack_rearms=True,  # tcp_rcv_synsent_state_process: TCP_TIMEOUT_MIN
    arp_accept=False,  # net.ipv4.conf.all.arp_accept = 0
    dsack=True,
    ecn_accept=True,  # net.ipv4.tcp_ecn = 2
    sack_edge_counts_fin=True,  # tcp_data_queue_ofo -> tcp_sack_new_ofo_skb
    fin_clears_dsack=True,  # tcp_fin: tcp_sack_reset
    ack_rides_on_data=True,  # tcp_rcv_established: tcp_data_snd_check, then tcp_ack_snd_check
    sack_compression=True,  # __tcp_ack_snd_check, net.ipv4.tcp_comp_sack_nr = 44
    ts_recent_after_ack_check=True,
    old_ack_skips_ts_recent=True,  # tcp_ack: old_ack returns before tcp_replace_ts_recent
    drop_without_ack_first=True,  # tcp_rcv_established: TCP_FLAGS
    last_timestamps_option=True,  # tcp_parse_options
    paws_old_ack_silent=True,  # tcp_disordered_ack_check (6.14+)
    inbound_auth_check=True,  # tcp_inbound_hash
    auth_framing_checked=True,  # tcp_do_parse_auth_options
    half_space_is_before=True,  # before() in tcp_send_dupack
    fin_ack_delayed=True,  # tcp_fin: ping-pong mode in CLOSE-WAIT
    paws_window=1,  # TCP_PAWS_WINDOW
    paws_disordered_ack=True,  # tcp_disordered_ack_check
    syn_challenge_any_seq=True,  # tcp_validate_incoming: syn_challenge
    old_ack_bound_acked=True,  # tcp_ack: max_window bounded by bytes_acked
    seq_check_end_at_wup=True,  # tcp_sequence
    window_align_up=True,  # __tcp_select_window, tcp_select_window
    text_beyond_edge_kept=True,  # tcp_sequence, tcp_data_queue_ofo
    beyond_edge_refused_while_queued=True,  # tcp_sequence: TCP_INVALID_END_SEQUENCE
    ack_duplicate_sequence_space=True,  # tcp_data_queue, tcp_send_dupack
    simultaneous_open_keeps_syn_window=True,
    syn_linear_timeouts=4,  # net.ipv4.tcp_syn_linear_timeouts
    tail_loss_probe=True,  # net.ipv4.tcp_early_retrans = 3
    nagle_minshall=True,
    nagle_exempts_fin=True,  # tcp_nagle_test
    fin_gap_aborts_after_close=True,  # tcp_rcv_state_process: TCPABORTONDATA
    text_after_fin_aborts=True,  # tcp_rcv_state_process: TCPABORTONDATA after the peer's FIN
    fin_obeys_cwnd=True,  # tcp_send_fin -> tcp_write_xmit -> tcp_cwnd_test
    fin_obeys_send_window=True,  # tcp_write_xmit -> tcp_snd_wnd_test
    rto_retransmits_head=True,  # tcp_retransmit_timer -> tcp_retransmit_skb
    close_unread_resets_any_state=True,  # tcp_close: data_was_unread
    urgent_oob_byte=True,
    rto_min=0.2,  # TCP_RTO_MIN
    rto_max=120.0,  # TCP_RTO_MAX
    syn_retries=6,  # net.ipv4.tcp_syn_retries
    synack_retries=5,  # net.ipv4.tcp_synack_retries
    orphan_retries=8,  # net.ipv4.tcp_orphan_retries = 0: tcp_orphan_retries() gives 8
    retries_by_time=True,  # retransmits_timed_out
    syncookies=1,  # net.ipv4.tcp_syncookies
    keepalive_interval=75,  # net.ipv4.tcp_keepalive_intvl
    keepalive_probes=9,  # net.ipv4.tcp_keepalive_probes
    time_wait=60.0,  # TCP_TIMEWAIT_LEN
    zero_window_probe=PROBE_OLD_SEQ,
    oow_ack_interval=0.5,  # net.ipv4.tcp_invalid_ratelimit = 500 ms
    oow_limit_exempts_data=True,  # tcp_oow_rate_limited
    fin_wait_2_timeout=60.0,  # net.ipv4.tcp_fin_timeout
    time_wait_accepts_syn=True,  # tcp_timewait_state_process: TCP_TW_SYN
    drop_segment_without_ts=False,
    initial_cwnd_segments=10,  # TCP_INIT_CWND
    # congestion control and loss recovery (tcp/recovery.py)
    slow_start_counts_segments="LINUX-tcp_slow_start-segments-acked",  # tcp_slow_start
    recovery_beta=717,  # tcp_cubic.c bictcp_recalc_ssthresh (BICTCP_BETA_SCALE 1024)
    rack_loss_detection=True,  # tcp_rack_detect_loss, net.ipv4.tcp_recovery = 1
    prr=True,  # tcp_cwnd_reduction
    send_buffer=16384,  # tcp_wmem[1]
    recv_buffer=131072,  # tcp_rmem[1]
    ephemeral_ports=(32768, 60999),  # net.ipv4.ip_local_port_range
    sockbuf_doubling=True,  # sock_setsockopt: sk_rcvbuf = 2 * val
    synrecv_minisock=True,
    time_wait_minisock=True,
    fin_wait_2_minisock=True,  # tcp_timewait_state_process, tw_substate TCP_FIN_WAIT2
    rst_after_fin_at_rcv_nxt_minus_1=True,  # tcp_reset_check
    after_fin_ignores_new_sequence=True,  # tcp_rcv_state_process
    ack_of_fin_consumes=True,  # tcp_rcv_state_process -> tcp_time_wait
    time_wait_paws_rst=True,  # tcp_timewait_state_process: tcp_paws_reject(.., th->rst)
    ipv6_padn_checks=True,  # ip6_parse_tlv
    ipv6_srh_disabled=True,  # ipv6_srh_rcv: net.ipv6.conf.all.seg6_enabled = 0
    ipv6_rpl_disabled=True,  # ipv6_rpl_srh_rcv: net.ipv6.conf.all.rpl_seg_enabled = 0
    jumbo_option_checks=True,  # ipv6_hop_jumbo: nh[optoff + 1] != 4 || (optoff & 3) != 2
    ipv6_one_fragment_header=True,  # ipv6_frag_rcv: IP6SKB_FRAGMENTED -> fail_hdr
    router_alert_length_check=True,  # ipv6_hop_ra: nh[optoff + 1] != 2
    udp6_zero_length_whole=True,  # __udp6_lib_rcv: if (ulen == 0) ulen = skb->len
    ipv6_hbh_ioam_calipso=True,  # ipv6_hop_ioam, ipv6_hop_calipso (tlvprochopopt_lst)
    ipv6_ipsec=False,  # no ah6/esp6 modules on the development kernel (ip6_protocol_deliver_rcu)
    nd_tlla_multicast_only=True,  # ndisc_recv_ns: inc_opt only for a multicast destination
    ipv6_no_route_unreachable=True,  # ip6_pkt_discard: ICMPV6_NOROUTE
    ptb_below_minimum_ignored=True,  # tcp_v6_err: mtu < IPV6_MIN_MTU
    ptb_checks_sequence=True,  # tcp_v6_err: !between(seq, snd_una, snd_nxt)
    # IPsec (issue 15)
    ipsec_policy_priority=True,  # xfrm_policy_insert, xfrm_policy_lookup_bytype
    ipsec_no_policy_bypass=True,  # xfrm_lookup_with_ifid, __xfrm_policy_check: no policy
    ipsec_block_eperm=True,  # xfrm_lookup_with_ifid: XFRM_POLICY_BLOCK -> -EPERM
    xfrm_larval_drop=True,  # net.core.xfrm_larval_drop = 1: -EREMOTE, blackhole
    esp_padding_unchecked=True,  # esp_remove_trailer
    xfrm_overflow_eoverflow=True,  # xfrm_replay_overflow: -EOVERFLOW (XfrmOutStateSeqError)
    xfrm_expired_einval=True,  # xfrm_state_check_expire: -EINVAL (XfrmOutStateExpired)
    # ESP fuzzing (issue 15, esp15)
    xfrm_replay_advance_after_input=True,  # xfrm_input: xfrm_replay_advance after esp_input
    esp_trailer_needs_payload=True,  # esp_remove_trailer: padlen + 2 + alen >= elen

    # IPv6 address configuration and neighbour timers (issue 13)
    dad_nonce=True,  # addrconf_dad_kick: enhanced_dad = 1 (RFC 7527 nonce)
    dad_delay=1.0,  # addrconf_dad_kick: get_random_u32_below(rtr_solicit_delay)
    nd_delay_on_recent_use=True,  # neigh_timer_handler: neigh->used + DELAY_PROBE_TIME
    nd_probe_link_local_source=True,  # ndisc_send_ns: ipv6_get_lladdr

    time_wait_syn_ack_unlimited=True,  # tcp_v4_rcv: TCP_TW_SYN without listener -> TCP_TW_ACK
    exact_choices=True,
    # -- sysctl18 (issue 18) --
    abort_on_overflow=False,  # net.ipv4.tcp_abort_on_overflow (tcp_check_req: listen_overflow)
    # -- send buffer (tcp12) --
    send_buffer_accounting=True,  # tcp_sendmsg_locked, sk_stream_memory_free, tcp_poll
    skb_truesize=832,  # 6.18 x86-64: MAX_TCP_HEADER 256 + sk_buff 256 + skb_shared_info 320
    sndbuf_expand=2,  # tcp_cubic.c has no sndbuf_expand (net.ipv4.tcp_congestion_control)
    send_buffer_max=4194304,  # tcp_wmem[2]
    max_window_from_ack=True,  # tcp_create_openreq_child
    # -- request socket (reqsk11) --
    reqsk_tsecr_check=True,  # tcp_check_req: tsecr_reject, tcp_synack_options
    # -- Linux fuzz findings on IPv6 (fz11) --
    fin_ack_sacks_purged_ofo=True,  # tcp_fin: tcp_send_ack before skb_rbtree_purge
    reset_closing_econnreset=True,  # tcp_reset: default branch, err = ECONNRESET
)

# PyTCP 2.7 (the `pytcp` target) where it makes a choice the RFCs leave open: its SYNs carry
# only the MSS option (window scaling, RFC 7323; SACK, RFC 2018; timestamps, RFC 7323 are all
# optional). Everything else is the RFC's, with the RFC's whole allowed set in predictions.
PYTCP = Profile(
    name="pytcp", window_scaling=False, sack=False, timestamps=False,
    # RFC 5681 3.1 sets an upper bound on IW; pytcp's session.py starts _snd_ewn at one MSS and
    # doubles it on the ACK that completes the handshake: two segments before any data is acked.
    initial_cwnd_segments=2,
    echo_ignore_broadcasts=True,  # RFC 1122 3.2.2.6 MAY: no reply to broadcast or multicast echo
    # protocols/icmp4/phrx.py _phrx_icmp4 answers through _phtx_icmp4 without the request's
    # TOS: the reply's DSCP and ECN are _phtx_ip4's defaults, 0 (RFC 1349 5.1 SHOULD).
    echo_reply_keeps_tos=False,
    # protocols/tcp/fpp.py TcpParser._packet_integrity_check fails a segment whose option
    # length is 0 or runs past the header ("wrong option length"): the segment is dropped,
    # which RFC 1122 4.2.2.5 (handle it without crashing) allows.
    bad_option_length_drops=True,
    # -- sb12: the send buffer (suites/tcp/test_send_buffer.py) --
    # RFC 9293 3.9.1.2 leaves the buffer's size open: protocols/tcp/session.py TcpSession.send
    # extends _tx_buffer with the whole write in ESTABLISHED and CLOSE-WAIT, unbounded.
    send_buffer_unbounded=True,
    # pytcp's socket has no options (lib/socket.py: no setsockopt/getsockopt; the agent
    # answers ENOPROTOOPT, conformance/targets/pytcp_agent.py)
    sndbuf_option=False,
    rcvbuf_option=False,
)

# gVisor's netstack (the `gvisor` target: runsc 0.0~20221219, Debian) where it makes a choice
# the RFCs leave open; each flag names netstack's source file (pkg/tcpip of that release;
# runsc/boot/loader.go sets the stack options). Its non-conformances are not modelled: they
# are expected failures in suites/expectations/gvisor.toml.
GVISOR = Profile(
    name="gvisor",
    ttl=64,  # network/ipv4/ipv4.go DefaultTTL (RFC 1122 3.2.1.7)
    # RFC 791 leaves overlaps open: network/internal/fragmentation/reassembler.go process
    # abandons the datagram (ErrFragmentOverlap, "to keep parity with Linux").
    fragment_overlap=OVERLAP_DISCARD,
    # RFC 826's merge adds any sender targeting us; network/arp/arp.go hands a reply to
    # HandleNeighborConfirmation, which only updates an existing entry.
    arp_accept=False,
    # RFC 1122 4.2.3.9 (soft errors MUST NOT abort): transport/tcp/endpoint.go HandleError
    # -> onICMPError aborts on Host Unreachable, in SYN-SENT too (as Linux, RFC 5461 4).
    syn_sent_aborts_on_soft_error=True,
    # RFC 7323 3.2 SHOULD drop a segment without timestamps on a timestamped connection;
    # transport/tcp/rcv.go accepts it.
    drop_segment_without_ts=False,
    # RFC 9293 3.10.7.4 sends the first check's ACK for any unacceptable segment; connect.go
    # handleSegmentLocked processes a segment only with RST, SYN or ACK set (else: ignored).
    # (A passive SYN-RECEIVED is the handshake's, synRcvdState: it checks such a segment's
    # sequence number and ACKs one outside the window; stateful finding 11b579036583.)
    drop_without_ack_first=True,
    ts_recent_after_receive=True,  # connect.go handleSegmentLocked: rcv, then snd
    # RFC 792: echo reply code 0; network/ipv4/icmp.go copies the request and sets the type.
    echo_reply_copies_code=True,
    echo_reply_option_area=True,  # network/ipv4/icmp.go handleICMP, ipv4.go processIPOptions
    # RFC 1122 3.2.2.1: no Protocol Unreachable for a protocol the host runs: network/ipv4/
    # ipv4.go handleValidatedPacket hands protocol 2 to igmp.go handleIGMP (boofuzz finding
    # c8612558b6ed).
    igmp_host=True,
    rst_carries_timestamps=True,  # transport/tcp/connect.go sendRaw, makeOptions
    soft_error_abort_host_only=True,  # network/ipv4/icmp.go handleICMP: ICMPv4HostUnreachable
    # RFC 1122 4.2.2.13 MAY: rcv.go handleTimeWaitSegment hands a SYN above RCV.NXT to the
    # listener (no timestamp test, RFC 6191).
    time_wait_accepts_syn=True,
    # RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: snd.go sendZeroWindowProbe sends an empty ACK
    # with SEQ = SND.UNA - 1 (as Linux), not a byte of new data.
    zero_window_probe=PROBE_OLD_SEQ,
    # RFC 5961 7 (SHOULD) ACK throttling: snd.go maybeSendOutOfWindowAck answers a segment with
    # data at once and others (out-of-window, SYN, ACK of unsent data in the closing states)
    # only if endpoint.go allowOutOfWindowAck finds the last such ACK at least
    # stack.TCPInvalidRateLimitOption ago (stack_options.go: 500 ms); a bare FIN is limited
    # there (Linux exempts it), a SYN with a payload is not (oow_limit_exempts_payload).
    oow_ack_interval=0.5,
    oow_limit_exempts_payload=True,  # (session 6: snd.go exempts a payload, not a bare FIN)
    time_wait_ts_recent_first=True,  # transport/tcp/rcv.go handleTimeWaitSegment
    # RFC 7323 does not say which of two Timestamps options counts: header/tcp.go
    # ParseTCPOptions / ParseSynOptions let each overwrite the last (as Linux).
    last_timestamps_option=True,
    # RFC 9293 3.10.7.4 acknowledges a FIN after the peer's FIN; rcv.go
    # handleRcvdSegmentClosing drops a segment beyond RCV.NXT in CLOSE-WAIT, CLOSING and
    # LAST-ACK silently (one at RCV.NXT it takes: a non-conformance, gvisor.toml).
    after_fin_ignores_new_sequence=True,
    # RFC 4302 / RFC 4303: netstack runs neither AH nor ESP over IPv6 (network/ipv6/ipv6.go
    # answers an unknown Next Header with a Parameter Problem, code 1).
    ipv6_ipsec=False,
    window_scale=7,  # transport/tcp/endpoint.go rcvWndScaleForHandshake (4 MiB buffer max)
    sack=True,  # runsc/boot/loader.go: tcpip.TCPSACKEnabled(true) (RFC 2018)
    # RFC 9293 3.10.7.2 leaves the SYN's window free: transport/tcp/endpoint.go
    # initialReceiveWindow offers min(the buffer's window, 2 * InitialCwnd * MSS) rounded
    # down to the window scale: 2 * 10 * 1460 = 29200 -> 29184 (1 << 7 granularity).
    initial_window_space=29184,
    initial_cwnd_segments=10,  # transport/tcp/snd.go InitialCwnd (RFC 6928)
    # RFC 8985 7 (optional): protocol.go sets tcpip.TCPRACKLossDetection by default; rack.go
    # schedulePTO: PTO = 2 * SRTT, plus wcDelayedACKTimeout (200 ms, = its MinRTO) with one
    # segment outstanding, no minimum otherwise, capped by the pending RTO.
    tail_loss_probe=True,
    tlp_min_timeout=0.0,
    mss_reserves_sack=True,  # transport/tcp/snd.go newSender, endpoint.go maxOptionSize
    rto_initial=1.0,  # transport/tcp/connect.go InitialRTO (RFC 6298 2.1)
    rto_min=0.2,  # transport/tcp/snd.go MinRTO (RFC 6298 2.4 SHOULD 1 s)
    rto_max=120.0,  # transport/tcp/snd.go MaxRTO
    syn_retries=6,  # transport/tcp/protocol.go DefaultSynRetries
    data_retries=15,  # transport/tcp/snd.go MaxRetries
    time_wait=60.0,  # transport/tcp/protocol.go DefaultTCPTimeWaitTimeout (RFC 9293: 2 MSL)
    ephemeral_ports=(16000, 65535),  # ports/ports.go firstEphemeral (RFC 6335 6: 49152-)
    # transport/tcp/endpoint.go Write: "Corking is unimplemented, so opts.More ... ignored"
    msg_more_holds=False,

    # -- session 6 (gvdebt): explanations in gvisor.toml turned into flags ----------------
    # RFC 1122 4.2.2.13: rcv.go handleRcvdSegmentClosing aborts an orphan's FIN-WAIT-2 on a
    # FIN beyond RCV.NXT (`closed && (!FIN || SEG.SEQ+SEG.LEN != RCV.NXT+1)`); in FIN-WAIT-1
    # such a FIN is dropped (after_close_checks_before_ack); connect.go resetConnectionLocked
    # sends the RST from the connection (abort_rst_from_connection).
    fin_gap_aborts_after_close=True,
    after_close_checks_before_ack=True,  # connect.go handleSegmentLocked: rcv before snd
    abort_rst_from_connection=True,  # connect.go resetConnectionLocked, sendRaw
    synrcvd_ack_first=True,  # connect.go handshake.synRcvdState, checkAck
    window_edge_held=True,  # rcv.go getSendParams, acceptable; endpoint.go selectWindow
    initial_window_mss_segments=20,  # endpoint.go initialReceiveWindow: 2 * InitialCwnd
    # runsc's sentry doubles SO_RCVBUF/SO_SNDBUF (pkg/sentry/socket/netstack/netstack.go
    # clampBufSize: packetOverheadFactor 2), as Linux does; getsockopt returns the double.
    sockbuf_doubling=True,
    reassembled_keeps_first_checksum=True,  # network/ipv4/ipv4.go handleValidatedPacket
    tlp_new_data_within_cwnd=True,  # transport/tcp/rack.go probeTimerExpired
    # RFC 5681 limits data, not a lone FIN; netstack's FIN is a segment of the write list
    # that snd.go sendData sends only while s.Outstanding < s.SndCwnd (as Linux's).
    fin_obeys_cwnd=True,
    tcp_info_partial=True,  # sentry/socket/netstack/netstack.go getsockopt TCP_INFO
    # POSIX poll(): netstack's endpoint.go Readiness reports writable once the sending side is
    # shut (SndClosed) and everything asked in StateClose/StateError (after a reset or a
    # refused connect), POLLOUT beside POLLHUP and POLLERR, as Linux's tcp_poll.
    poll_out_after_shutdown=True,
    # RFC 9293 3.10.7.4: a RST in CLOSE-WAIT signals "connection reset"; netstack's
    # connect.go handleReset sets ErrAborted there, which the sentry reports as EPIPE
    # (pkg/syserr/netstack.go), as Linux's tcp_reset.
    reset_close_wait_epipe=True,
    fin_own_segment=True,  # transport/tcp/snd.go maybeSendSegment
    jumbograms=False,  # header/ipv6_extension_headers.go: no Jumbo Payload option
    # RFC 2711 names no error for a Router Alert of the wrong length; netstack's
    # header/ipv6_extension_headers.go returns ErrMalformedIPv6ExtHdrOption for one and
    # network/ipv6/ipv6.go drops the packet silently (as Linux's ipv6_hop_ra).
    router_alert_length_check=True,
    icmp_quote_recorded_route=True,  # network/ipv4/ipv4.go processIPOptions, handleRecordRoute
    timestamp_no_room_param_problem=True,  # network/ipv4/ipv4.go handleTimestamp
    # RFC 1122 4.2.3.5 (R2 settable: TCP_USER_TIMEOUT): snd.go retransmitTimerExpired caps
    # the backed-off RTO to what is left of the user timeout ("Cap RTO to remaining time"),
    # as Linux's tcp_clamp_rto_to_user_timeout: the connection is given up on time.
    user_timeout_clamps_rto=True,

    # -- session 7 (gv16): gvisor failures of the newer suites modelled --------------------
    # RFC 1122 4.2.3.5: snd.go retransmitTimerExpired times TCP_USER_TIMEOUT from the head
    # segment's last transmission before the first RTO (firstRetransmittedSegXmitTime).
    user_timeout_from_head_send=True,
    # RFC 1122 4.2.3.4: snd.go maybeSendSegment holds only new data by Nagle; the tail of a
    # segment re-split after a Packet Too Big (updateMaxPayloadSize) goes with its head.
    nagle_new_data_only=True,

    # -- sb12: the send buffer (suites/tcp/test_send_buffer.py) --
    # RFC 9293 3.9.1.2: transport/tcp/endpoint.go newEndpoint starts every endpoint's send
    # buffer at the stack's TCPSendBufferSizeRangeOption default, protocol.go
    # DefaultSendBufferSize (1 MiB); queueSegment takes min(write, buffer - SndBufUsed)
    # octets (isEndpointWritableLocked: ErrWouldBlock only when none is free) and Readiness
    # says writable while SndBufUsed < the buffer (any room), as the rfc profile counts.
    send_buffer=1 << 20,
    # accept.go createConnectingEndpoint makes the connection with newEndpoint and copies
    # the listener's receive window only: SO_SNDBUF set on a listener is not inherited.
    listener_sndbuf_inherited=False,

    # -- camp16 (issue 16): the 300 s fuzz campaigns --
    # snd.go retransmitTimerExpired, sendData, maybeSendSegment: the RTO resends the head
    # segment alone, its boundaries as sent (stateful finding b902698dc101).
    rto_resends_head_segment=True,
    # rcv.go handleRcvdSegmentClosing: endDataSeq = SEG.SEQ + payload beyond RCV.NXT aborts
    # after close(), text or not (stateful findings 8aadcd25e7c0, d1c98e45640f).
    closed_abort_on_empty_beyond_rcv_nxt=True,
    # ipv4.go processIPOptions: a repeated option kind draws a Parameter Problem
    # (hypothesis findings 8a005804d43b, d5af5a58dd62: LSRR twice).
    ip_option_repeat_param_problem=True,
    # -- session 9 (gvfast) --
    # snd.go newSender / detectLoss: NewReno's recover starts at the ISS (RFC 6582 3.2 steps
    # 1-2), no fast retransmit before the ACK covers more than the SYN.
    recover_from_iss=True,
    # (icmp_quote_recorded_route, set above, now covers a Timestamp option too: ipv4.go
    # handleTimestamp stamps it on receipt before an error quotes it; hypothesis a0353a37bb9c.)
    # transport/tcp/reno.go updateSlowStart (cubic.go's too): newcwnd = SndCwnd +
    # packetsAcked, at most Ssthresh (one ACK of the 10-segment initial window releases two
    # segments; suites/tcp/test_initial_window.py).
    slow_start_counts_segments="GVISOR-update_slow_start-packets-acked",

    # -- gvfz9 (issue 16): the second 300 s stateful campaign --
    # connect.go sendRaw: SACK blocks only in StateEstablished (stateful finding 90162d597df9,
    # seed 10: out-of-order text in FIN-WAIT-1 acknowledged without them).
    sack_blocks_established_only=True,
    # snd.go sendAck -> sendEmptySegment(ACK, s.SndNxt), SndNxt never moved back by
    # retransmitTimerExpired (stateful finding 6088d0dcae92, seed 10).
    empty_ack_at_snd_max=True,

    # -- gvfz12: the third 300 s stateful campaign (seed 12) --
    # snd.go handleRcvdSegment: cc.Update(originalOutstanding - s.Outstanding); an ACK of
    # part of a segment leaves cwnd as it was (stateful finding a7e1beb9027a: after the RTO,
    # cwnd 1, an ACK of one of two octets, then close(): the FIN waits, fin_obeys_cwnd).
    slow_start_whole_segments=True,
    # snd.go maybeSendSegment: StateFinWait1 when the FIN goes out, not at close() (stateful
    # finding d28c7cceaddc: the FIN held by cwnd 1 after the RTO, an empty segment beyond
    # RCV.NXT draws no abort; its ACK opens cwnd and the FIN goes).
    closing_checks_after_fin_sent=True,
)

# lwIP 2.1.3 as Debian builds it (liblwip0, the `lwip` target; lwipopts.h of the Hurd port:
# TCP_MSS 1460, TCP_WND 0xFFFF, LWIP_WND_SCALE with TCP_RCV_SCALE 1): where it makes a choice
# the RFCs leave open. Source: lwip-tcpip/lwip STABLE-2_1_3_RELEASE, src/core/.
LWIP = Profile(
    name="lwip",
    ttl=255,  # opt.h IP_DEFAULT_TTL 255 (RFC 1122 3.2.1.7 leaves the value open; 64 is usual)
    window_scale=1,  # lwipopts.h TCP_RCV_SCALE; tcp_out.c tcp_build_wnd_scale_option
    timestamps=False,  # LWIP_TCP_TIMESTAMPS 0 (opt.h default)
    sack=False,  # LWIP_TCP_SACK_OUT 0 (opt.h default)
    # RFC 1122 3.2.2.6 MAY: icmp.c icmp_input drops an echo to a broadcast or multicast address
    # (LWIP_BROADCAST_PING 0, LWIP_MULTICAST_PING 0, the opt.h defaults).
    echo_ignore_broadcasts=True,
    # RFC 792: echo reply code 0; icmp.c icmp_input turns the request into the reply in place
    # and sets only the type (ICMPH_TYPE_SET(iecho, ICMP_ER)): the request's code is echoed.
    echo_reply_copies_code=True,
    # RFC 3828: lwipopts.h LWIP_UDPLITE 1, so UDP-Lite (protocol 136) is a transport here and a
    # datagram to a port without a socket draws Port Unreachable (udp.c udp_input).
    udplite=True,
    # api/sockets.c lwip_send: MSG_MORE -> NETCONN_MORE -> tcp_write(TCP_WRITE_FLAG_MORE), then
    # tcp_output (api/api_msg.c lwip_netconn_do_writemore): the data goes as Nagle allows,
    # without PSH on its last segment (tcp_out.c tcp_write).
    msg_more_holds=False,
    msg_more_clears_psh=True,
    # POSIX poll(): lwIP's lwip_pollscan reports POLLOUT while the socket's sendevent is set,
    # and only a full send buffer clears it (api/sockets.c event_callback, NETCONN_EVT_
    # SENDMINUS): after shutdown(SHUT_WR) and after a reset (err_tcp: SENDPLUS) it stays.
    poll_out_after_shutdown=True,
    # RFC 1122 3.2.2.1: no Protocol Unreachable for a protocol the host runs: lwipopts.h
    # LWIP_IGMP 1, so ip4.c ip4_input hands protocol 2 to igmp_input (which drops what it
    # cannot use) rather than to icmp_dest_unreach (found by boofuzz, finding c8612558b6ed).
    igmp_host=True,
    # RFC 9293 3.10.7.4 acknowledges a FIN after the peer's FIN (the first check, or its FIN
    # arm); lwIP in CLOSE_WAIT, CLOSING, LAST_ACK answers one at or beyond RCV.NXT with nothing
    # (measured, as Linux's tcp_rcv_state_process; tcp_in.c tcp_process -> tcp_receive).
    after_fin_ignores_new_sequence=True,
    # -- lwip fuzz findings (session 6) --
    # RFC 1122 4.2.3.4 holds a partial segment (and the FIN behind it) while data is
    # unacknowledged; lwIP's close and shutdown(SHUT_WR) put the FIN on the last unsent
    # segment and call tcp_output, which applies no Nagle test (tcp.c tcp_close_shutdown_fin
    # -> tcp_out.c tcp_send_fin, tcp_output; only the write path uses tcp_output_nagle):
    # held data goes at once with the FIN, as at Linux (stateful finding 47bdec0de99b).
    nagle_exempts_fin=True,
    send_closed_enotconn=True,  # tcp_out.c tcp_write_checks: ERR_CONN (stateful 020736437269)
    shutdown_closing_enotconn=True,  # tcp.c tcp_shutdown: ERR_CONN (stateful 3fdb73f140c5)
    recv_after_eof_enotconn=True,  # api_lib.c netconn_recv_data_tcp (stateful e01786a83532)
    # lwIP stateful findings (lwst)
    abort_on_in_order_data_after_close=True,  # tcp_in.c tcp_input: TF_RXCLOSED -> tcp_abort
    close_unread_resets_open_states_only=True,  # tcp.c tcp_close_shutdown
    recv_error_twice=True,  # api_msg.c err_tcp, api_lib.c netconn_recv_data
    # A RST in CLOSING or LAST-ACK: tcp_in.c tcp_input calls TCP_EVENT_ERR(ERR_RST) for
    # TF_RESET in every state; api_msg.c err_tcp keeps it (conn->pending_err), and the next
    # send's lwip_netconn_do_write takes it (netconn_err) before it finds no pcb: ECONNRESET,
    # then ENOTCONN (stateful 9cddc6abd461, as at Linux).
    reset_closing_econnreset=True,
    # RFC 1337 3 (F1): tcp_in.c tcp_timewait_input returns on any RST ("RFC 1337: in
    # TIME_WAIT, ignore RST"), where RFC 9293 3.10.7.4 ends TIME-WAIT on one at RCV.NXT.
    time_wait_ignores_rst=True,
    synrcvd_syn_copy_resends_synack=True,  # tcp_in.c tcp_process: SYN_RCVD, tcp_rexmit
    # api_msg.c lwip_netconn_do_close_internal: SO_LINGER waits only with unsent or unacked
    # data (measured: with none, close returned a median 2.6 ms after it started, its FIN
    # unacknowledged: 53 of 200 runs of the lingering test saw it before the FIN)
    linger_needs_data_in_flight=True,

    # -- session 7 (gv16): the congestion control suites --
    # RFC 5681 3.1 / RFC 3465 2.2: tcp_in.c tcp_receive grows cwnd in slow start by
    # min(acked, 2 * MSS) ("RFC 3465, section 2.2 Slow Start"), 1 * MSS after an RTO (TF_RTO).
    slow_start_limit_segments=2,

    # -- sb12: the send buffer (suites/tcp/test_send_buffer.py) --
    # RFC 9293 3.9.1.2: lwipopts.h TCP_SND_BUF = TCP_WND (65535) octets per connection, fixed
    # at build time: tcp_out.c tcp_write_checks refuses a write beyond tcp_sndbuf (ERR_MEM),
    # api_msg.c lwip_netconn_do_writemore writes what fits of a non-blocking send.
    send_buffer=65535,
    # api/sockets.c lwip_setsockopt_impl has no SO_SNDBUF (ENOPROTOOPT); LWIP_SO_RCVBUF is on.
    sndbuf_option=False,
    # poll(): api/sockets.c lwip_pollscan reports POLLOUT while sendevent is set;
    # api_msg.c lwip_netconn_do_writemore clears it (NETCONN_EVT_SENDMINUS) once
    # tcp_sndbuf <= TCP_SNDLOWAT, sent_tcp sets it again (SENDPLUS) once an ACK leaves
    # tcp_sndbuf > TCP_SNDLOWAT (opt.h: min(max(TCP_SND_BUF / 2, 2 * TCP_MSS + 1),
    # TCP_SND_BUF - 1) = 32767). (Their second condition, fewer queued pbufs than
    # TCP_SNDQUEUELOWAT, is not modelled: the suites never queue that many.)
    pollout_low_water=32767,

    # -- camp16 (issue 16): the 300 s fuzz campaigns --
    # tcp_in.c tcp_process -> tcp_parseopt on every segment: an MSS option after the
    # handshake sets pcb->mss (TCP_MSS 1460 caps it; stateful finding 2e4ab5ce242a).
    mss_option_any_segment=1460,
    # tcp_in.c tcp_receive: tcp_ack for in-order text, out-of-order data queued or not
    # (hypothesis finding 3843d23bdfdf).
    gap_fill_ack_delayed=True,
)

PROFILES: dict[str, Profile] = {"rfc": RFC, "linux": LINUX, "pytcp": PYTCP, "gvisor": GVISOR,
                                "lwip": LWIP}
