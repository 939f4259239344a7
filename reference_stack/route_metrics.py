"""The attributes of a host's route to a peer that change what TCP sends (issue 18): a Linux
route's metrics (``ip route ... mtu 1400 advmss 1000 initcwnd 4 initrwnd 4 rto_min 50ms
quickack 1``, RTAX_*), one set per address family, since a route belongs to one family.

RFC 9293 3.7.1 (RFC 6691) derives the MSS a host announces from the MTU of the interface;
RFC 1191 3 / RFC 8201 4 bound what it sends by the path MTU; RFC 5681 3.1 (RFC 6928), RFC
9293 3.8.6.2.2, RFC 6298 2.4 and RFC 1122 4.2.3.2 leave the initial windows, the RTO's floor
and the delayed ACK to the host. A route's attribute is how a Linux host makes those choices
per destination; ``None`` (``False``) is "not set": the host's own value. Pure data, stdlib
only: the reference stack reads it, conformance/judge/sysctls.py fills it from the DUT's
routing table.
"""

from __future__ import annotations

from dataclasses import dataclass

IPV4_HEADERS = 40  # fixed IPv4 and TCP headers (RFC 9293 3.7.1)
IPV6_HEADERS = 60  # fixed IPv6 and TCP headers (RFC 8200 3)
MIN_ADVMSS = 256  # ip_rt_min_advmss: ipv4_default_advmss never announces less


@dataclass(frozen=True, slots=True)
class RouteMetrics:
    mtu: int | None = None  # RTAX_MTU
    advmss: int | None = None  # RTAX_ADVMSS
    initcwnd: int | None = None  # RTAX_INITCWND, segments
    initrwnd: int | None = None  # RTAX_INITRWND, segments
    rto_min: float | None = None  # RTAX_RTO_MIN, seconds
    quickack: bool = False  # RTAX_QUICKACK


NO_ROUTE_METRICS = RouteMetrics()


def headers(ipv6: bool) -> int:
    return IPV6_HEADERS if ipv6 else IPV4_HEADERS


def announced_mss(route: RouteMetrics, link_mtu: int, ipv6: bool) -> int:
    """The MSS option of our SYN or SYN,ACK (RFC 9293 3.7.1: MTU less the fixed headers).
    Linux tcp_advertise_mss / tcp_openreq_init_rwin take dst_metric_advmss: the route's
    advmss, else ipv4_default_advmss / ip6_default_advmss from dst_mtu, the path MTU below
    (over IPv4 the route's mtu even above the link's, measured on 6.18: route mtu 1400 over a
    1300-octet link announces 1360)."""
    if route.advmss:
        return route.advmss
    return max(path_mtu(route, link_mtu, ipv6) - headers(ipv6), MIN_ADVMSS)


def path_mtu(route: RouteMetrics, link_mtu: int, ipv6: bool) -> int:
    """The largest datagram sent to the peer unfragmented (RFC 1191 3, RFC 8201 4: the host's
    path MTU): the route's mtu when it has one, else the link's.

    An IPv4 route keeps its mtu even above the link's (dst_mtu: ipv4_mtu returns RTAX_MTU; a
    device's MTU change updates only the route's exceptions, fib_nhc_update_mtu;
    tcp_sync_mss): measured on 6.18, route mtu 1400 over a 1000-octet link sends a 1348-octet
    segment (with timestamps), which the link never carries (link.fits_link), then the rest.
    An IPv6 route's mtu follows its link's lowered to or below it (addrconf_notify
    NETDEV_CHANGEMTU -> rt6_mtu_change -> fib6_nh_mtu_change: "if (mtu >= arg->mtu)
    fib6_metric_set(f6i, RTAX_MTU, arg->mtu)", which ip6_mtu then returns): a test's link MTU
    is set after the run's route, so route mtu 1400 over a link lowered to 1280 announces
    1220. (A link raised keeps the route's mtu unless it equalled the link's old one, which
    this model leaves out: no route here starts at the link's MTU.)"""
    if not route.mtu:
        return link_mtu
    return min(route.mtu, link_mtu) if ipv6 else route.mtu


def send_mss_limit(route: RouteMetrics, link_mtu: int, ipv6: bool) -> int:
    """What bounds the segments we send, before the peer's MSS and the options (tcp_sync_mss:
    tcp_mtu_to_mss(pmtu)); a route's advmss does not (measured: advmss 1000 still sends 1448;
    route mtu 1400 sends 1348 with timestamps over a 1500-octet link and a 1000-octet one)."""
    return path_mtu(route, link_mtu, ipv6) - headers(ipv6)


def route_mss(route: RouteMetrics, link_mtu: int, ipv6: bool) -> tuple[int, int]:
    """(the MSS we announce, the bound on what we send): announced_mss, send_mss_limit."""
    return announced_mss(route, link_mtu, ipv6), send_mss_limit(route, link_mtu, ipv6)


def describe(route: RouteMetrics) -> str:
    """The attributes set, as `ip route` writes them ("" for none)."""
    parts = [f"{name} {value}" for name, value in (
        ("mtu", route.mtu), ("advmss", route.advmss), ("initcwnd", route.initcwnd),
        ("initrwnd", route.initrwnd), ("rto_min", route.rto_min)) if value]
    return " ".join(parts + (["quickack 1"] if route.quickack else []))
