"""The IPv6 suites need a target that speaks IPv6 (``Capabilities.has_ipv6``)."""

import pytest


@pytest.fixture(autouse=True)
def _needs_ipv6(request):
    # (asked of the session's target, before this test's bed is made: a target without IPv6
    # starts no DUT for a test it skips)
    if not request.getfixturevalue("target").capabilities.has_ipv6:
        pytest.skip("the target runs without IPv6 (capabilities.has_ipv6 is False)")
