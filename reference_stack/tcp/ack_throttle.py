"""ACK throttling (RFC 5961 7, SHOULD): the limit on the ACKs a connection sends in answer to
segments it does not accept.

RFC 5961 7 asks for a configurable limit on challenge ACKs; RFC 9293 3.10.7.4 asks for an ACK
to every unacceptable segment. A profile's `oow_ack_interval` (Linux: one timestamp per socket,
`tcp_sock.last_oow_ack_time`, and net.ipv4.tcp_invalid_ratelimit = 500 ms) allows one such ACK
per interval; `None` limits nothing (the `rfc` profile). Two kinds of answer share the
timestamp:

* a challenge ACK (Linux tcp_send_challenge_ack -> __tcp_oow_rate_limited: a RST in the window
  not at RCV.NXT, a SYN, an ACK of unsent data, an ACK older than RFC 5961 5.2's bound): always
  limited, and it arms the limit, whatever the segment carries;
* the duplicate ACK of an out-of-window or PAWS-rejected segment (Linux tcp_oow_rate_limited):
  with `oow_limit_exempts_data`, a segment with data or FIN and no SYN (``seq != end_seq &&
  !syn``: "not likely part of an ACK loop") is answered regardless and leaves the timestamp
  alone; otherwise it is limited as a challenge ACK is.

Linux's per-namespace challenge-ACK budget (net.ipv4.tcp_challenge_ack_limit) is off by default
since 6.0 (INT_MAX); a smaller one draws a random budget each second, which is not modelled
(profile challenge_ack_limit: tests needing more than its certain part declare it). The
TIME-WAIT minisocket and the child of a request socket start with their own timestamp unarmed
(tcp_time_wait, tcp_create_openreq_child).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_stack.trace import ACCEPT, DROP
from reference_stack.wire.tcp import FIN, SYN, TcpRepr

if TYPE_CHECKING:
    from reference_stack.profiles import Profile
    from reference_stack.tcp.tcb import Tcb
    from reference_stack.trace import Trace

RULE_LIMIT = "RFC5961-7-SHOULD-ack-rate-limit"
RULE_DATA_EXEMPT = "LINUX-tcp_oow_rate_limited-data-exempt"
RULE_PAYLOAD_EXEMPT = "GVISOR-maybe_send_out_of_window_ack-payload-exempt"


def _within(tcb: Tcb, now: float, interval: float) -> bool:
    """The last limited answer went out less than `interval` ago (Linux: 0 <= elapsed <
    tcp_invalid_ratelimit, in jiffies)."""
    last = tcb.last_oow_ack
    return last is not None and 0 <= now - last < interval


def limit_ends(profile: Profile, tcb: Tcb) -> float | None:
    """When the limit armed last lets the next answer through (None: not armed, or no limit):
    a deadline like a timer's, which a caller pacing its input by the stack's clock keeps
    clear of."""
    interval = profile.oow_ack_interval
    last = tcb.last_oow_ack
    return None if interval is None or last is None else last + interval


def limited(profile: Profile, trace: Trace, tcb: Tcb, seg: TcpRepr | None, now: float,
            challenge: bool) -> bool:
    """Whether the answer to `seg` is suppressed by the limit (recorded); when it is not and
    the answer counts, the limit is armed at `now`. `challenge`: a challenge ACK (RFC 5961
    3.2, 4.2, 5.2), else the duplicate ACK of an unacceptable segment (RFC 9293 3.10.7.4,
    RFC 7323 5.3)."""
    interval = profile.oow_ack_interval
    if interval is None:
        return False
    if profile.oow_limit_exempts_payload and seg is not None and seg.payload:
        # gVisor snd.go maybeSendOutOfWindowAck: "Data packets are unlikely to be part of an
        # ACK loop": any segment with a payload is answered (a SYN's or a challenge too; a
        # bare FIN is limited), the limit untouched.
        if _within(tcb, now, interval):
            trace.add("tcp", ACCEPT, RULE_PAYLOAD_EXEMPT,
                      "segment with a payload: its ACK is not rate-limited")
        return False
    if (not challenge and profile.oow_limit_exempts_data and seg is not None
            and (seg.payload or seg.flags & FIN) and not seg.flags & SYN):
        # Linux tcp_oow_rate_limited: data or FIN without SYN is answered, the limit untouched.
        if _within(tcb, now, interval):
            trace.add("tcp", ACCEPT, RULE_DATA_EXEMPT,
                      "segment with data or FIN: its ACK is not rate-limited")
        return False
    if _within(tcb, now, interval):
        trace.add("tcp", DROP, RULE_LIMIT,
                  "challenge ACK rate-limited" if challenge else "out-of-window ACK rate-limited")
        return True
    tcb.last_oow_ack = now
    return False
