"""Urgent data received (RFC 9293 3.8.5 and 3.10.7.4 sixth check, RFC 6093).

The RFCs keep urgent data in line: RCV.UP marks where it ends and the user is told. A profile
may model the BSD "out-of-band byte" that Linux implements (tcp_check_urg, tcp_urg,
tcp_recvmsg): the last urgent octet, at RCV.UP - 1, is taken out of the stream unless the
socket has SO_OOBINLINE, and a read stops at it (RFC 6093 3 describes this interpretation; its
section 5 advises applications to use SO_OOBINLINE)."""

from __future__ import annotations

from reference_stack.profiles import Profile
from reference_stack.tcp.seq import seq_add, seq_diff, seq_gt
from reference_stack.tcp.tcb import Tcb


def pointer_received(profile: Profile, tcb: Tcb, up: int) -> None:
    """RCV.UP advanced to `up`: note the out-of-band byte before it, if the profile has one."""
    if profile.urgent_oob_byte and (tcb.oob_seq is None or seq_gt(seq_add(up, -1),
                                                                  tcb.oob_seq)):
        tcb.oob_seq = seq_add(up, -1)


def before_read(tcb: Tcb, n: int, oobinline: bool) -> int:
    """How many octets a read of `n` may return: it skips the out-of-band byte when that is
    next (Linux urg_hole) and otherwise stops just before it."""
    if tcb.oob_seq is None or oobinline:
        return n
    ready = tcb.recv.ready
    off = seq_diff(tcb.oob_seq, seq_add(tcb.rcv_nxt, -len(ready)))
    if off < 0:
        tcb.oob_seq = None  # already read past
    elif off == 0 and ready:
        del ready[0]  # not part of the stream
        tcb.oob_seq = None
    elif off < n:
        return off
    return n
