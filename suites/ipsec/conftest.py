"""Every test here installs an IPsec configuration: where the target's beds take none
(Target.bed_hooks) it is skipped before its test bed is made; a test marked ``esp`` installs
ESP SAs: where the target has no ESP transforms (``capabilities.has_esp`` False: the host
kernel) it is skipped before its test bed is made too, as ``set_ipsec`` would skip either
after (conformance/author/ipsec.py)."""

import pytest

from conformance.author.ipsec import skip_unless_target_takes_ipsec


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "esp: the test installs ESP SAs; skipped where capabilities.has_esp is False")


@pytest.fixture(autouse=True)
def _skip_without_esp(request):
    # (asked of the session's target, before this test's bed is made)
    target = request.getfixturevalue("target")
    if request.node.get_closest_marker("esp") is not None and not target.capabilities.has_esp:
        pytest.skip("the target has no ESP transforms (capabilities.has_esp is False)")
    skip_unless_target_takes_ipsec(target)
