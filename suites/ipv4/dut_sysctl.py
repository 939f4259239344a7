"""Per-test DUT sysctls for the few tests that need a timer shortened (e.g. ipfrag_time).

A target with sysctls (Linux) offers ``bed.set_dut_sysctl``; the value applies to this test's
fresh DUT namespace only and is recorded in the test's results. Elsewhere the test is skipped.
"""

from __future__ import annotations

from typing import Any

import pytest


def set_dut_sysctl(bed: Any, key: str, value: str) -> None:
    if bed.set_dut_sysctl is None:
        pytest.skip(f"the target offers no per-test sysctl ({key}={value})")
    bed.set_dut_sysctl(key, value)
