"""Loss recovery of the sender: the SACK scoreboard (RFC 6675 2-4), duplicate ACKs without
SACK (RFC 5681 3.2, NewReno partial ACKs RFC 6582), RACK's time-based loss detection (RFC 8985
6, profile ``rack_loss_detection``), fast recovery's congestion window (RFC 6675 5, or
Proportional Rate Reduction, RFC 6937, profile ``prr``) and what it lets go out: lost
segments first, then new data (RFC 6675 NextSeg).

One rule ties it together: the sender's data in flight is counted as RFC 6675's ``pipe``,
SND.NXT - SND.UNA less what the peer SACKed and what is deemed lost and not yet sent again
(``Tcb.left_out``; Linux tcp_packets_in_flight: packets_out - (sacked_out + lost_out) +
retrans_out). Without SACK each duplicate ACK counts as one segment that left the network
(Linux tcp_add_reno_sack), which is RFC 5681's window inflation by SMSS per duplicate ACK
said the other way round. The transmit loop (tcp/output.py) sends only while cwnd - pipe
allows (RFC 5681 3: never more in flight than the congestion window).

The scoreboard exists only while there is something on it (``Tcb.board``): an ACK of a
connection without one, the common case, takes none of this (tcp/segment_arrival.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reference_stack.profiles import Profile
from reference_stack.tcp.seq import seq_add, seq_diff, seq_ge, seq_gt, seq_le
from reference_stack.tcp.tcb import T_LOSS_PROBE, T_REORDER, T_RETRANSMIT, Tcb
from reference_stack.trace import EVENT

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections

RULE_FAST_RETRANSMIT = "RFC5681-3.2-MUST-fast-retransmit"
RULE_ENTER_SACK = "RFC6675-5-MUST-enter-recovery-on-dupthresh"
RULE_NEXTSEG = "RFC6675-5-MUST-nextseg-holes-first"
RULE_PARTIAL_ACK = "RFC6582-3.2-SHOULD-partial-ack-retransmit"
RULE_EXIT = "RFC5681-3.2-MUST-deflate-after-recovery"
RULE_RACK = "LINUX-tcp_rack_detect_loss-reordering-window"
RULE_PRR = "LINUX-tcp_cwnd_reduction-prr"
RULE_CUBIC = "LINUX-bictcp_recalc_ssthresh-beta"
RULE_RECOVER = "RFC6582-3.2-SHOULD-recover-point"
RULE_RECOVER_FROM_ISS = "GVISOR-detect_loss-recover-from-iss"
# Linux arms its RACK reordering timer for the remaining reordering window (a few
# microseconds on a veth link: RACK.min_RTT / 4) rounded up to a jiffy, plus TCP_TIMEOUT_MIN
# (tcp_rack_mark_lost): three jiffies at HZ = 250.
REO_TIMEOUT = 0.012


@dataclass(slots=True)
class Scoreboard:
    """What the sender knows of the segments in flight beyond SND.UNA (RFC 6675 3), and the
    fast recovery episode, if one is on (RFC 6675 5 / RFC 6582 / RFC 6937 variables)."""

    sacked: dict[int, int] = field(default_factory=dict)  # start -> end, SACKed segments
    lost: dict[int, int] = field(default_factory=dict)  # start -> end, deemed lost
    rexmit: set[int] = field(default_factory=set)  # lost segments sent again
    reno: int = 0  # duplicate ACKs counted as segments delivered (no SACK)
    high: int | None = None  # RecoveryPoint (RFC 6675) / recover (RFC 6582) while recovering
    prior_cwnd: int = 0  # cwnd when recovery began, in segments (PRR's RecoverFS in Linux)
    prr_delivered: int = 0  # segments delivered since (RFC 6937)
    prr_out: int = 0  # segments sent since (RFC 6937)
    rack_xmit: tuple[float, int] | None = None  # (send time, offset) of the latest delivered

    def empty(self) -> bool:
        return not (self.sacked or self.lost or self.reno or self.high is not None)

    def shift(self, delta: int) -> None:
        """The connection's sequence space renumbered by ``delta`` (tcp/layer.rebase_isn)."""
        m = 0xFFFFFFFF
        self.sacked = {(s + delta) & m: (e + delta) & m for s, e in self.sacked.items()}
        self.lost = {(s + delta) & m: (e + delta) & m for s, e in self.lost.items()}
        self.rexmit = {(s + delta) & m for s in self.rexmit}
        if self.high is not None:
            self.high = (self.high + delta) & m


def is_dupack(tcb: Tcb, seg_window: int, has_text: bool) -> bool:
    """RFC 5681 2: a duplicate ACK acknowledges nothing new, carries no data, no SYN or FIN,
    leaves the window as it was, and data is outstanding."""
    return not has_text and seg_window << tcb.snd_wscale == tcb.snd_wnd and tcb.in_flight() > 0


def on_ack(layer: Connections, tcb: Tcb, ack: int, sack_blocks: tuple, dup: bool,
           now: float) -> None:
    """An acceptable ACK (SND.UNA =< SEG.ACK =< SND.NXT) of a connection with a scoreboard,
    a duplicate or SACK information: Update() the scoreboard, acknowledge, detect losses,
    enter or leave fast recovery, and send what recovery allows (Linux tcp_ack ->
    tcp_sacktag_write_queue, tcp_clean_rtx_queue, tcp_fastretrans_alert, tcp_cong_control,
    tcp_xmit_recovery)."""
    board = tcb.board
    if board is None:
        board = tcb.board = Scoreboard()
    advanced = seq_gt(ack, tcb.snd_una)
    delivered = _sack(tcb, board, ack, sack_blocks) if tcb.sack_ok else 0
    if advanced:
        delivered += _cumulative(tcb, board, ack)
        if board.high is None and not tcb.sack_ok:
            board.reno = 0  # RFC 5681 2: duplicates of an older ACK (tcp_reset_reno_sack)
            board.lost.clear()
        layer.acknowledge(tcb, ack, now)
    elif dup and not tcb.sack_ok:
        # RFC 5681 3.2: each duplicate ACK says a segment left the network (Linux
        # tcp_add_reno_sack, at most packets_out - 1 of them).
        if board.reno + 1 < _segments(tcb, tcb.in_flight()):
            board.reno += 1
        delivered += 1
    if dup:
        tcb.dupacks += 1
    lost_before = len(board.lost)
    _detect_losses(layer, tcb, board, advanced, now)
    newly_lost = len(board.lost) - lost_before
    if board.high is not None and seq_ge(tcb.snd_una, board.high):
        _exit(layer, tcb, board)
    if board.high is None and _lost_unsent(board):
        if tcb.sack_ok or tcb.recover is None or seq_gt(tcb.snd_una, tcb.recover):
            _enter(layer, tcb, board, now)
        else:
            # RFC 6582 3.2 step 2: duplicate ACKs that do not cover more than "recover"
            # start no new fast retransmit (the loss waits for the RTO); recover at the ISS
            # still (step 1, profile recover_from_iss): nothing beyond the SYN acknowledged.
            from_iss = tcb.recover == seq_add(tcb.iss, 1) and layer.profile.recover_from_iss
            layer.trace.add("tcp", EVENT, RULE_RECOVER_FROM_ISS if from_iss else RULE_RECOVER,
                            f"SND.UNA {tcb.snd_una} not beyond recover {tcb.recover}")
    if board.high is not None:
        _update_left_out(tcb, board)
        _reduce(layer, tcb, board, delivered, newly_lost, advanced)
        xmit(layer, tcb, now)
    _update_left_out(tcb, board)
    if board.empty():
        tcb.board = None
        tcb.left_out = 0


def reorder_timeout(layer: Connections, tcb: Tcb, now: float) -> None:
    """RFC 8985 6.3: the reordering window of a segment sent before a delivered one ran out:
    it is lost (Linux tcp_rack_reo_timeout: recovery begins if it had not, PRR is told one
    segment was delivered, and the lost segments go out)."""
    board = tcb.board
    if board is None or board.rack_xmit is None:
        return
    n = _rack_mark(tcb, board, board.rack_xmit)
    if not n:
        return
    layer.trace.add("tcp", EVENT, RULE_RACK, f"reordering window expired: {n} lost")
    _update_left_out(tcb, board)
    if board.high is None:
        _enter(layer, tcb, board, now)
        _reduce(layer, tcb, board, 1, n, False)
    xmit(layer, tcb, now)
    _update_left_out(tcb, board)


def timeout(tcb: Tcb) -> None:
    """The retransmission timer expired (RFC 6298 5.4): the sender starts over from SND.UNA
    with the loss window, forgetting the episode; RFC 6582 3.2 step 5: recover = the highest
    sequence number sent."""
    if tcb.board is not None and tcb.board.high is not None or tcb.dupacks:
        tcb.recover = tcb.snd_max
    tcb.board = None
    tcb.left_out = 0
    tcb.dupacks = 0
    tcb.timers.cancel(T_REORDER)


# -- the scoreboard ----------------------------------------------------------------------

def _segments(tcb: Tcb, octets: int) -> int:
    mss = tcb.mss
    return -(-octets // mss)


def _sack(tcb: Tcb, board: Scoreboard, ack: int, blocks: tuple) -> int:
    """RFC 6675 4 Update(): mark the segments the SACK blocks cover (a block at or below
    SEG.ACK is a D-SACK, RFC 2883 4, and marks nothing); the count newly SACKed."""
    n = 0
    una = tcb.snd_una
    for left, right in blocks:
        if not seq_gt(right, ack) or not seq_gt(right, una):
            continue
        for start, (end, at) in tcb.sent_at.items():
            if start in board.sacked or not (seq_le(left, start) and seq_le(end, right)):
                continue
            if not seq_ge(start, ack):
                continue
            board.sacked[start] = end
            board.lost.pop(start, None)
            board.rexmit.discard(start)
            n += 1
            _delivered(tcb, board, start, at)
    return n


def _cumulative(tcb: Tcb, board: Scoreboard, ack: int) -> int:
    """The segments SEG.ACK covers that were not SACKed before: delivered now."""
    n = 0
    for start, (end, at) in tcb.sent_at.items():
        if not seq_le(end, ack):
            break
        if board.sacked.pop(start, None) is None:
            n += 1
            _delivered(tcb, board, start, at)
        board.lost.pop(start, None)
        board.rexmit.discard(start)
    if not tcb.sack_ok and n:
        # Linux tcp_remove_reno_sacks: the duplicate ACKs counted n - 1 of these already.
        counted = min(board.reno, n - 1)
        board.reno -= counted
        n = max(n - counted, 1)
    return n


def _delivered(tcb: Tcb, board: Scoreboard, start: int, at: float) -> None:
    """RFC 8985 6.2 step 2: RACK.xmit_ts, the latest send time of a delivered segment (ties
    broken by sequence, Linux tcp_skb_sent_after)."""
    key = (at, seq_diff(start, tcb.snd_una))
    if board.rack_xmit is None or key > board.rack_xmit:
        board.rack_xmit = key


def _lost_unsent(board: Scoreboard) -> bool:
    return any(s not in board.rexmit for s in board.lost)


def _update_left_out(tcb: Tcb, board: Scoreboard) -> None:
    out = sum(seq_diff(e, s) for s, e in board.sacked.items())
    out += sum(seq_diff(e, s) for s, e in board.lost.items() if s not in board.rexmit)
    tcb.left_out = out + board.reno * tcb.mss


# -- loss detection ----------------------------------------------------------------------

def _detect_losses(layer: Connections, tcb: Tcb, board: Scoreboard, advanced: bool,
                   now: float) -> None:
    p = layer.profile
    if not tcb.sack_ok:
        # RFC 5681 3.2: the third duplicate ACK says the segment at SND.UNA is lost; RFC 6582
        # 3.2: in recovery, so does a partial ACK (Linux tcp_newreno_mark_lost).
        if (board.high is None and board.reno >= p.dupthresh) or (
                board.high is not None and advanced):
            _mark_head(tcb, board, layer, RULE_FAST_RETRANSMIT if board.high is None
                       else RULE_PARTIAL_ACK)
        return
    if p.rack_loss_detection and board.rack_xmit is not None:
        if board.high is not None or len(board.sacked) >= p.dupthresh:
            # Linux tcp_rack_reo_wnd: no reordering window in recovery, or once dupthresh
            # segments are SACKed (reordering not seen)
            n = _rack_mark(tcb, board, board.rack_xmit)
            if n:
                layer.trace.add("tcp", EVENT, RULE_RACK, f"{n} sent before a delivered one")
        elif _rack_pending(tcb, board) and not tcb.timers.is_set(T_REORDER):
            # (Linux's one transmit timer: the reordering timer replaces a loss probe's)
            tcb.timers.cancel(T_LOSS_PROBE)
            tcb.timers.set(T_REORDER, now + REO_TIMEOUT)
            layer.trace.add("tcp", EVENT, RULE_RACK,
                            "a segment sent earlier is not delivered: reordering timer")
        return
    # RFC 6675 4 IsLost(): DupThresh segments, or more than (DupThresh - 1) * SMSS octets,
    # SACKed above it.
    above = 0
    count = 0
    for start, (end, _) in reversed(tcb.sent_at.items()):
        if start in board.sacked:
            count += 1
            above += seq_diff(end, start)
        elif start not in board.lost and (
                count >= p.dupthresh or above > (p.dupthresh - 1) * tcb.mss):
            board.lost[start] = end
    return


def _rack_pending(tcb: Tcb, board: Scoreboard) -> bool:
    return any(_sent_before(tcb, s, at, board.rack_xmit) for s, (_, at) in tcb.sent_at.items()
               if s not in board.sacked and s not in board.lost)


def _sent_before(tcb: Tcb, start: int, at: float, ref: tuple[float, int] | None) -> bool:
    return ref is not None and (at, seq_diff(start, tcb.snd_una)) < ref


def _rack_mark(tcb: Tcb, board: Scoreboard, ref: tuple[float, int]) -> int:
    """RFC 8985 6.2 step 5: every segment not SACKed sent before the latest delivered one
    (its reordering window over) is lost."""
    n = 0
    for start, (end, at) in tcb.sent_at.items():
        if start in board.sacked or (start in board.lost and start not in board.rexmit):
            continue
        if _sent_before(tcb, start, at, ref):
            board.lost[start] = end
            board.rexmit.discard(start)
            n += 1
    return n


def _mark_head(tcb: Tcb, board: Scoreboard, layer: Connections, rule: str) -> None:
    for start, (end, _) in tcb.sent_at.items():
        if start not in board.lost:
            board.lost[start] = end
            layer.trace.add("tcp", EVENT, rule, f"segment at {start} deemed lost")
        return


# -- fast recovery -----------------------------------------------------------------------

def _enter(layer: Connections, tcb: Tcb, board: Scoreboard, now: float) -> None:
    """RFC 5681 3.2 step 2 / RFC 6675 5 (4.1-4.2): RecoveryPoint = HighData, ssthresh from
    the flight (or the profile's multiplicative decrease)."""
    p = layer.profile
    mss = tcb.mss
    board.high = tcb.recover = tcb.snd_nxt
    board.prior_cwnd = max(1, tcb.cwnd // mss)
    board.prr_delivered = board.prr_out = 0
    tcb.ssthresh = ssthresh_after_loss(p, tcb)
    if p.recovery_beta is not None:
        layer.trace.add("tcp", EVENT, RULE_CUBIC, f"ssthresh = cwnd * {p.recovery_beta}/1024")
    if p.prr:
        pass  # cwnd follows PRR on every ACK (_reduce)
    else:
        tcb.cwnd = tcb.ssthresh  # RFC 6675 5 (4.2); RFC 5681's ssthresh + 3 SMSS via pipe
    layer.trace.add("tcp", EVENT, RULE_ENTER_SACK if tcb.sack_ok else RULE_FAST_RETRANSMIT,
                    f"fast recovery to {board.high}, ssthresh {tcb.ssthresh // mss} segments")
    tcb.timers.cancel(T_REORDER)


def ssthresh_after_loss(p: Profile, tcb: Tcb) -> int:
    """RFC 5681 3.1 eq. 4: max(FlightSize / 2, 2 * SMSS); a profile's multiplicative
    decrease instead (Linux CUBIC: cwnd * beta, beta = 717/1024, at least 2 segments)."""
    mss = tcb.mss
    if p.recovery_beta is not None:
        return max(tcb.cwnd // mss * p.recovery_beta // 1024, 2) * mss
    return max(tcb.in_flight() // 2, 2 * mss)


def _reduce(layer: Connections, tcb: Tcb, board: Scoreboard, delivered: int,
            newly_lost: int, advanced: bool) -> None:
    """The congestion window of this ACK of fast recovery: RFC 6675 keeps it at ssthresh
    (pipe does the rest); PRR (RFC 6937 3, Linux tcp_cwnd_reduction) spreads the reduction
    over the ACKs, cwnd = pipe + sndcnt."""
    p = layer.profile
    if not p.prr:
        return
    if delivered <= 0:
        return
    mss = tcb.mss
    board.prr_delivered += delivered
    pipe = _segments(tcb, tcb.in_flight() - tcb.left_out)
    ssthresh = tcb.ssthresh // mss
    delta = ssthresh - pipe
    if delta < 0:
        # RFC 6937: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out (Linux's
        # RecoverFS is the cwnd when recovery began, tp->prior_cwnd)
        sndcnt = -(-(ssthresh * board.prr_delivered) // board.prior_cwnd) - board.prr_out
    else:
        # PRR-SSRB: at most what was delivered, one more on an ACK that advanced SND.UNA
        # without new losses, never above ssthresh
        sndcnt = max(board.prr_delivered - board.prr_out, delivered)
        if advanced and not newly_lost:
            sndcnt += 1
        sndcnt = min(delta, sndcnt)
    sndcnt = max(sndcnt, 0 if board.prr_out else 1)  # the fast retransmit itself
    tcb.cwnd = (pipe + sndcnt) * mss
    layer.trace.add("tcp", EVENT, RULE_PRR,
                    f"delivered {board.prr_delivered}, sent {board.prr_out}: cwnd "
                    f"{pipe + sndcnt} segments")


def _exit(layer: Connections, tcb: Tcb, board: Scoreboard) -> None:
    """RFC 6675 5 (A) / RFC 6582 full acknowledgment: recovery ends, cwnd = ssthresh (RFC
    5681 3.2 step 6, RFC 6937 3)."""
    board.high = None
    board.lost.clear()
    board.rexmit.clear()
    tcb.cwnd = tcb.ssthresh
    tcb.dupacks = 0
    layer.trace.add("tcp", EVENT, RULE_EXIT, f"recovery over: cwnd {tcb.cwnd // tcb.mss}")


def xmit(layer: Connections, tcb: Tcb, now: float) -> None:
    """RFC 6675 5 (C) NextSeg(): while cwnd - pipe allows a segment, first a lost segment
    not yet sent again (lowest first), then new data (Linux tcp_xmit_retransmit_queue, then
    tcp_data_snd_check); the first retransmission of an episode goes whatever pipe says
    (RFC 6675 4.3, RFC 5681 3.2 step 3)."""
    board = tcb.board
    if board is None:
        return
    sender = layer.sender
    mss = tcb.mss
    for start, end in sorted(board.lost.items(), key=lambda kv: seq_diff(kv[0], tcb.snd_una)):
        if start in board.rexmit:
            continue
        if board.prr_out and tcb.cwnd - (tcb.in_flight() - tcb.left_out) < mss:
            return
        rule = RULE_PARTIAL_ACK if board.prr_out and not tcb.sack_ok else (
            RULE_NEXTSEG if tcb.sack_ok else RULE_FAST_RETRANSMIT)
        sender.retransmit_range(tcb, start, end, now, rule)
        board.rexmit.add(start)
        board.prr_out += 1
        _update_left_out(tcb, board)
    before = tcb.snd_nxt
    sender.transmit(tcb, now)
    board.prr_out += _segments(tcb, seq_diff(tcb.snd_nxt, before))
    if not tcb.timers.is_set(T_RETRANSMIT):
        tcb.timers.set(T_RETRANSMIT, now + tcb.rto.rto)
