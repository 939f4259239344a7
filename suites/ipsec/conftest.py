"""A test marked ``esp`` installs ESP SAs: where the target has no ESP transforms
(``capabilities.has_esp`` False: the host kernel) it is skipped before its test bed is made,
as ``set_ipsec`` would skip it after (conformance/author/ipsec.py)."""

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "esp: the test installs ESP SAs; skipped where capabilities.has_esp is False")


@pytest.fixture(autouse=True)
def _skip_without_esp(request):
    if request.node.get_closest_marker("esp") is None:
        return
    # (asked of the session's target, before this test's bed is made)
    if not request.getfixturevalue("target").capabilities.has_esp:
        pytest.skip("the target has no ESP transforms (capabilities.has_esp is False)")
