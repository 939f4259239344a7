"""The oracle for a bed, built in one place (conformance.judge.oracle): the target's profile
plus the sysctls in force in its DUT, with a JSON-safe record of both."""

import json

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan
from conformance.judge.oracle import build_oracle, oracle_setup
from conformance.targets.reference import InprocReferenceTarget
from reference_stack.profiles import LINUX, PROFILES


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
    target = InprocReferenceTarget(WorkerPlan("t", 0), DutConfig())
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
