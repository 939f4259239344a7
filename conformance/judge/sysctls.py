"""Kernel sysctls the oracle follows, and the reference-profile parameters each one means, so
the reference stack (as a target, or as the oracle judging a DUT) behaves as the sysctls in
force in that DUT make a kernel behave (a test that shortens a timer, a run's
``--dut-sysctl``, a host whose tcp_rmem gives another window scale).

Three kinds of sysctl, each mapping naming the (Linux 6.18) kernel code that reads it:

- ``MODELLED``: the profile follows the value (one or more fields).
- ``UNMODELLED``: the value changes what a kernel puts on the wire, the oracle does not model
  that; a DUT whose value is not the kernel's default gets a "not modelled" note in the
  oracle's record (results.json ``environment.oracle.not_modelled``), so a verdict about that
  behaviour is never silently wrong.
- ``NO_EFFECT``: known, and without effect on what the oracle predicts here (a fresh DUT
  namespace per test, one address on the DUT's link); recorded the same way when changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from reference_stack.profiles import Profile, linux_window_scale
from reference_stack.route_metrics import RouteMetrics

Change = Callable[[str], dict[str, object]]


def _field(name: str, kind: Callable[[str], object]) -> Change:
    return lambda value: {name: kind(value)}


def _on(value: str) -> bool:
    return int(value) != 0


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split()]


def _rmem(value: str) -> dict[str, object]:
    """tcp_rmem is "min default max". tcp_init_sock: sk_rcvbuf = tcp_rmem[1]; the SYN's window
    is tcp_full_space = tcp_win_from_space(sk_rcvbuf), half of it at the default scaling ratio
    (TCP_DEFAULT_SCALING_RATIO). The shift: window_scale_of."""
    default = _ints(value)[1]
    return {"recv_buffer": default, "initial_window_space": default // 2}


# tcp_select_initial_window offers the shift that covers max(tcp_rmem[2], net.core.rmem_max)
# (RFC 7323 2.3 leaves the shift to the receiver): two sysctls, one field.
WINDOW_SCALE_INPUTS = ("net.ipv4.tcp_rmem", "net.core.rmem_max")


def window_scale_of(sysctls: Mapping[str, str]) -> dict[str, object]:
    """The window_scale field the DUT's tcp_rmem and rmem_max give ({} without them)."""
    try:
        high = _ints(sysctls["net.ipv4.tcp_rmem"])[2] if WINDOW_SCALE_INPUTS[0] in sysctls else 0
        rmem_max = int(sysctls.get(WINDOW_SCALE_INPUTS[1], "0"))
    except (ValueError, IndexError):
        return {}
    if not high and not rmem_max:
        return {}
    return {"window_scale": linux_window_scale(high, rmem_max)}


def _wmem(value: str) -> dict[str, object]:
    """tcp_wmem is "min default max"; tcp_init_sock: sk_sndbuf = tcp_wmem[1]; tcp_sndbuf_expand
    grows a buffer the user did not set up to tcp_wmem[2]."""
    wmem = _ints(value)
    return {"send_buffer": wmem[1], "send_buffer_max": wmem[2]}


def _ratelimit(value: str) -> dict[str, object]:
    """tcp_invalid_ratelimit is in milliseconds; 0 turns the limit off (__tcp_oow_rate_limited
    compares the elapsed jiffies against it)."""
    ms = int(value)
    return {"oow_ack_interval": ms / 1000 if ms > 0 else None}


def _ecn(value: str) -> dict[str, object]:
    """tcp_ecn: tcp_ecn_create_request answers an ECN-setup SYN (RFC 3168 6.1.1) for any value
    but 0 (1 and 2; 3+ are AccECN's, which changes the SYN-ACK: UNMODELLED_VALUES);
    tcp_ecn_send_syn sends one on active opens with 1."""
    mode = int(value)
    return {"ecn_accept": mode != 0, "ecn_request": mode == 1}


def _early_retrans(value: str) -> dict[str, object]:
    """tcp_early_retrans: tcp_schedule_loss_probe returns early unless it is 3 or 4 (RFC 8985 7
    tail loss probes; 0-2 turn TLP off)."""
    return {"tail_loss_probe": int(value) in (3, 4)}


def _congestion_control(value: str) -> dict[str, object]:
    """tcp_congestion_control (a new socket's ca_ops, tcp_assign_congestion_control): CUBIC
    sets ssthresh to cwnd * 717/1024 on loss (bictcp_recalc_ssthresh), Reno to cwnd / 2
    (tcp_reno_ssthresh); both leave cwnd in recovery to PRR (tcp_cwnd_reduction). Another
    algorithm keeps CUBIC's numbers and is named under not_modelled (UNMODELLED_VALUES).
    tcp_sndbuf_expand multiplies the send buffer by ca_ops->sndbuf_expand: BBR's 3
    (bbr_sndbuf_expand), 2 for the others."""
    return {"recovery_beta": 512 if value.strip() == "reno" else 717,
            "sndbuf_expand": 3 if value.strip() == "bbr" else 2}


def _orphan_retries(value: str) -> dict[str, object]:
    """tcp_orphan_retries (tcp_orphan_retries(): 0 means 8 while the peer is alive, i.e. its
    last RTO was not backed off to the maximum) bounds an orphan's retransmissions
    (tcp_write_timeout, RFC 9293 3.8.3 R2)."""
    n = int(value)
    return {"orphan_retries": n if n else 8}


MODELLED: dict[str, Change] = {
    "net.ipv4.ipfrag_time": _field("reassembly_timeout", float),  # ip_expire (qp->q.timer)
    # ip6_frag_expire (fq->q.timer, net.ipv6.ip6frag_time): RFC 8200 4.5
    "net.ipv6.ip6frag_time": _field("ipv6_reassembly_timeout", float),
    "net.ipv4.ip_default_ttl": _field("ttl", int),  # ip_select_ttl
    # tcp_syn_options / tcp_synack_options, tcp_parse_options (!estab: the sysctl decides)
    "net.ipv4.tcp_timestamps": _field("timestamps", _on),
    "net.ipv4.tcp_sack": _field("sack", _on),
    "net.ipv4.tcp_window_scaling": _field("window_scaling", _on),
    # tcp_dsack_set, tcp_dsack_extend: no D-SACK block when 0 (RFC 2883)
    "net.ipv4.tcp_dsack": _field("dsack", _on),
    "net.ipv4.tcp_ecn": _ecn,
    # tcp_ecn_clear_syn: a retransmitted ECN-setup SYN drops ECE and CWR
    "net.ipv4.tcp_ecn_fallback": _field("ecn_fallback", _on),
    "net.ipv4.tcp_early_retrans": _early_retrans,
    "net.ipv4.tcp_syn_linear_timeouts": _field("syn_linear_timeouts", int),
    # tcp_init_sock: tp->reordering = tcp_reordering; tcp_time_to_recover and RACK's
    # tcp_rack_reo_wnd count duplicate (SACKed) segments against it (RFC 5681 3.2 DupThresh)
    "net.ipv4.tcp_reordering": _field("dupthresh", int),
    # tcp_rack_detect_loss runs when bit 0 (TCP_RACK_LOSS_DETECTION) is set (tcp_is_rack);
    # without it SACKed segments count against DupThresh (RFC 6675 IsLost, tcp/recovery.py)
    "net.ipv4.tcp_recovery": lambda v: {"rack_loss_detection": bool(int(v) & 1)},
    # the congestion control of new sockets: ssthresh on loss (tcp/recovery.py)
    "net.ipv4.tcp_congestion_control": _congestion_control,
    # arp_process: IN_DEV_ARP_ACCEPT (the maximum of conf.all and the device's)
    "net.ipv4.conf.all.arp_accept": _field("arp_accept", _on),
    # fib_validate_source: IN_DEV_ACCEPT_LOCAL (conf.all or the device's) lets a datagram
    # with one of our own addresses as source through
    "net.ipv4.conf.all.accept_local": _field("accept_own_source", _on),
    # ip_rcv_options: IN_DEV_SOURCE_ROUTE needs conf.all and the device's (the device's
    # comes from conf.default, 1 in a fresh namespace): conf.all decides here
    "net.ipv4.conf.all.accept_source_route": lambda v: {"drop_source_routed": not _on(v)},
    # fib_validate_source looks the source up only with rp_filter (the maximum of conf.all
    # and the device's) on: a directed-broadcast source is then a martian (RFC 1122 3.2.1.3)
    "net.ipv4.conf.all.rp_filter": _field("directed_broadcast_source_martian", _on),
    "net.ipv4.tcp_rmem": _rmem,
    "net.ipv4.tcp_wmem": _wmem,
    # tcp_oow_rate_limited / tcp_send_challenge_ack (reference_stack/tcp/ack_throttle.py)
    "net.ipv4.tcp_invalid_ratelimit": _ratelimit,
    # tcp_write_timeout: icsk_syn_retries or tcp_syn_retries; tcp_synack_timer / reqsk_timer_handler
    "net.ipv4.tcp_syn_retries": _field("syn_retries", int),
    "net.ipv4.tcp_synack_retries": _field("synack_retries", int),
    # tcp_write_timeout: retransmits_timed_out(sk, tcp_retries2, ...) for a synchronized
    # connection (counted here, RFC 9293 3.8.3 R2)
    "net.ipv4.tcp_retries2": _field("data_retries", int),
    "net.ipv4.tcp_orphan_retries": _orphan_retries,
    # tcp_timewait_state_process: a RST in TIME-WAIT ignored (RFC 1337 3)
    "net.ipv4.tcp_rfc1337": _field("time_wait_ignores_rst", _on),
    # tcp_fin_time: an orphaned FIN-WAIT-2's lifetime, in seconds
    "net.ipv4.tcp_fin_timeout": _field("fin_wait_2_timeout", float),
    # keepalive_time_when / keepalive_intvl_when / keepalive_probes: the socket's defaults
    # (getsockopt TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT; RFC 1122 4.2.3.6)
    "net.ipv4.tcp_keepalive_time": _field("keepalive_idle", int),
    "net.ipv4.tcp_keepalive_intvl": _field("keepalive_interval", int),
    "net.ipv4.tcp_keepalive_probes": _field("keepalive_probes", int),
    # tcp_conn_request: want_cookie when the request queue is over the backlog (1) or always
    # (2); 0: never (the SYN is dropped). A cookie connection has no request socket: the
    # listener answers its segments (cookie_v4_check) and keeps the peer's MSS from msstab;
    # the child's window is chosen again from that MSS (tcp/syn_cookie.py)
    "net.ipv4.tcp_syncookies": _field("syncookies", int),
    # tcp_check_req, listen_overflow: the handshake's last ACK to a full accept queue is
    # dropped (0) or answered with a RST, the request dropped (1: embryonic_reset)
    "net.ipv4.tcp_abort_on_overflow": _field("abort_on_overflow", _on),
    # inet_create: IP_PMTUDISC_DONT for a socket made while it is non-zero, so
    # ip_dont_fragment leaves DF clear on the connection's own segments and UDP's (RFC 1191 3:
    # path MTU discovery is the host's choice); the control socket's and a small SYN,ACK's
    # DF stay (profile control_socket_df, small_synack_df: tcp/dont_fragment.py). Measured
    # on 6.18 (suites/tcp/test_dont_fragment.py). (Fragmentation Needed handling, which the
    # values 2 and 3 change too, is modelled for no value.)
    "net.ipv4.ip_no_pmtu_disc": lambda v: {"tcp_df": not _on(v), "udp_df": not _on(v)},
    # IPv6 Duplicate Address Detection on the test link (RFC 4862 5.4): addrconf_dad_begin
    # (accept_dad of the link; conf.all's is 0 in a fresh namespace), addrconf_dad_kick
    # (dad_transmits, the random delay below router_solicitation_delay, in seconds), and
    # addrconf_dad_work's spacing, the link's RetransTimer (neigh retrans_time_ms)
    "net.ipv6.conf.<test-link>.accept_dad": lambda v: {"accept_dad": int(v) >= 1},
    "net.ipv6.conf.<test-link>.dad_transmits": _field("dad_transmits", int),
    "net.ipv6.conf.<test-link>.router_solicitation_delay": _field("dad_delay", float),
    "net.ipv6.neigh.<test-link>.retrans_time_ms": lambda v: {"retrans_timer": int(v) / 1000},
    # The neighbour cache's timers (RFC 4861 7.3.3): neigh_proc_base_reachable_time (a new
    # random ReachableTime at once), neigh_timer_handler (delay_first_probe_time, seconds;
    # neigh_max_probes: ucast_solicit in PROBE, mcast_solicit in INCOMPLETE)
    "net.ipv6.neigh.<test-link>.base_reachable_time_ms":
        lambda v: {"base_reachable_time": int(v) / 1000},
    "net.ipv6.neigh.<test-link>.delay_first_probe_time":
        _field("delay_first_probe_time", float),
    "net.ipv6.neigh.<test-link>.ucast_solicit": _field("max_unicast_solicit", int),
    "net.ipv6.neigh.<test-link>.mcast_solicit": _field("max_multicast_solicit", int),
    # tcp_send_challenge_ack: the namespace's challenge ACKs per second (RFC 5961 7), INT_MAX
    # none; tests needing more than the certain part declare it (profile challenge_ack_limit)
    "net.ipv4.tcp_challenge_ack_limit": _field("challenge_ack_limit", int),
    # tcp_mtup_init (RFC 4821): tests sending full-sized segments need it below 2
    "net.ipv4.tcp_mtu_probing": _field("mtu_probing", int),
    "net.ipv4.icmp_echo_ignore_all": _field("echo_ignore_all", _on),  # icmp_echo
    "net.ipv6.icmp.echo_ignore_all": _field("echo6_ignore_all", _on),  # icmpv6_rcv
    "net.ipv4.icmp_echo_ignore_broadcasts": _field("echo_ignore_broadcasts", _on),  # icmp_rcv
}

# Values of a modelled sysctl whose other effects the oracle does not predict.
UNMODELLED_VALUES: dict[str, Callable[[str], str | None]] = {
    "net.ipv4.tcp_ecn": lambda v: (
        "ECT marking and CWR/ECE on an ECN connection (tcp_ecn_send, tcp_ecn_check_ce)"
        if int(v) == 1 else "AccECN (tcp_ecn >= 3: tcp_accecn_*)" if int(v) >= 3 else None),
    "net.ipv4.tcp_congestion_control": lambda v: (
        None if v.strip() in ("cubic", "reno") else
        "its own congestion window and pacing (cong_control, e.g. BBR's bbr_main: packet "
        "conservation in recovery, bbr_set_cwnd; TSO deferral): the segments a window "
        "releases, in recovery and after"),
    "net.ipv4.tcp_challenge_ack_limit": lambda v: (
        "which challenge ACKs beyond the first (limit + 1) / 2 of a second pass: a random "
        "budget each second (tcp_send_challenge_ack: get_random_u32_inclusive)"
        if int(v) != 2147483647 else None),
    "net.ipv4.tcp_mtu_probing": lambda v: (
        "packetization-layer path MTU probes, segments sized from tcp_base_mss (tcp_mtup_init, "
        "tcp_mtu_probe; RFC 4821)" if int(v) else None),
    "net.ipv4.conf.all.rp_filter": lambda v: (
        "a source with no route back through the link is dropped (fib_validate_source; "
        "RFC 3704)" if int(v) else None),
}

# sysctl: (the kernel's default, what it changes that the oracle does not predict)
UNMODELLED: dict[str, tuple[str, str]] = {
    "net.ipv4.tcp_min_snd_mss": ("48", "the floor of the peer's MSS (tcp_mss_to_mtu / "
                                 "tcp_sync_mss)"),
    "net.ipv4.tcp_base_mss": ("1024", "the MSS that MTU probing starts from (tcp_mtup_init)"),
    "net.ipv4.tcp_slow_start_after_idle": ("1", "the congestion window after an idle period "
                                           "(tcp_cwnd_restart; RFC 5681 4.1)"),
    "net.ipv4.ipfrag_high_thresh": ("4194304", "reassembly memory: a smaller limit drops "
                                    "fragments (ip_frag_queue -> inet_frag_find)"),
    "net.ipv4.conf.all.arp_ignore": ("0", "which ARP requests are answered (arp_ignore)"),
    "net.ipv6.conf.all.enhanced_dad": ("1", "the Nonce option of DAD solicitations (RFC "
                                       "7527; addrconf_dad_kick: on while conf.all's or "
                                       "the link's enhanced_dad is)"),
    "net.ipv4.conf.all.route_localnet": ("0", "127/8 sources and destinations on the link "
                                         "(ip_route_input_slow: martian_source)"),
}

# Unmodelled limits that change nothing the suites send when raised (only a lower value does).
ONLY_BELOW_DEFAULT = frozenset({"net.ipv4.ipfrag_high_thresh"})

# sysctl: (the kernel's default, why the oracle's predictions here do not depend on it)
NO_EFFECT: dict[str, tuple[str, str]] = {
    "net.ipv4.tcp_retries1": ("3", "only a route's negative advice (tcp_write_timeout -> "
                              "__dst_negative_advice), nothing on the wire"),
    "net.ipv4.tcp_no_metrics_save": ("0", "tcp_update_metrics seeds the next connection to "
                                     "the same peer; the oracle starts each from defaults"),
    # (icmp_unreach: with 0, an error about a datagram sent to a broadcast is logged and
    # dropped before the socket; the suites' DUT sends no datagram to a broadcast address)
    "net.ipv4.icmp_ignore_bogus_error_responses": ("1", "only an ICMP error about a datagram "
                                                   "the DUT sent to a broadcast address, "
                                                   "dropped with 0 (icmp_unreach)"),
    "net.ipv4.conf.all.arp_announce": ("0", "the source of the DUT's ARP requests "
                                       "(arp_solicit): the DUT has one address on the link"),
}

# What a kernel target reads from its DUT namespace for the oracle (Target.dut_sysctls).
ORACLE_SYSCTLS: tuple[str, ...] = (*MODELLED, WINDOW_SCALE_INPUTS[1], *UNMODELLED, *NO_EFFECT)

# Route attributes (`ip route ... initcwnd 4`) read from the DUT's routes to the tester, one
# per family (`ip -j route get` spelling, per family: ROUTE_FAMILIES), each the RouteMetrics
# field it sets on the profile's route4 or route6 (reference_stack/route_metrics.py): mtu
# (tcp_advertise_mss, tcp_sync_mss: dst_mtu), advmss (dst_metric_advmss), initcwnd
# (tcp_init_cwnd), initrwnd (tcp_select_initial_window: init_rcv_wnd), rto_min (tcp_rto_min),
# quickack (tcp_in_quickack_mode: dst_quick_ack).
ROUTE_FIELDS: dict[str, Change] = {
    "mtu": _field("mtu", int),
    "advmss": _field("advmss", int),
    "initcwnd": _field("initcwnd", int),
    "initrwnd": _field("initrwnd", int),
    "rto_min": lambda v: {"rto_min": int(v) / 1000},  # ms (RTAX_RTO_MIN)
    "quickack": _field("quickack", _on),
}
# The family of each route the oracle reads, and the profile field it fills.
ROUTE_FAMILIES = {"ipv4": "route4", "ipv6": "route6"}


def _same(a: str, b: str) -> bool:
    return a.split() == b.split()


def _int_at_least(value: str, floor: str) -> bool:
    try:
        return int(value) >= int(floor)
    except ValueError:
        return False


def profile_with_sysctl(profile: Profile, key: str, value: str) -> Profile | None:
    """``profile`` changed as sysctl ``key`` = ``value`` would change a kernel; None when the
    reference stack has no equivalent parameter."""
    change = MODELLED.get(key)
    if change is None:
        return None
    try:
        fields = change(value)
        if key in WINDOW_SCALE_INPUTS:  # a test's own tcp_rmem: its max gives the shift
            fields.update(window_scale_of({key: value}))
        return dataclasses.replace(profile, **fields)
    except (ValueError, IndexError, TypeError):
        return None


def route_metrics(metrics: Mapping[str, object]) -> RouteMetrics:
    """The RouteMetrics of one route's attributes (those the oracle follows)."""
    fields: dict[str, object] = {}
    for name, value in metrics.items():
        change = ROUTE_FIELDS.get(name)
        if change is not None:
            try:
                fields.update(change(str(value)))
            except (ValueError, TypeError):
                continue
    return RouteMetrics(**fields)  # type: ignore[arg-type]


def profile_with_route(profile: Profile, routes: Mapping[str, Mapping[str, object]]
                       ) -> Profile:
    """``profile`` following the attributes of the DUT's route of each family (``routes``:
    {"ipv4": {...}, "ipv6": {...}}, Target.dut_route): each on that family's connections only."""
    changes = {field: route_metrics(routes[family])
               for family, field in ROUTE_FAMILIES.items() if routes.get(family)}
    return dataclasses.replace(profile, **changes) if changes else profile


def parse_route_attrs(text: str) -> dict[str, str]:
    """``ip route`` attributes ("mtu 1400 rto_min 50ms") in ``ip -j route get`` spelling
    ({"mtu": "1400", "rto_min": "50"}: rto_min in milliseconds)."""
    words = text.split()
    return {name: value.removesuffix("ms") for name, value in
            zip(words[::2], words[1::2], strict=True)}


def profile_with_route_change(profile: Profile, family: str, attrs: str) -> Profile:
    """``profile`` after the DUT's route of ``family`` was given ``attrs`` (``ip route
    change``, conformance.author.dut_route): the attributes it names replace the route's, on
    the connections opened after it."""
    field = ROUTE_FAMILIES[family]
    parsed = parse_route_attrs(attrs)
    changed = route_metrics(parsed)  # (ROUTE_FIELDS' names are RouteMetrics' fields)
    named = {name: getattr(changed, name) for name in parsed if name in ROUTE_FIELDS}
    route = dataclasses.replace(getattr(profile, field), **named)
    return dataclasses.replace(profile, **{field: route})


def profile_with_link_mtu(profile: Profile, mtu: int) -> Profile:
    """``profile`` after the DUT link's MTU changed to ``mtu`` (bed.set_link_mtu). An IPv4
    route keeps its mtu (fib_sync_mtu changes only the route exceptions); an IPv6 route's
    becomes the link's when it was at least the new MTU or equal to the old one
    (rt6_mtu_change_route). Measured on 6.18: route mtu 1400 on a link lowered from 1500 to
    1300 announces 1360 over IPv4, 1240 over IPv6 (route_metrics.announced_mss)."""
    route6 = profile.route6
    if route6.mtu and (route6.mtu >= mtu or route6.mtu == profile.mtu):
        route6 = dataclasses.replace(route6, mtu=mtu)
    return dataclasses.replace(profile, mtu=mtu, route6=route6)


def not_modelled(sysctls: Mapping[str, str],
                 routes: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, str]:
    """The DUT settings whose effect the oracle does not predict: each with its value and
    what it changes (for results.json's environment.oracle)."""
    notes: dict[str, str] = {}
    for key, value in sysctls.items():
        if key in UNMODELLED:
            default, what = UNMODELLED[key]
        elif key in NO_EFFECT:
            default, what = NO_EFFECT[key]
            what = "no effect on the oracle's predictions: " + what
        elif key in UNMODELLED_VALUES:
            try:
                note = UNMODELLED_VALUES[key](value)
            except ValueError:
                note = None
            if note:
                notes[key] = f"{value}: not modelled: {note}"
            continue
        else:
            continue
        if _same(value, default) or (key in ONLY_BELOW_DEFAULT and _int_at_least(value, default)):
            continue
        notes[key] = f"{value} (kernel default {default}): not modelled: {what}"
    for family, metrics in (routes or {}).items():
        for name, value in metrics.items():
            if name not in ROUTE_FIELDS:  # (e.g. window, ssthresh, hoplimit, congctl)
                notes[f"{family} route {name}"] = f"{value}: not modelled"
    return notes


def profile_with_sysctls(profile: Profile, sysctls: Mapping[str, str]
                         ) -> tuple[Profile, dict[str, str]]:
    """``profile`` following every sysctl it has an equivalent for; and those sysctls."""
    used: dict[str, str] = {}
    for key, value in sysctls.items():
        changed = profile_with_sysctl(profile, key, value)
        if changed is not None:
            profile = changed
            used[key] = value
    scale = window_scale_of(sysctls)
    if scale:
        profile = dataclasses.replace(profile, **scale)
        used.update({k: sysctls[k] for k in WINDOW_SCALE_INPUTS if k in sysctls})
    return profile, used
