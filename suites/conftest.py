"""The suites use the netconform pytest plugin's fixtures: ex, dut, link, endpoints, bed; and
``family`` (conformance/author/family.py): a test marked ``families`` runs once per family
named (all three by default), with the family in its id."""

import pytest

from conformance.author.family import ALL, FAMILIES, IPV4


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "families(*names): run the test once per address family (ipv4, ipv6, ipv4-mapped; "
        "all three by default), the family in the test id; ex.family is the family "
        "(conformance/author/family.py)",
    )


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("families")
    if marker is None or "family" not in metafunc.fixturenames:
        return
    names = marker.args or ALL
    metafunc.parametrize("family", [FAMILIES[n] for n in names], ids=list(names))


@pytest.fixture
def family(request):
    """The test's address family (IPv4 for a test not run per family)."""
    return getattr(request, "param", IPV4)


@pytest.fixture(autouse=True)
def _family_of_exchange(request, family):
    """A target without IPv6 skips a family test's IPv6 and IPv4-mapped runs."""
    if request.node.get_closest_marker("families") is None:
        return
    # (asked of the session's target, before this test's bed is made)
    if family.needs_ipv6 and not request.getfixturevalue("target").capabilities.has_ipv6:
        pytest.skip("the target runs without IPv6 (capabilities.has_ipv6 is False)")


@pytest.fixture
def ex(ex, family):
    """The plugin's exchange, speaking the test's family (and so its connections): made when
    the test asks for it, after the autouse checks that may skip it (e.g. suites/ipsec's ESP
    check), so a skipped test starts no DUT."""
    ex.family = family
    return ex
