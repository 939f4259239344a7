"""Link output: Ethernet framing (RFC 894) and resolution of the next hop (RFC 826, RFC 1122
2.3.2): datagrams to an unresolved hop wait while ARP requests go out, once a second, up to
three times."""

from __future__ import annotations

from reference_stack.iface.arp import BROADCAST_MAC
from reference_stack.iface.state import Held, IfaceState, Output
from reference_stack.trace import DROP, REPLY, Trace
from reference_stack.variance import Prediction
from reference_stack.wire.ethernet import ETH_P_ARP

PENDING_LIMIT = 3  # RFC 1122 2.3.2.2: SHOULD keep at least one packet awaiting ARP
ARP_RETRY_INTERVAL = 1.0  # RFC 1122 2.3.2.1: at most one request a second per destination
ARP_TRIES = 3  # Linux mcast_solicit


def emit_eth(st: IfaceState, dst_mac: bytes, ethertype: int, payload: bytes, rule: str,
             variance: dict, out: Output) -> None:
    """RFC 894: destination, source, type, then the payload."""
    frame = dst_mac + st.mac + ethertype.to_bytes(2, "big") + payload
    out.append((frame, Prediction(frame, rule, variance)))


RULE_OVERSIZE = "LINUX-is_skb_forwardable-oversize-drop"


def fits_link(st: IfaceState, packet_len: int, trace: Trace | None) -> bool:
    """Whether an IP packet of ``packet_len`` octets fits the link's MTU. One that does not
    (a route's mtu above the link's: route_metrics.path_mtu) is lost at the device (Linux
    veth_xmit -> __dev_forward_skb: is_skb_forwardable drops a frame over the peer's MTU;
    measured on 6.18: route mtu 1400 on a 1000-octet link, the 1348-octet segment and its
    retransmissions never reach the wire)."""
    if packet_len <= st.profile.mtu:
        return True
    if trace is not None:
        trace.add("link", DROP, RULE_OVERSIZE,
                  f"{packet_len} octets over the link MTU {st.profile.mtu}")
    return False


def hold(st: IfaceState, hop: bytes, held: Held, now: float, trace: Trace,
         out: Output) -> None:
    """Keep a datagram until `hop` is resolved; the first one held asks for it."""
    queue = st.pending.setdefault(hop, [])
    if not queue:
        _arp_request(st, hop, 1, now, trace, out)
    if len(queue) < PENDING_LIMIT:
        queue.append(held)


def resolved(st: IfaceState, hop: bytes) -> list[Held]:
    """The datagrams that waited for `hop`, now that the cache knows it."""
    waiting = st.pending.pop(hop, None) if st.arp.lookup(hop) else None
    if waiting is None:
        return []
    st.arp_retry.pop(hop, None)
    return waiting


def _arp_request(st: IfaceState, hop: bytes, tries: int, now: float, trace: Trace,
                 out: Output) -> None:
    trace.add("arp", REPLY, "RFC826-MUST-request", f"resolve next hop, try {tries}")
    emit_eth(st, BROADCAST_MAC, ETH_P_ARP, st.arp.request_for(hop).emit(),
             "RFC826-MUST-request", {}, out)
    st.arp_retry[hop] = (now + ARP_RETRY_INTERVAL, tries)


def poll_at(st: IfaceState) -> float | None:
    return min((d for d, _ in st.arp_retry.values()), default=None)


def poll(st: IfaceState, now: float, trace: Trace, out: Output) -> None:
    """Ask again for each hop whose request went unanswered, or give up on it."""
    for hop, (deadline, tries) in list(st.arp_retry.items()):
        if deadline > now:
            continue
        if tries < ARP_TRIES:
            _arp_request(st, hop, tries + 1, now, trace, out)
        else:
            # RFC 1122 2.3.2.1: give up; the held datagrams are dropped.
            del st.arp_retry[hop]
            dropped = st.pending.pop(hop, [])
            trace.add("arp", DROP, "RFC1122-2.3.2.1-MUST-rate-limit-arp",
                      f"unresolved after {tries} requests, {len(dropped)} dropped")
