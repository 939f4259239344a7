"""Names fit the kernel's limits and carry the owner; addresses stay in the test ranges."""

import ipaddress

import pytest

from conformance.fabric.naming import SEQ_WRAP, WorkerPlan, parse_name


@pytest.mark.parametrize("worker", [0, 1, 35, 199])
def test_names_fit_ifnamsiz_and_parse_back(worker):
    plan = WorkerPlan("beef", worker)
    names = [plan.tester_netns, plan.tester_sink_bridge, plan.dut_ifname(SEQ_WRAP - 1),
             plan.tester_ifname(SEQ_WRAP - 1), plan.dut_netns(1)]
    for name in names:
        assert len(name) <= 15, name
        assert parse_name(name) is not None and parse_name(name)[0] == "beef"


def test_foreign_names_are_not_ours():
    assert parse_name("eth0") is None and parse_name("nc-notours") is None


@pytest.mark.parametrize("worker", [0, 7, 199])
def test_addresses_come_from_the_test_ranges(worker):
    plan = WorkerPlan("beef", worker)
    bench = ipaddress.ip_network("198.18.0.0/15")
    doc = ipaddress.ip_network("2001:db8::/32")
    for a in (plan.dut_ipv4, plan.tester_ipv4, plan.spare_ipv4(3)):
        assert ipaddress.ip_address(a) in bench
    for a in (plan.dut_ipv6, plan.tester_ipv6):
        assert ipaddress.ip_address(a) in doc


def test_workers_never_share_addresses():
    a, b = WorkerPlan("beef", 1), WorkerPlan("beef", 2)
    assert {a.dut_ipv4, a.tester_ipv4}.isdisjoint({b.dut_ipv4, b.tester_ipv4})
    assert a.tester_mac != b.tester_mac


def test_a_plan_makes_only_names_the_reaper_can_read():
    # A plan named "ip6p" once left namespaces behind that parse_name ignored: refused now.
    with pytest.raises(ValueError, match="4 hex digits"):
        WorkerPlan("ip6p", 7)
    assert parse_name(WorkerPlan("beef", 7).stem + "-d1") == ("beef", "7")
