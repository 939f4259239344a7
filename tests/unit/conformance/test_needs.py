"""The needs() marker's resolution: a feature the DUT has off gives the skip reason, naming
the sysctl or route attribute that set it; a feature on, or a predicate met, gives none."""

import dataclasses

import pytest

from conformance.author.needs import at_least, unmet
from reference_stack.profiles import LINUX
from reference_stack.route_metrics import RouteMetrics


def test_a_feature_switched_off_by_a_sysctl_names_it():
    off = dataclasses.replace(LINUX, timestamps=False)
    reason = unmet(off, {"timestamps": True}, {"net.ipv4.tcp_timestamps": "0"})
    assert reason == ("needs timestamps=True; the DUT has timestamps=False "
                      "(net.ipv4.tcp_timestamps=0)")
    assert unmet(LINUX, {"timestamps": True, "sack": True}) is None


def test_route_attributes_and_predicates():
    four = dataclasses.replace(LINUX, route4=RouteMetrics(initcwnd=4))
    routes = {"ipv4": {"initcwnd": 4}, "ipv6": {}}
    assert unmet(four, {"initial_cwnd_segments": 10}, {}, routes) == (
        "needs initial_cwnd_segments=10; the DUT has initial_cwnd_segments=4 "
        "(route initcwnd 4)")
    # an IPv6 route's initcwnd leaves the (IPv4) test's need met
    six = dataclasses.replace(LINUX, route6=RouteMetrics(initcwnd=4))
    assert unmet(six, {"initial_cwnd_segments": 10}, {}, {"ipv6": {"initcwnd": 4}}) is None
    assert unmet(LINUX, {"keepalive_idle": at_least(7200)}) is None
    short = dataclasses.replace(LINUX, keepalive_idle=60)
    assert unmet(short, {"keepalive_idle": at_least(7200)}).startswith(
        "needs keepalive_idle >= 7200")


def test_an_unknown_feature_is_an_authoring_error():
    with pytest.raises(ValueError):
        unmet(LINUX, {"timestamp": True})


def test_a_challenge_ack_budget_names_its_sysctl():
    """net.ipv4.tcp_challenge_ack_limit = 2 (kernel default INT_MAX) leaves one certain
    challenge ACK a second: a test needing two (a budget of three at least) is skipped; the
    kernel's default, or a budget of three, lets it run."""
    from conformance.judge.sysctls import not_modelled, profile_with_sysctls

    sysctls = {"net.ipv4.tcp_challenge_ack_limit": "2"}
    two, used = profile_with_sysctls(LINUX, sysctls)
    assert used == sysctls and two.challenge_ack_limit == 2
    assert unmet(two, {"challenge_ack_limit": at_least(3)}, sysctls) == (
        "needs challenge_ack_limit >= 3; the DUT has challenge_ack_limit=2 "
        "(net.ipv4.tcp_challenge_ack_limit=2)")
    assert "net.ipv4.tcp_challenge_ack_limit" in not_modelled(sysctls)  # the random rest
    default = {"net.ipv4.tcp_challenge_ack_limit": "2147483647"}
    assert unmet(profile_with_sysctls(LINUX, default)[0], {"challenge_ack_limit": at_least(3)}
                 ) is None
    assert not not_modelled(default)


@pytest.mark.parametrize("value,skipped", [("0", False), ("1", False), ("2", True)])
def test_mtu_probing_from_the_start_names_its_sysctl(value, skipped):
    """net.ipv4.tcp_mtu_probing = 2 sizes segments from tcp_base_mss (tcp_mtup_init): a test
    sending full-sized segments is skipped, and the probes are named as not modelled."""
    from conformance.author.needs import other_than
    from conformance.judge.sysctls import not_modelled, profile_with_sysctls

    sysctls = {"net.ipv4.tcp_mtu_probing": value}
    profile, used = profile_with_sysctls(LINUX, sysctls)
    assert used == sysctls and profile.mtu_probing == int(value)
    reason = unmet(profile, {"mtu_probing": other_than(2)}, sysctls)
    assert (reason == "needs mtu_probing != 2; the DUT has mtu_probing=2 "
            "(net.ipv4.tcp_mtu_probing=2)") if skipped else reason is None
    assert ("net.ipv4.tcp_mtu_probing" in not_modelled(sysctls)) is (value != "0")
