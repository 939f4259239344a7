"""Per-test DUT sysctls for the tests that need a timer shortened (e.g. ipfrag_time,
tcp_syn_retries, tcp_fin_timeout).

A target with sysctls (Linux) offers ``bed.set_dut_sysctl``; the value applies to this test's
fresh DUT namespace only and is recorded in the test's results (and replayed into the lockstep
oracle). Elsewhere the test is skipped. ``dut_profile(bed)`` is the oracle's profile following
the sysctls this test set so far, for a test whose own assertions depend on them.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.judge.sysctls import profile_with_sysctl
from reference_stack.profiles import Profile

TEST_SYSCTLS = "test_sysctls"  # bed.evidence key: the sysctls this test set, in order


def require_dut_sysctl(bed: Any, key: str, value: str) -> None:
    """Skip where the bed cannot set sysctls; a test whose body starts by setting ``key``
    declares ``@before_bed(require_dut_sysctl, key, value)`` to skip before its
    bed is made (conformance.author.before_bed)."""
    if bed.set_dut_sysctl is None:
        pytest.skip(f"the target offers no per-test sysctl ({key}={value})")


def set_dut_sysctl(bed: Any, key: str, value: str) -> None:
    require_dut_sysctl(bed, key, value)
    bed.set_dut_sysctl(key, value)
    bed.evidence.setdefault(TEST_SYSCTLS, {})[key] = value


def dut_profile(bed: Any) -> Profile:
    """The bed's oracle profile, following the sysctls this test set."""
    profile = bed.oracle_profile
    for key, value in bed.evidence.get(TEST_SYSCTLS, {}).items():
        profile = profile_with_sysctl(profile, key, value) or profile
    return profile
