"""Keep-alives (RFC 1122 4.2.3.6): only when the application turns them on, a connection
that received nothing for the keep-alive time is probed, every interval; RFC 1122 leaves the
probe's form to the host (SEG.SEQ = SND.NXT - 1, with or without one garbage octet) and says
a single unanswered probe MUST NOT mean a dead connection.

Linux tcp_keepalive_timer: no probe while data is in flight or queued (it reschedules); the
probe is tcp_write_wakeup -> tcp_xmit_probe_skb, <SEQ=SND.UNA-1><CTL=ACK> without data; after
tcp_keepalive_probes unanswered probes the connection is reset (tcp_send_active_reset) and
the user told ETIMEDOUT. The `linux` profile's keepalive_* fields hold the sysctls.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from reference_stack.tcp.seq import seq_add
from reference_stack.tcp.state import State
from reference_stack.tcp.tcb import T_KEEPALIVE, Tcb
from reference_stack.wire.tcp import ACK

if TYPE_CHECKING:
    from reference_stack.tcp.connections import Connections

RULE_PROBE = "RFC1122-4.2.3.6-MAY-keepalive-probe"
RULE_ABORT = "LINUX-tcp_keepalive_timer-reset"
# Linux tcp_keepalive_timer: no probes in CLOSE or SYN-SENT (nor LISTEN)
SILENT = (State.CLOSED, State.SYN_SENT, State.LISTEN, State.TIME_WAIT)


def configure(tcb: Tcb, settings: tuple[int, int, int] | None, now: float) -> None:
    """SO_KEEPALIVE on (the idle time, interval and probe count in seconds) or off (None);
    Linux tcp_set_keepalive / keepalive_time_when: the timer runs from now."""
    tcb.keepalive = settings
    tcb.keepalive_probes_out = 0
    if settings is None:
        tcb.timers.cancel(T_KEEPALIVE)
    else:
        tcb.timers.set(T_KEEPALIVE, now + settings[0])


def fire(layer: Connections, tcb: Tcb, now: float) -> None:
    """The keep-alive timer expired (Linux tcp_keepalive_timer)."""
    if tcb.keepalive is None or tcb.state in SILENT:
        return
    idle, interval, probes = tcb.keepalive
    elapsed = now - tcb.last_rcv
    if tcb.last_rcv >= tcb.keepalive_probe_at:
        tcb.keepalive_probes_out = 0  # answered (Linux tcp_ack: icsk_probes_out = 0)
    if tcb.in_flight() or tcb.unsent():
        tcb.timers.set(T_KEEPALIVE, now + idle)  # the retransmission timer watches it
        return
    if elapsed < idle:
        tcb.timers.set(T_KEEPALIVE, now + idle - elapsed)
        return
    if tcb.keepalive_probes_out >= probes:
        tcb.error = errno.ETIMEDOUT
        layer.abort(tcb, now, RULE_ABORT)  # records the rule
        return
    layer.sender.emit(tcb, ACK, seq_add(tcb.snd_una, -1), now, RULE_PROBE)
    tcb.keepalive_probes_out += 1
    tcb.keepalive_probe_at = now
    tcb.timers.set(T_KEEPALIVE, now + interval)
