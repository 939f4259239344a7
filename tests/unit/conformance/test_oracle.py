"""The oracle for a bed, built in one place (conformance.judge.oracle): the target's profile
plus the sysctls in force in its DUT, with a JSON-safe record of both."""

import dataclasses
import json

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan
from conformance.judge.oracle import build_oracle, oracle_setup
from conformance.judge.sysctls import profile_with_link_mtu
from conformance.targets.reference import InprocReferenceTarget
from reference_stack.profiles import LINUX, PROFILES
from reference_stack.route_metrics import RouteMetrics


class StubTarget:
    def __init__(self, profile, sysctls):
        self.profile, self.sysctls = profile, sysctls

    def oracle_profile(self):
        return self.profile

    def dut_sysctls(self):
        return self.sysctls


def test_the_targets_profile_judges_it():
    setup = oracle_setup(StubTarget(PROFILES["pytcp"], {}))
    assert setup.profile is PROFILES["pytcp"]
    assert setup.record() == {"profile": "pytcp", "sysctls": {}}


def test_the_duts_sysctls_shape_the_profile_and_are_recorded():
    sysctls = {"net.ipv4.tcp_rmem": "4096\t131072\t33554432", "net.ipv4.ip_default_ttl": "44",
               "net.ipv4.ipfrag_high_thresh": "268435456"}  # the last: nothing to follow
    setup = oracle_setup(StubTarget(LINUX, sysctls))
    assert (setup.profile.window_scale, setup.profile.ttl) == (10, 44)
    assert (LINUX.window_scale, LINUX.ttl) == (7, 64)  # unchanged: profiles are values
    record = json.loads(json.dumps(setup.record()))
    assert record == {"profile": "linux",
                      "sysctls": {"net.ipv4.tcp_rmem": "4096\t131072\t33554432",
                                  "net.ipv4.ip_default_ttl": "44"}}


def test_a_planted_bug_is_recorded_and_the_stack_has_the_beds_addresses():
    target = InprocReferenceTarget(WorkerPlan("0000", 0), DutConfig())
    assert oracle_setup(target).profile.name == "linux"
    broken = oracle_setup(StubTarget(LINUX.breaking("R1"), {}))
    assert broken.record()["broken_rules"] == ["R1"]
    stack = build_oracle(LINUX, target.plan, seed=1)
    assert stack.profile is LINUX


def test_the_timer_and_rate_limit_sysctls_reach_the_profile():
    setup = oracle_setup(StubTarget(LINUX, {
        "net.ipv4.tcp_invalid_ratelimit": "250", "net.ipv4.tcp_syn_retries": "2",
        "net.ipv4.tcp_synack_retries": "3", "net.ipv4.tcp_fin_timeout": "7"}))
    p = setup.profile
    assert (p.oow_ack_interval, p.syn_retries, p.synack_retries, p.fin_wait_2_timeout) == (
        0.25, 2, 3, 7.0)
    off = oracle_setup(StubTarget(LINUX, {"net.ipv4.tcp_invalid_ratelimit": "0"}))
    assert off.profile.oow_ack_interval is None and LINUX.oow_ack_interval == 0.5


class RoutedStub(StubTarget):
    def __init__(self, profile, sysctls, route):
        super().__init__(profile, sysctls)
        self.route = route

    def dut_route(self):
        return self.route


def test_the_rest_of_the_modelled_sysctls_reach_the_profile():
    p = oracle_setup(StubTarget(LINUX, {
        "net.ipv4.tcp_dsack": "0", "net.ipv4.tcp_ecn": "0", "net.ipv4.tcp_early_retrans": "2",
        "net.ipv4.tcp_wmem": "4096 32768 4194304", "net.ipv4.tcp_rmem": "4096 65536 262144",
        "net.ipv4.tcp_orphan_retries": "2", "net.ipv4.tcp_retries2": "5",
        "net.ipv4.tcp_keepalive_time": "60", "net.ipv4.tcp_keepalive_intvl": "5",
        "net.ipv4.tcp_keepalive_probes": "3", "net.ipv4.tcp_syncookies": "2",
        "net.ipv4.icmp_echo_ignore_all": "1", "net.ipv4.ip_no_pmtu_disc": "1",
        "net.ipv4.conf.all.accept_local": "1"})).profile
    assert (p.dsack, p.ecn_accept, p.tail_loss_probe) == (False, False, False)
    assert (p.send_buffer, p.recv_buffer, p.initial_window_space, p.window_scale) == (
        32768, 65536, 32768, 3)
    assert (p.orphan_retries, p.data_retries) == (2, 5)
    assert (p.keepalive_idle, p.keepalive_interval, p.keepalive_probes) == (60, 5, 3)
    assert (p.syncookies, p.echo_ignore_all, p.accept_own_source) == (2, True, True)
    assert (p.tcp_df, p.udp_df, p.control_socket_df, p.icmp_df) == (False, False, True, False)
    # tcp_orphan_retries = 0 means 8 (tcp_orphan_retries()); TLP is on for 3 and 4
    p = oracle_setup(StubTarget(LINUX, {"net.ipv4.tcp_orphan_retries": "0",
                                        "net.ipv4.tcp_early_retrans": "4"})).profile
    assert (p.orphan_retries, p.tail_loss_probe) == (8, True)


def test_an_unmodelled_setting_is_noted_only_when_not_the_default():
    defaults = {"net.ipv4.tcp_mtu_probing": "0", "net.ipv4.tcp_abort_on_overflow": "0",
                "net.ipv4.tcp_ecn": "2", "net.ipv4.tcp_retries1": "3"}
    assert "not_modelled" not in oracle_setup(StubTarget(LINUX, defaults)).record()
    changed = dict(defaults, **{"net.ipv4.tcp_mtu_probing": "2", "net.ipv4.tcp_ecn": "1",
                               "net.ipv4.tcp_retries1": "5"})
    notes = oracle_setup(StubTarget(LINUX, changed)).record()["not_modelled"]
    assert set(notes) == {"net.ipv4.tcp_mtu_probing", "net.ipv4.tcp_ecn",
                          "net.ipv4.tcp_retries1"}
    assert "tcp_mtup_init" in notes["net.ipv4.tcp_mtu_probing"]
    assert "no effect" in notes["net.ipv4.tcp_retries1"]


def test_route_attributes_shape_the_profile_of_their_family_or_are_noted():
    setup = oracle_setup(RoutedStub(LINUX, {}, {
        "ipv4": {"initcwnd": 4, "rto_min": 50, "mtu": 1400, "advmss": 1000, "initrwnd": 8,
                 "quickack": 1, "window": 8000},
        "ipv6": {"mtu": 1300}}))
    p = setup.profile
    assert p.route4 == RouteMetrics(mtu=1400, advmss=1000, initcwnd=4, initrwnd=8,
                                    rto_min=0.05, quickack=True)
    assert p.route6 == RouteMetrics(mtu=1300)  # the IPv4 route's stay off IPv6
    assert (p.mtu, p.rto_min, p.initial_cwnd_segments) == (1500, LINUX.rto_min, 10)
    assert (p.initial_cwnd(), p.initial_cwnd(ipv6=True)) == (4, 10)
    record = json.loads(json.dumps(setup.record()))
    assert record["route"]["ipv4"]["initcwnd"] == 4 and record["route"]["ipv6"] == {"mtu": 1300}
    assert set(record["not_modelled"]) == {"ipv4 route window"}  # (RTAX_WINDOW)
    # a DUT without route attributes: the profile keeps NO_ROUTE_METRICS
    bare = oracle_setup(RoutedStub(LINUX, {}, {"ipv4": {}, "ipv6": {}}))
    assert bare.profile == LINUX and "route" not in bare.record()


def test_a_link_mtu_change_moves_the_ipv6_routes_mtu_not_the_ipv4_one():
    p = dataclasses.replace(LINUX, route4=RouteMetrics(mtu=1400), route6=RouteMetrics(mtu=1400))
    lower = profile_with_link_mtu(p, 1300)  # rt6_mtu_change_route; fib_sync_mtu
    assert (lower.mtu, lower.route4.mtu, lower.route6.mtu) == (1300, 1400, 1300)
    higher = profile_with_link_mtu(p, 9000)  # 1400 was not the old link MTU: kept
    assert (higher.route4.mtu, higher.route6.mtu) == (1400, 1400)
    followed = profile_with_link_mtu(dataclasses.replace(p, route6=RouteMetrics(mtu=1500)), 9000)
    assert followed.route6.mtu == 9000


def test_a_per_test_route_change_reaches_its_familys_route_only():
    from conformance.author.dut_route import route_spelling
    from conformance.judge.sysctls import parse_route_attrs, profile_with_route_change

    text = route_spelling({"mtu": 1400, "rto_min": 50, "quickack": 1})
    assert text == "mtu 1400 rto_min 50ms quickack 1"
    assert parse_route_attrs(text) == {"mtu": "1400", "rto_min": "50", "quickack": "1"}
    base = dataclasses.replace(LINUX, route4=RouteMetrics(initcwnd=4))
    p = profile_with_route_change(base, "ipv4", text)
    assert p.route4 == RouteMetrics(mtu=1400, initcwnd=4, rto_min=0.05, quickack=True)
    assert p.route6 == RouteMetrics()
    six = profile_with_route_change(LINUX, "ipv6", "advmss 1000")
    assert (six.route4, six.route6) == (RouteMetrics(), RouteMetrics(advmss=1000))
