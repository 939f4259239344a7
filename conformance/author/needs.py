"""Features a test assumes, declared with ``@pytest.mark.needs(timestamps=True)``.

Each keyword names a field of the profile the oracle judges the DUT with (the target's
profile following the DUT's sysctls, conformance.judge.oracle): ``timestamps``, ``sack``,
``window_scaling``, ``dsack``, ``ecn_accept``, ``tail_loss_probe``, ``keepalive_idle``, ...
The value is what the test needs: a value the field must equal, or a predicate such as
``at_least(7200)``. A test whose DUT has the feature otherwise is skipped with that reason
(naming the sysctl that set it), so a harness assumption is never reported as a stack's bug.
A test that can check the feature's absence instead (what the RFC says happens then) reads
``bed.oracle_profile`` and does not declare it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.judge.sysctls import MODELLED, ROUTE_FIELDS
from reference_stack.profiles import Profile


@dataclass(frozen=True)
class AtLeast:
    """A numeric feature no smaller than ``floor`` (e.g. a timer's default)."""

    floor: float

    def __call__(self, value: Any) -> bool:
        return value is not None and value >= self.floor

    def __str__(self) -> str:
        return f">= {self.floor:g}"


def at_least(floor: float) -> AtLeast:
    return AtLeast(floor)


@dataclass(frozen=True)
class OtherThan:
    """A feature with any value but ``value`` (e.g. syncookies other than 2: a passive open
    that has a SYN-RECEIVED state, not always a SYN cookie)."""

    value: Any

    def __call__(self, value: Any) -> bool:
        return value != self.value

    def __str__(self) -> str:
        return f"!= {self.value!r}"


def other_than(value: Any) -> OtherThan:
    return OtherThan(value)


# Profile features a route attribute overrides (conformance.judge.sysctls.ROUTE_FIELDS): a
# test that needs one is judged by the IPv4 route's (a test run per family reads
# bed.oracle_profile for its family instead, e.g. Profile.initial_cwnd(ipv6)).
ROUTED = {"initial_cwnd_segments": "initcwnd"}


def _value(profile: Profile, name: str) -> Any:
    routed = ROUTED.get(name)
    if routed is not None and getattr(profile.route4, routed) is not None:
        return getattr(profile.route4, routed)
    return getattr(profile, name)


def _set_by(name: str, sysctls: Mapping[str, str],
            routes: Mapping[str, Mapping[str, object]]) -> list[str]:
    """The DUT sysctls and IPv4 route attributes (of those the oracle followed) that set
    profile field ``name``."""
    out = []
    for key, value in sysctls.items():
        change = MODELLED.get(key)
        try:
            if change is not None and name in change(str(value)):
                out.append(f"{key}={value}")
        except (ValueError, IndexError):
            continue
    for key, value in routes.get("ipv4", {}).items():
        if key in ROUTE_FIELDS and ROUTED.get(name) == key:
            out.append(f"route {key} {value}")
    return out


def unmet(profile: Profile, features: Mapping[str, Any],
          sysctls: Mapping[str, str] | None = None,
          routes: Mapping[str, Mapping[str, object]] | None = None) -> str | None:
    """Why ``profile`` lacks one of ``features`` (the skip reason), or None when it has them
    all. A name that is not a profile field is a test-authoring error (ValueError)."""
    for name, want in features.items():
        if not hasattr(profile, name):
            raise ValueError(f"needs({name}=...): the profile has no feature {name!r}")
        have = _value(profile, name)
        ok = want(have) if callable(want) else have == want
        if ok:
            continue
        wanted = f"{name} {want}" if callable(want) else f"{name}={want!r}"
        why = ", ".join(_set_by(name, sysctls or {}, routes or {}))
        return (f"needs {wanted}; the DUT has {name}={have!r}"
                + (f" ({why})" if why else f" (profile {profile.name})"))
    return None
