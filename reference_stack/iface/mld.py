"""Multicast Listener Discovery as a listener (RFC 3810 6.2): a Query is answered, after a
random delay up to its Maximum Response Delay, by an MLDv2 Report of the groups we listen to
(the solicited-node group of our address; all-nodes is never reported, RFC 3810 6), sent to
all MLDv2-capable routers (ff02::16) with hop limit 1 and a Router Alert (RFC 3810 5), from
the unspecified address while we have no link-local one (RFC 3810 5.2.13), as Linux does."""

from __future__ import annotations

from reference_stack.iface.ipv6_output import send_ip6, variance
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import EVENT, REPLY, Trace
from reference_stack.wire.icmpv6 import Icmpv6Repr
from reference_stack.wire.ipv6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6, solicited_node
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader
from reference_stack.wire.ipv6_options import Ipv6OptRouterAlert
from reference_stack.wire.mld import MODE_IS_EXCLUDE, MldRecord, MldV2Report

ALL_MLDV2_ROUTERS = bytes.fromhex("ff020000000000000000000000000016")
RULE = "RFC3810-6.2-MUST-respond-to-query"


def query(st: IfaceState, icmp: Icmpv6Repr, now: float, trace: Trace) -> None:
    """Schedule the report (RFC 3810 6.2: a random delay in [0, Maximum Response Delay]; the
    code is milliseconds below 32768, RFC 3810 5.1.3)."""
    code = icmp.rest >> 16
    if code >= 32768:
        code = ((code & 0x0FFF) | 0x1000) << (((code >> 12) & 0x7) + 3)
    delay = st.rng.uniform(0.0, code / 1000)
    due = now + delay
    if st.mld_due is None or due < st.mld_due:
        st.mld_due = due
    trace.add("icmpv6", EVENT, RULE, f"report due in {delay * 1000:.0f} ms")


def poll_at(st: IfaceState) -> float | None:
    return st.mld_due


def poll(st: IfaceState, now: float, trace: Trace, out: Output) -> None:
    if st.mld_due is None or st.mld_due > now:
        return
    st.mld_due = None
    group = solicited_node(st.ip6.ip)
    report = MldV2Report((MldRecord(MODE_IS_EXCLUDE, group),)).to_icmp()
    src = bytes(16)
    hop_by_hop = Ipv6OptionsHeader(IPPROTO_HOPOPTS, IPPROTO_ICMPV6, (Ipv6OptRouterAlert(0),))
    trace.add("icmpv6", REPLY, RULE, "MLDv2 report")
    send_ip6(st, ALL_MLDV2_ROUTERS, IPPROTO_HOPOPTS,
             hop_by_hop.emit() + report.emit(src, ALL_MLDV2_ROUTERS), RULE, variance(st, True),
             trace, out, 1, src)
