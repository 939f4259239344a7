"""Kernel sysctls the oracle follows, and the reference-profile parameter each one means, so
the reference stack (as a target, or as the oracle judging a DUT) behaves as the sysctls in
force in that DUT make a kernel behave (a test that shortens a timer, a run's
``--dut-sysctl``, a host whose tcp_rmem gives another window scale)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from reference_stack.profiles import Profile, linux_window_scale


def _rmem_scale(value: str) -> int:
    """tcp_rmem is "min default max": the window scale follows its max (RFC 7323 2.3 leaves
    the shift to the receiver; Linux's tcp_select_initial_window, see linux_window_scale)."""
    return linux_window_scale(int(value.split()[2]))


def _ratelimit(value: str) -> float | None:
    """tcp_invalid_ratelimit is in milliseconds; 0 turns the limit off (__tcp_oow_rate_limited
    compares the elapsed jiffies against it)."""
    ms = int(value)
    return ms / 1000 if ms > 0 else None


SYSCTL_PROFILE_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "net.ipv4.ipfrag_time": ("reassembly_timeout", float),
    "net.ipv6.ip6frag_time": ("ipv6_reassembly_timeout", float),  # RFC 8200 4.5
    "net.ipv4.ip_default_ttl": ("ttl", int),
    "net.ipv4.tcp_timestamps": ("timestamps", lambda v: v != "0"),
    "net.ipv4.tcp_sack": ("sack", lambda v: v != "0"),
    "net.ipv4.tcp_window_scaling": ("window_scaling", lambda v: v != "0"),
    "net.ipv4.tcp_syn_linear_timeouts": ("syn_linear_timeouts", int),
    "net.ipv4.conf.all.arp_accept": ("arp_accept", lambda v: v != "0"),
    "net.ipv4.tcp_rmem": ("window_scale", _rmem_scale),
    # tcp_oow_rate_limited / tcp_send_challenge_ack (reference_stack/tcp/ack_throttle.py)
    "net.ipv4.tcp_invalid_ratelimit": ("oow_ack_interval", _ratelimit),
    # tcp_write_timeout: icsk_syn_retries or tcp_syn_retries; tcp_synack_timer / reqsk_timer_handler
    "net.ipv4.tcp_syn_retries": ("syn_retries", int),
    "net.ipv4.tcp_synack_retries": ("synack_retries", int),
    # tcp_fin_time: an orphaned FIN-WAIT-2's lifetime, in seconds
    "net.ipv4.tcp_fin_timeout": ("fin_wait_2_timeout", float),
}
# What a kernel target reads from its DUT namespace for the oracle (Target.dut_sysctls).
ORACLE_SYSCTLS: tuple[str, ...] = tuple(SYSCTL_PROFILE_FIELDS)


def profile_with_sysctl(profile: Profile, key: str, value: str) -> Profile | None:
    """``profile`` changed as sysctl ``key`` = ``value`` would change a kernel; None when the
    reference stack has no equivalent parameter."""
    if key not in SYSCTL_PROFILE_FIELDS:
        return None
    name, kind = SYSCTL_PROFILE_FIELDS[key]
    try:
        return dataclasses.replace(profile, **{name: kind(value)})
    except (ValueError, IndexError):
        return None


def profile_with_sysctls(profile: Profile, sysctls: Mapping[str, str]
                         ) -> tuple[Profile, dict[str, str]]:
    """``profile`` following every sysctl it has an equivalent for; and those sysctls."""
    used: dict[str, str] = {}
    for key, value in sysctls.items():
        changed = profile_with_sysctl(profile, key, value)
        if changed is not None:
            profile = changed
            used[key] = value
    return profile, used
