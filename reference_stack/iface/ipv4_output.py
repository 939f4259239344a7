"""IPv4 output: the header (RFC 791 3.1), the next hop on the local network (RFC 1122 3.3.1;
a host without a gateway reaches only its own subnet) and fragmentation (RFC 791 3.2)."""

from __future__ import annotations

from collections.abc import Callable

from reference_stack.iface import ipsec, link
from reference_stack.iface.arp import BROADCAST_MAC
from reference_stack.iface.state import IfaceState, Output
from reference_stack.trace import DROP, REPLY, Trace
from reference_stack.variance import lazy_prediction
from reference_stack.wire.ethernet import ETH_P_IP
from reference_stack.wire.ipv4 import Ipv4Repr, Ipv4Template

ETHERTYPE_IP = ETH_P_IP.to_bytes(2, "big")
LIMITED_BROADCAST = b"\xff\xff\xff\xff"
MULTICAST_TTL = 1  # RFC 1112 6.1: a multicast datagram's TTL defaults to 1 (Linux mc_ttl)
MULTICAST_MAC_PREFIX = b"\x01\x00\x5e"
IP_TEMPLATES = 64  # headers of recent unicast destinations kept precomputed


def with_ip_variance(ip_variance: dict, variance: dict | tuple[Callable, tuple]) -> dict:
    """A datagram's variance: the IP layer's, then its transport's (send_ip)."""
    if type(variance) is tuple:
        make, args = variance
        variance = make(*args)
    return {**ip_variance, **variance}


def send_ip(st: IfaceState, dst: bytes, protocol: int, payload: bytes, rule: str,
            variance: dict | tuple[Callable, tuple], now: float, trace: Trace, out: Output,
            tos: int = 0, df: bool = True, options: tuple = ()) -> None:
    """`variance`: the transport's, or (function, args) that builds it (tcp/output.py); the
    common datagram's prediction merges it with the IP layer's only when read."""
    if st.ipsec is not None:  # RFC 4301 5.1 (iface/ipsec.py)
        sent = ipsec.output(st, st.ip, dst, protocol, payload, lambda: Ipv4Repr(
            st.ip, dst, protocol, payload, ttl=st.profile.ttl, tos=tos, df=df,
            options=options).emit(), trace)
        if sent is None:
            return
        if sent[1] == ipsec.IPPROTO_ESP:
            dst, protocol, payload = sent
            variance = with_ip_variance(ipsec.ESP_VARIANCE, variance)
    ttl = st.profile.ttl
    ident = st.rng.getrandbits(16)
    key = (dst, protocol, ttl, tos, df)
    template = st.ip_templates.get(key)
    if template is not None and not options:
        # A destination met before and found unicast on our link (below, where the template
        # was made): the checks below decide the same; only its neighbour entry and the MTU
        # are looked at again.
        entry = st.arp.entries.get(dst)  # (ArpCache.lookup, inline: every datagram)
        if entry is not None and len(payload) + 20 <= st.fit4:
            # (_emit_common, inline: every datagram of a known destination)
            frame = template.frame(entry.mac, st.mac, payload, ident)
            out.append((frame, lazy_prediction(frame, rule, with_ip_variance,
                                               (st.ip_variance, variance))))
            return
    addr = st.addr
    if dst == st.ip:
        # To this host: looped back inside it, nothing on the link (Linux routes our own
        # address through the local table to the loopback device).
        trace.add("ipv4", DROP, "LINUX-ip_route_output_key-local", "to this host")
        return
    group = addr.is_multicast(dst) or dst == LIMITED_BROADCAST
    if not (group or addr.on_link(dst)):
        trace.add("ipv4", DROP, "RFC1122-3.3.1.1-MUST-no-route", "no route to host")
        return
    if addr.is_multicast(dst):
        ttl = MULTICAST_TTL
    mac = st.arp.lookup(dst)
    if mac is not None and not options and len(payload) + 20 <= st.fit4 \
            and not addr.is_broadcast(dst):
        # The common datagram (resolved next hop, no options, no fragmentation). Its header
        # is kept precomputed for a unicast destination (the shortcut above).
        template = Ipv4Template(st.ip, dst, protocol, ttl, tos, df)
        if not group:
            if len(st.ip_templates) >= IP_TEMPLATES:
                st.ip_templates.clear()
            st.ip_templates[key] = template
        _emit_common(st, template, mac, payload, ident, rule, variance, out)
        return
    if type(variance) is tuple:
        make, args = variance
        variance = make(*args)
    ip = Ipv4Repr(st.ip, dst, protocol, payload, ttl=ttl, tos=tos, ident=ident, df=df,
                  options=options)
    if group or addr.is_broadcast(dst):
        # Sent on our link to the group or broadcast address (Linux's __ip_route_output_key
        # routes a multicast or limited broadcast destination out of the device that holds
        # the source address).
        emit_ip(st, ip, None, rule, variance, trace, out)
    elif mac is None:
        link.hold(st, dst, (ip, rule, variance), now, trace, out)
    else:
        emit_ip(st, ip, dst, rule, variance, trace, out)


def _emit_common(st: IfaceState, template: Ipv4Template, mac: bytes, payload: bytes,
                 ident: int, rule: str, variance: dict | tuple[Callable, tuple],
                 out: Output) -> None:
    """The bytes emit_ip would write for a datagram without options that needs no
    fragmenting, to a resolved next hop, in one join (RFC 894 framing, RFC 791 3.1 header)."""
    frame = template.frame(mac, st.mac, payload, ident)
    out.append((frame, lazy_prediction(frame, rule, with_ip_variance,
                                       (st.ip_variance, variance))))


def emit_ip(st: IfaceState, ip: Ipv4Repr, hop: bytes | None, rule: str, variance: dict,
            trace: Trace, out: Output) -> None:
    """Frame `ip` to `hop` (resolved; None: the broadcast or group address of `ip`), in
    fragments when it exceeds the MTU."""
    if hop is not None:
        mac = st.arp.lookup(hop)
    elif st.addr.is_multicast(ip.dst):
        # RFC 1112 6.4: 01-00-5E and the group's low-order 23 bits.
        mac = MULTICAST_MAC_PREFIX + bytes((ip.dst[1] & 0x7F, ip.dst[2], ip.dst[3]))
    else:
        mac = BROADCAST_MAC
    merged = {**st.ip_variance, **variance}
    mtu = st.mtu4
    if len(ip.payload) + 20 <= mtu:
        if link.fits_link(st, len(ip.payload) + 20, trace):
            link.emit_eth(st, mac, ETH_P_IP, ip.emit(), rule, merged, out)
        return
    # RFC 791 3.2: fragment; each fragment's data but the last is a multiple of 8.
    chunk = (mtu - 20) & ~7
    data = ip.payload
    for off in range(0, len(data), chunk):
        part = data[off:off + chunk]
        more = off + chunk < len(data)
        frag = Ipv4Repr(ip.src, ip.dst, ip.protocol, part, ttl=ip.ttl, tos=ip.tos,
                        ident=ip.ident, df=False, mf=more, frag_offset=off // 8)
        trace.add("ipv4", REPLY, "RFC791-3.2-MUST-fragment", f"offset {off}")
        link.emit_eth(st, mac, ETH_P_IP, frag.emit(), rule, merged, out)
