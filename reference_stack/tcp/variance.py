"""The latitude the RFCs leave in a TCP segment, narrowed by the profile (DESIGN principle 3)."""

from __future__ import annotations

from reference_stack.profiles import Profile
from reference_stack.tcp.seq import seq_diff
from reference_stack.tcp.tcb import Tcb
from reference_stack.variance import AnyValue, OneOf, Range, Relation, Unordered
from reference_stack.wire.tcp import PSH, RST, SYN, TcpRepr


def isn_var(tcb: Tcb) -> str:
    return tcb.isn_name


def segment_variance(profile: Profile, tcb: Tcb | None, seg: TcpRepr) -> dict:
    strict = not profile.exact_choices
    v: dict = {}
    if tcb is not None:
        # RFC 9293 3.4.1 / RFC 6528: the ISN is the sender's choice; later numbers follow it.
        v["tcp.seq"] = Relation(isn_var(tcb), seq_diff(seg.seq, tcb.iss))
        if tcb.ephemeral:
            v["tcp.src_port"] = AnyValue(bind=f"port:{tcb.remote_port}")  # RFC 6056
        # RFC 7323 5.4: TSval is any clock; RFC 9293 3.8.6: the window is the receiver's.
        v["tcp.opt.tsval"] = AnyValue()
        if not (seg.flags & SYN) or strict:
            v["tcp.window"] = AnyValue()
    elif strict:
        v["tcp.window"] = AnyValue()  # RFC 9293 3.10.7.1 does not fix a RST's window
    if seg.flags & SYN and strict:
        v["tcp.opt.mss"] = Range(1, seg.mss or 0xFFFF)  # RFC 6691: at most MTU - 40
        v["tcp.opt.wscale"] = Range(0, 14)  # RFC 7323 2.3
    if strict:
        v["tcp.options"] = Unordered(tuple(type(o).__name__ for o in seg.options))
    if seg.payload and not seg.flags & RST:
        # RFC 9293 3.9.1.2: PSH on any data segment is the sender's choice (it MUST be on the
        # last one of a push, which the oracle's own segment carries). Even a target profile
        # leaves it free: where Linux sets it depends on its skb boundaries (tcp_sendmsg's
        # size_goal, forced_push at half the peer's largest window, tcp_push), which the
        # oracle does not model.
        v["tcp.flags"] = OneOf((seg.flags & ~PSH, seg.flags | PSH))
    return v
