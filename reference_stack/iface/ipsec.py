"""IPsec at the IP layer (RFC 4301 5): the room between IP and the transports when the stack
has an IpsecConfig (IfaceState.ipsec; None: nothing here runs). Outbound, every datagram's
SPD-O decision (ipv4_output.send_ip, ipv6_output.send_ip6) and a socket's route-time check
(socket_api); inbound, ESP to its SA (ipv4._deliver, ipv6._headers) and the SPD-I check of
every packet delivered (RFC 4301 5.2), with the SAs that decrypted it (IfaceState.secpath)."""

from __future__ import annotations

from collections.abc import Callable

from reference_stack.iface.state import IfaceState
from reference_stack.ipsec.processing import Verdict
from reference_stack.ipsec.spd import Flow
from reference_stack.trace import ACCEPT, DROP, EVENT, REPLY, Trace
from reference_stack.variance import AnyValue
from reference_stack.wire.ipv4 import Ipv4Repr

IPPROTO_IPIP, IPPROTO_IPV6 = 4, 41  # tunnel mode's Next Header (RFC 4303 2.6)
IPPROTO_ESP = 50
# An ESP packet's protected part is the sender's (its IV, RFC 4303 2.3; so its ciphertext and
# ICV), and with it the IP payload it fills.
ESP_VARIANCE = {"ipv4.payload": AnyValue(), "ipv6.payload": AnyValue(),
                "ipv6.ext": AnyValue()}


def _record(verdict: Verdict, trace: Trace, taken: str = ACCEPT) -> bool:
    for rule, detail in verdict.notes:
        trace.add("ipsec", ACCEPT, rule, detail)
    trace.add("ipsec", taken if verdict.ok else DROP, verdict.rule, verdict.detail)
    return verdict.ok


def route_errno(st: IfaceState, src: bytes, dst: bytes, proto: int, sport: int, dport: int,
                trace: Trace) -> int:
    """What a socket's send sees of the SPD-O (0: go on); Linux looks the policy up with the
    route, so a DISCARD entry fails the call (profile ipsec_block_eperm)."""
    verdict = st.ipsec.route(Flow(src, dst, proto, sport, dport))
    if verdict.errno:
        _record(verdict, trace)
    return verdict.errno


def output(st: IfaceState, src: bytes, dst: bytes, protocol: int, payload: bytes,
           inner: Callable[[], bytes], trace: Trace) -> tuple[bytes, int, bytes] | None:
    """RFC 4301 5.1 for a datagram about to be sent: (destination, protocol, payload) to
    send, cleartext or ESP (RFC 4303 3.3: transport mode protects `payload`; tunnel mode
    `inner()`, the whole datagram, to the tunnel's far end), or None: dropped."""
    ipsec = st.ipsec
    verdict = ipsec.outbound(Flow.of(src, dst, protocol, payload), payload, protocol,
                             lambda: (inner(), IPPROTO_IPV6 if len(dst) == 16 else IPPROTO_IPIP))
    ipsec.send_errno = verdict.errno
    if not _record(verdict, trace, REPLY if verdict.sa is not None else ACCEPT):
        return None
    if verdict.sa is None:
        return dst, protocol, payload
    _soft(verdict, trace)
    if verdict.tunnel is not None:
        return verdict.tunnel[1], verdict.proto, verdict.data
    return dst, verdict.proto, verdict.data


def _soft(verdict: Verdict, trace: Trace) -> None:
    """RFC 4301 4.4.2.1: the soft lifetime reached: the key manager is told (no traffic)."""
    s = verdict.sa
    if s is not None and s.soft_expired and not s.soft_told:
        s.soft_told = True
        trace.add("ipsec", EVENT, "RFC4301-4.4.2.1-MUST-soft-lifetime",
                  f"SPI {s.sa.spi:#x}: soft lifetime reached")


def decapsulate(st: IfaceState, dst: bytes, packet: bytes, trace: Trace) -> Verdict | None:
    """RFC 4303 3.4 for an ESP packet to us: the verdict when it is to be delivered (its
    `data` of protocol `proto`, the inner datagram in tunnel mode), None when dropped."""
    verdict = st.ipsec.inbound(dst, packet)
    if not _record(verdict, trace):
        return None
    _soft(verdict, trace)
    return verdict


def allowed(st: IfaceState, src: bytes, dst: bytes, protocol: int, transport: bytes,
            trace: Trace) -> bool:
    """RFC 4301 5.2: the SPD-I check of a packet about to be delivered to its protocol, with
    the SAs that decrypted it (st.secpath)."""
    return _record(st.ipsec.inbound_policy(Flow.of(src, dst, protocol, transport),
                                           st.secpath), trace)


def deliver_decrypted(st: IfaceState, verdict: Verdict, deliver: Callable[[], None]) -> None:
    """Run `deliver` (the decrypted packet's way up) with its SA on the secpath."""
    before = st.secpath
    st.secpath = before + (verdict.sa,)
    try:
        deliver()
    finally:
        st.secpath = before


def inner_ipv4(ip: Ipv4Repr, verdict: Verdict) -> Ipv4Repr:
    """Transport mode: the datagram as if it had carried the decrypted transport itself
    (RFC 4303 3.1.1: ESP sits after the original IP header, which stays as it was but for
    its protocol and length: flags and options too, as an ICMP error quoting it shows;
    Linux xfrm4_transport_finish rewrites only protocol, tot_len and the checksum)."""
    return Ipv4Repr(ip.src, ip.dst, verdict.proto, verdict.data, ttl=ip.ttl, tos=ip.tos,
                    ident=ip.ident, flag_reserved=ip.flag_reserved, df=ip.df,
                    options=ip.options)
