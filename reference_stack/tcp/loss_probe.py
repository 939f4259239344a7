"""Tail loss probe (RFC 8985 7, RACK-TLP), for profiles that send one (Linux
tcp_schedule_loss_probe / tcp_send_loss_probe, net.ipv4.tcp_early_retrans = 3).

When the last data in flight is not acknowledged within a probe timeout (PTO), the sender
transmits one probe segment (new data if the window allows, else the last segment again)
instead of waiting for the RTO, then re-arms the RTO without backing it off. One probe at a
time (TLP.end_seq, RFC 8985 7.3: Linux tlp_high_seq)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from reference_stack.profiles import Profile
from reference_stack.tcp.seq import HALF, MOD, seq_diff, seq_ge
from reference_stack.tcp.state import SENDING_STATES
from reference_stack.tcp.tcb import T_LOSS_PROBE, T_RETRANSMIT, Tcb
from reference_stack.trace import EVENT

if TYPE_CHECKING:
    from reference_stack.trace import Trace

RULE = "RFC8985-7.3-MAY-tail-loss-probe"
RULE_WITHIN_CWND = "GVISOR-probe_timer_expired-new-data-within-cwnd"
TIMEOUT_INIT = 1.0  # no RTT sample yet: Linux TCP_TIMEOUT_INIT


def arm(p: Profile, tcb: Tcb, now: float, advancing: bool) -> None:
    """RFC 8985 7.2: schedule the PTO after new data went out (`advancing`: after an ACK that
    re-arms the RTO, which then caps the PTO; else the pending RTO's deadline does)."""
    # (in_flight() > 0, inline: d = (SND.NXT - SND.UNA) mod 2**32 in (0, HALF])
    if not (p.tail_loss_probe and tcb.sack_ok
            and 0 < ((tcb.snd_nxt - tcb.snd_una) & 0xFFFFFFFF) <= HALF
            and tcb.state in SENDING_STATES and tcb.retries == 0 and tcb.dupacks < p.dupthresh
            and tcb.board is None):  # (Linux: only in the Open state, nothing SACKed or lost)
        return
    srtt = tcb.rto.srtt
    if srtt is None:
        pto = TIMEOUT_INIT
    else:
        # RFC 8985 7.2: PTO = 2 * SRTT, plus the worst-case delayed ACK when one segment is
        # in flight (Linux: TCP_RTO_MIN), else Linux's TCP_TIMEOUT_MIN.
        pto = 2 * srtt + (p.rto_min if one_segment_in_flight(tcb) else p.tlp_min_timeout)
    # RFC 8985 7.2: no later than the RTO would fire. Linux tcp_schedule_loss_probe: after an
    # ACK, the RTO from now; else the RTO measured from the head segment's last transmission
    # (tcp_rto_delta_us), only if that is still ahead.
    if advancing:
        cap: float | None = now + tcb.rto.rto
    else:
        cap = rto_deadline(tcb)
        if cap is None:
            cap = tcb.timers.get(T_RETRANSMIT) or now + tcb.rto.rto
        elif cap <= now:
            cap = None
    # (Linux has one timer for both: the probe's replaces the pending RTO, which the probe
    # re-arms when it fires.)
    tcb.timers.pop(T_RETRANSMIT, None)  # (cancel: a C call)
    due = now + pto
    if cap is not None and cap < due:  # (min(), as a comparison: every segment sent)
        due = cap
    tcb.timers[T_LOSS_PROBE] = due  # (set: a store, not a call)


# `tcb.sent_at` holds the segments in flight in sequence order (the dict's order): the head
# segment first. New segments go at the end; a retransmission updates its segment's entry in
# place, and only one that starts where no segment did, before the last one, reorders it
# (`sent`). Reading the head and forgetting what an ACK covers are then O(1) amortised.


def sent(tcb: Tcb, seq: int, end: int, now: float) -> None:
    """The segment [seq, end) went out at `now` (for rto_deadline)."""
    sent_at = tcb.sent_at
    # (seq_lt(last, seq), inline: every segment sent)
    if (seq in sent_at or not sent_at
            or ((next(reversed(sent_at)) - seq) & 0xFFFFFFFF) > HALF):
        sent_at[seq] = (end, now)
        return
    # (A retransmission from a new boundary, e.g. SND.UNA inside a partly acknowledged
    # segment: put it in its place.)
    sent_at[seq] = (end, now)
    una = tcb.snd_una
    ordered = sorted(sent_at.items(), key=lambda item: seq_diff(item[0], una))
    sent_at.clear()
    sent_at.update(ordered)


def rto_deadline(tcb: Tcb) -> float | None:
    """When the RTO measured from the last transmission of the head segment (the one holding
    SND.UNA) falls (Linux tcp_rto_delta_us); None when no send time is known."""
    sent_at = tcb.sent_at
    if not sent_at:
        return None
    return sent_at[next(iter(sent_at))][1] + tcb.rto.rto  # (head_sent, inline)


def head_sent(tcb: Tcb, now: float) -> float:
    """When the head segment (the one holding SND.UNA) last went out; `now` when no send
    time is known."""
    sent_at = tcb.sent_at
    # The first in sequence order (none ends at or before SND.UNA: forget_sent).
    return sent_at[next(iter(sent_at))][1] if sent_at else now


def segments_acked(tcb: Tcb, ack: int) -> int:
    """How many segments in flight an ACK up to `ack` acknowledges wholly (the ones
    forget_sent then forgets)."""
    count = 0
    for end, _ in tcb.sent_at.values():
        d = (end - ack) & 0xFFFFFFFF  # (seq_le(end, ack), inline)
        if d and d <= HALF:
            break
        count += 1
    return count


def forget_sent(tcb: Tcb, ack: int) -> None:
    """SND.UNA moved to `ack`: the segments wholly acknowledged are forgotten, from the head
    (a segment nested in one still partly unacknowledged goes when that one does)."""
    sent_at = tcb.sent_at
    while sent_at:
        head = next(iter(sent_at))
        d = (sent_at[head][0] - ack) & 0xFFFFFFFF  # (seq_le(end, ack), inline: every ACK)
        if d and d <= HALF:
            return
        del sent_at[head]


def one_segment_in_flight(tcb: Tcb) -> bool:
    """RFC 8985 7.2's "FlightSize is one segment", counted in segments as sent (Linux
    tcp_schedule_loss_probe: ``tp->packets_out == 1``), not in octets: data then a FIN sent
    on its own (close() after the data went) are two segments, though both fit one MSS. One
    segment when the last new segment sent starts at or before SND.UNA and holds at most an
    MSS of data (a FIN occupies one sequence number and no payload)."""
    # (seq_lt and in_flight() inline: every segment sent arms the probe)
    una = tcb.snd_una
    tail = tcb.tail_seq
    if tail is not None and tail != una and ((una - tail) & 0xFFFFFFFF) > HALF:
        return False
    data = (tcb.snd_nxt - una) & 0xFFFFFFFF
    if data > HALF:
        data -= MOD
    if tcb.fin_seq is not None and tcb.fin_sent():
        data -= 1
    return data <= tcb.mss


class ProbeSender(Protocol):
    """What the probe needs of the connection's sender (tcp/output.py's Sender)."""

    trace: Trace
    profile: Profile

    def transmit(self, tcb: Tcb, now: float, probe: bool = False) -> None: ...

    def retransmit_tail(self, tcb: Tcb, now: float, rule: str) -> None: ...


def fire(sender: ProbeSender, tcb: Tcb, now: float) -> None:
    """RFC 8985 7.3: send the probe (once per episode), then re-arm the RTO (Linux
    tcp_rearm_rto, not backed off)."""
    if tcb.in_flight() == 0:
        return
    if tcb.tlp_high is None and tcb.state in SENDING_STATES:
        tcb.tlp_high = tcb.snd_nxt
        sender.trace.add("tcp", EVENT, RULE, "probe timeout: tail loss probe")
        before = tcb.snd_nxt
        if sender.profile.tlp_new_data_within_cwnd and -(-tcb.in_flight() // tcb.mss) >= max(
                1, tcb.cwnd // tcb.mss):
            # gVisor rack.go probeTimerExpired: new data only while s.Outstanding <
            # s.SndCwnd (both in segments); else the last segment sent goes again.
            sender.trace.add("tcp", EVENT, RULE_WITHIN_CWND,
                             f"{tcb.in_flight()} octets in flight fill cwnd {tcb.cwnd}")
        else:
            sender.transmit(tcb, now, probe=True)  # new data, if the windows allow
        if tcb.snd_nxt == before:
            sender.retransmit_tail(tcb, now, RULE)
        tcb.timers.set(T_RETRANSMIT, now + tcb.rto.rto)
        return
    # A probe is already out (RFC 8985 7.3: one per episode), or none can go: the RTO,
    # measured from the head segment's last transmission (Linux tcp_send_loss_probe ->
    # tcp_rearm_rto with the probe timer pending: tcp_rto_delta_us), at once if passed.
    deadline = rto_deadline(tcb)
    tcb.timers.set(T_RETRANSMIT, now + tcb.rto.rto if deadline is None else max(deadline, now))


def acknowledged(tcb: Tcb, ack: int) -> None:
    """RFC 8985 7.4: the probe episode ends once its data is acknowledged."""
    if tcb.tlp_high is not None and seq_ge(ack, tcb.tlp_high):
        tcb.tlp_high = None


def cancel(tcb: Tcb) -> None:
    tcb.timers.cancel(T_LOSS_PROBE)
    tcb.tlp_high = None
