"""Sequence-number arithmetic modulo 2**32 (RFC 9293 3.4, RFC 1982 serial arithmetic)."""

from __future__ import annotations

MOD = 1 << 32
HALF = 1 << 31


def seq_add(a: int, n: int) -> int:
    return (a + n) & 0xFFFFFFFF


def seq_diff(a: int, b: int) -> int:
    """a - b as a signed distance in (-2**31, 2**31]."""
    d = (a - b) & 0xFFFFFFFF
    return d - MOD if d > HALF else d


# The comparisons are seq_diff's sign, read off d = (a - b) mod 2**32 without the call
# (hot: every segment sent and received): seq_diff < 0 iff d > HALF, > 0 iff 0 < d <= HALF.


def seq_lt(a: int, b: int) -> bool:
    return ((a - b) & 0xFFFFFFFF) > HALF


def before_at_half(a: int, b: int) -> bool:
    """Linux's before(a, b), ``(s32)(a - b) < 0``: seq_lt, and also true where a - b is
    exactly 2**31, which RFC 1982 3.2 leaves undefined (seq_lt says no there)."""
    return ((a - b) & 0xFFFFFFFF) >= HALF


def seq_le(a: int, b: int) -> bool:
    d = (a - b) & 0xFFFFFFFF
    return d == 0 or d > HALF


def seq_gt(a: int, b: int) -> bool:
    return 0 < ((a - b) & 0xFFFFFFFF) <= HALF


def seq_ge(a: int, b: int) -> bool:
    return ((a - b) & 0xFFFFFFFF) <= HALF


def seq_in_window(x: int, start: int, size: int) -> bool:
    """start =< x < start + size (RFC 9293 3.4)."""
    return 0 <= ((x - start) & 0xFFFFFFFF) < size


def segment_acceptable(seg_seq: int, seg_len: int, rcv_nxt: int, rcv_wnd: int) -> bool:
    """The four-case acceptability test of RFC 9293 3.10.7.4 (first check)."""
    if seg_len == 0:
        if rcv_wnd == 0:
            return seg_seq == rcv_nxt
        return seq_in_window(seg_seq, rcv_nxt, rcv_wnd)
    if rcv_wnd == 0:
        return False
    return seq_in_window(seg_seq, rcv_nxt, rcv_wnd) or seq_in_window(
        seq_add(seg_seq, seg_len - 1), rcv_nxt, rcv_wnd)



def segment_acceptable_at_wup(seg_seq: int, seg_len: int, rcv_wup: int, rcv_nxt: int,
                              rcv_wnd: int, rcv_edge: int | None = None) -> bool:
    """Linux's tcp_sequence. Its left edge: besides what RFC 9293 3.10.7.4 accepts, a segment
    that starts at or before RCV.NXT and whose end, SEG.SEQ + SEG.LEN with SYN and FIN counted,
    is not before RCV.WUP (RCV.NXT when the last window was advertised) is acceptable; the RFC
    asks SEG.SEQ+SEG.LEN-1 >= RCV.NXT. Its right edge, when known (`rcv_edge`: RCV.WUP plus
    the window last advertised), replaces the RFC's RCV.NXT + RCV.WND: a segment is acceptable
    if it starts at or below the edge (a zero-length one at the edge too). (Linux 6.18 also
    refuses a segment ending beyond the edge while its receive queue holds data,
    TCP_INVALID_END_SEQUENCE; not modelled: the oracle trims it to the window.)"""
    end = seq_add(seg_seq, seg_len)
    if rcv_edge is not None:
        return not (seq_lt(end, rcv_wup) or seq_gt(seg_seq, rcv_edge))
    if segment_acceptable(seg_seq, seg_len, rcv_nxt, rcv_wnd):
        return True
    return seq_le(seg_seq, rcv_nxt) and not seq_lt(end, rcv_wup)
