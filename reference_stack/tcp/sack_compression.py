"""Linux's SACK compression (__tcp_ack_snd_check, net.ipv4.tcp_comp_sack_nr = 44): while
out-of-order data waits, the first TCP_FASTRETRANS_THRESH (3) ACKs at one RCV.NXT go at once,
as RFC 5681 4.2 (and RFC 2018 4) ask; later ones are held by a timer (tcp_comp_sack_delay_ns,
1 ms at most, or 5 % of the RTT) and merged, so such an ACK may come late or not alone.

For a profile with `sack_compression`, `ack_may_wait` says whether the ACK now due for
out-of-order data is one of those later ones (the caller gives its prediction delay latitude).
"""

from __future__ import annotations

from reference_stack.tcp.tcb import Tcb

IMMEDIATE = 3  # TCP_FASTRETRANS_THRESH: duplicate ACKs always sent at once


def ack_may_wait(tcb: Tcb) -> bool:
    """Count an ACK for out-of-order data at the current RCV.NXT; True from the fourth on."""
    if tcb.ooo_acks_at != tcb.rcv_nxt:
        tcb.ooo_acks_at = tcb.rcv_nxt
        tcb.ooo_acks = 0
    if tcb.ooo_acks < IMMEDIATE:
        tcb.ooo_acks += 1
        return False
    return True
