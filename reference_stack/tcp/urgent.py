"""Urgent data received (RFC 9293 3.8.5 and 3.10.7.4 sixth check, RFC 6093).

The RFCs keep urgent data in line: RCV.UP marks where it ends and the user is told. A profile
may model the BSD "out-of-band byte" that Linux implements (tcp_check_urg, tcp_urg,
tcp_recvmsg): the last urgent octet, at RCV.UP - 1, is taken out of the stream unless the
socket has SO_OOBINLINE, and a read stops at it (RFC 6093 3 describes this interpretation; its
section 5 advises applications to use SO_OOBINLINE)."""

from __future__ import annotations

import errno

from reference_stack.profiles import Profile
from reference_stack.tcp.seq import seq_add, seq_diff, seq_gt, seq_lt
from reference_stack.tcp.state import State
from reference_stack.tcp.tcb import Tcb

PEER_CLOSED = (State.CLOSE_WAIT, State.LAST_ACK, State.CLOSING, State.TIME_WAIT, State.CLOSED)


def pointer_received(profile: Profile, tcb: Tcb, seq: int, pointer: int) -> None:
    """A segment at `seq` with SEG.UP = `pointer`: note the out-of-band byte, if the profile
    has one: the octet before the pointer, or the segment's first octet when the pointer is
    0 (Linux tcp_check_urg: ``if (ptr && !sysctl_tcp_stdurg) ptr--``), unless it is already
    received ("do not replay urg ptr": before RCV.NXT) or an earlier one is newer."""
    if not profile.urgent_oob_byte:
        return
    oob = seq_add(seq, pointer - 1 if pointer else 0)
    if seq_lt(oob, tcb.rcv_nxt):
        return
    if tcb.oob_seq is None or seq_gt(oob, tcb.oob_seq):
        tcb.oob_seq = oob
        tcb.oob_read = False


def before_read(tcb: Tcb, n: int, oobinline: bool) -> int:
    """How many octets a read of `n` may return: it skips the out-of-band byte when that is
    next (Linux urg_hole) and otherwise stops just before it; with SO_OOBINLINE the byte is
    read in line, a read still stopping before it."""
    if tcb.oob_seq is None:
        return n
    ready = tcb.recv.ready
    # The stream ends at RCV.NXT, or at the peer's FIN once that is taken (its octet counts
    # in RCV.NXT, not in the data: stateful finding 00f9f9ecb326, text with URG and FIN).
    fin = tcb.peer_fin_seq
    end = fin if fin is not None and seq_gt(tcb.rcv_nxt, fin) else tcb.rcv_nxt
    off = seq_diff(tcb.oob_seq, seq_add(end, -len(ready)))
    if oobinline:  # in the stream, but a read still stops at the mark (tcp_recvmsg: "if
        return off if 0 < off < n else n  # (copied) break" at urg_seq)
    if off < 0:
        tcb.oob_seq = None  # already read past
    elif off == 0 and ready:
        del ready[0]  # not part of the stream
        tcb.oob_seq = None
    elif off < n:
        return off
    return n


def _offset(tcb: Tcb) -> int:
    """Where the out-of-band byte lies in the ready data (negative: already read past)."""
    return seq_diff(tcb.oob_seq, seq_add(tcb.rcv_nxt, -len(tcb.recv.ready)))


def read_oob(tcb: Tcb, oobinline: bool, peek: bool) -> tuple[bytes | None, int]:
    """recv(MSG_OOB), as Linux tcp_recv_urg answers it (RFC 6093 3 describes the BSD
    interpretation): EINVAL with SO_OOBINLINE, with no urgent byte or one already taken; the
    byte, once arrived (taken unless MSG_PEEK); 0 (end of file) once the peer closed; else
    EAGAIN (never waits)."""
    if oobinline or tcb.oob_seq is None or tcb.oob_read:
        return None, errno.EINVAL
    off = _offset(tcb)
    ready = tcb.recv.ready
    if 0 <= off < len(ready):
        if not peek:
            tcb.oob_read = True
        return bytes(ready[off:off + 1]), 0
    if off < 0:
        return None, errno.EINVAL
    if tcb.state in PEER_CLOSED:
        return b"", 0
    return None, errno.EAGAIN


def peek_span(tcb: Tcb, n: int, oobinline: bool) -> tuple[int, int]:
    """The ready octets a recv(MSG_PEEK) of `n` returns, as ``ready[start:end]``: as a read
    would, without taking anything (Linux tcp_recvmsg on peek_seq)."""
    if tcb.oob_seq is None:
        return 0, n
    off = _offset(tcb)
    if oobinline:
        return 0, off if 0 < off < n else n
    if off == 0:
        return 1, n + 1  # the byte is not part of the stream
    if 0 < off < n:
        return 0, off
    return 0, n
