"""The IPv6 suites need a target that speaks IPv6 (``Capabilities.has_ipv6``)."""

import pytest


@pytest.fixture(autouse=True)
def _needs_ipv6(bed):
    if not bed.capabilities.has_ipv6:
        pytest.skip("the target runs without IPv6 (capabilities.has_ipv6 is False)")
