"""The TSvals a request socket's SYN,ACKs carried, and Linux's check of a TSecr against them
(tcp_check_req's tsecr_reject, net/ipv4/tcp_minisocks.c), for a profile with
`reqsk_tsecr_check`.

RFC 7323 5.4 leaves the TSval clock free, and RFC 9293 3.10.7.4 judges a segment in
SYN-RECEIVED by its sequence number and its ACK field only. Linux keeps the TSval of the first
SYN,ACK and of the last one it sent (tcp_synack_options: snt_tsval_first, snt_tsval_last) and
finds a segment to the request socket unacceptable when its TSecr is non-zero and not
between() the two (tcp/request_sock.py answers it as an out-of-window segment).

The oracle's own TSvals are another clock than the target's: each SYN,ACK it predicts binds
the target's TSval by name (`binding`), and the judge hands the values back (`adopt`, through
ReferenceStack.adopt), as it does for the target's ISN. A caller that translates the peer's
TSecr into the oracle's clock instead (the fuzzers' sequence-space shift) adopts nothing and
the oracle's own TSvals stand.
"""

from __future__ import annotations

from reference_stack.tcp.tcb import Tcb
from reference_stack.variance import AnyValue

BINDING = "tsval:"
MOD = 1 << 32


def binding(tcb: Tcb) -> str:
    """The name a request socket's SYN,ACK TSval is bound by: its ports and its TSval offset,
    fixed at creation (unlike the ISS, which adoption moves) and drawn afresh for each
    incarnation, so a binding of an earlier request on the same ports names no later one."""
    return f"{BINDING}{tcb.local_port}>{tcb.remote_port}@{tcb.ts_offset:08x}"


def sent(tcb: Tcb, tsval: int) -> AnyValue:
    """A SYN,ACK of the request socket goes out with `tsval` (tcp_synack_options: the first
    one's kept, the last one's replaces the last); returns its TSval's variance, which binds
    the target's. Once the target's values are adopted, the oracle's own clock no longer
    moves them: the target's next SYN,ACK is adopted in turn."""
    if not tcb.synack_tsvals_adopted:
        first = tcb.synack_tsvals[0] if tcb.synack_tsvals is not None else tsval
        tcb.synack_tsvals = (first, tsval)
    return AnyValue(bind=binding(tcb))


def adopt(tcb: Tcb, tsval: int) -> None:
    """The target's SYN,ACK carried `tsval`: the first adopted becomes snt_tsval_first, each
    one snt_tsval_last (the judge repeats its bindings after every match: idempotent)."""
    first = tcb.synack_tsvals[0] if tcb.synack_tsvals_adopted and tcb.synack_tsvals else tsval
    tcb.synack_tsvals = (first, tsval)
    tcb.synack_tsvals_adopted = True


def rejects(tcb: Tcb, tsecr: int) -> bool:
    """tcp_check_req's tsecr_reject: a non-zero TSecr not between(tsecr, first, last), in
    32-bit modular order (include/net/tcp.h between: last - first >= tsecr - first)."""
    sent_tsvals = tcb.synack_tsvals
    if not tsecr or sent_tsvals is None:
        return False
    first, last = sent_tsvals
    return (tsecr - first) % MOD > (last - first) % MOD
