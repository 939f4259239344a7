"""Kernel sysctls a test may set, and the reference-profile parameter each one means, so the
reference stack (as a target, or as the lockstep oracle) follows a test that shortens a timer."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from reference_stack.profiles import Profile

SYSCTL_PROFILE_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "net.ipv4.ipfrag_time": ("reassembly_timeout", float),
    "net.ipv4.ip_default_ttl": ("ttl", int),
    "net.ipv4.tcp_timestamps": ("timestamps", lambda v: v != "0"),
    "net.ipv4.tcp_sack": ("sack", lambda v: v != "0"),
    "net.ipv4.tcp_window_scaling": ("window_scaling", lambda v: v != "0"),
    "net.ipv4.tcp_syn_linear_timeouts": ("syn_linear_timeouts", int),
    "net.ipv4.conf.all.arp_accept": ("arp_accept", lambda v: v != "0"),
}


def profile_with_sysctl(profile: Profile, key: str, value: str) -> Profile | None:
    """``profile`` changed as sysctl ``key`` = ``value`` would change a kernel; None when the
    reference stack has no equivalent parameter."""
    if key not in SYSCTL_PROFILE_FIELDS:
        return None
    name, kind = SYSCTL_PROFILE_FIELDS[key]
    return dataclasses.replace(profile, **{name: kind(value)})
