"""Per-test DUT sysctls for the few tests that need a timer shortened (e.g. ipfrag_time).

The harness applies sysctls per run (``--dut-sysctl``), not per test; until it offers that,
a test that needs one sets it in its own fresh DUT namespace when the target exposes the
namespace, and is skipped otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest


def set_dut_sysctl(bed: Any, key: str, value: str) -> None:
    name = getattr(bed.handle, "name", None)
    if not isinstance(name, str):
        pytest.skip(f"the target offers no per-test sysctl ({key}={value})")
    from conformance import netns

    netns.write_sysctls(name, {key: value})
