"""The pytcp target's pure parts: availability reasons, the DUT configuration it derives and
the names it gives the TAP and bridge (harness-owned, within IFNAMSIZ)."""

import importlib.util
from importlib import metadata

from conformance.fabric.namespaces import DutConfig, DutNetns
from conformance.fabric.naming import WorkerPlan, parse_name
from conformance.targets import pytcp as pytcp_target
from conformance.targets.pytcp import PytcpTarget, silent_config, tap_bridge_script, tap_name


def test_missing_pytcp_is_reported_with_the_install_hint(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(pytcp_target.importlib.util, "find_spec",
                        lambda name: None if name == "pytcp" else real(name))
    assert "pip install 'netconform[pytcp]'" in PytcpTarget.unavailable_reason()


def test_other_pytcp_series_is_refused(monkeypatch):
    monkeypatch.setattr(pytcp_target.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(metadata, "version", lambda name: "3.0.9")
    assert PytcpTarget.unavailable_reason() == (
        "pytcp 3.0.9 is installed; this target drives pytcp 2.7.x")


def test_kernel_is_silenced_but_user_sysctls_win():
    config = silent_config(DutConfig(extra_sysctls={"net.ipv4.conf.all.arp_ignore": "1"},
                                     setup_commands=("true",)))
    assert config.kernel_silent
    assert config.extra_sysctls["net.ipv6.conf.all.disable_ipv6"] == "1"
    assert config.extra_sysctls["net.ipv4.conf.all.arp_ignore"] == "1"
    assert config.setup_commands == ("true",)


def test_tap_and_bridge_names_are_harness_names_within_ifnamsiz():
    plan = WorkerPlan("beef", 35)
    netns = DutNetns(plan, 36**3 - 1, 0.0)
    tap = tap_name(plan, netns)
    script = tap_bridge_script(plan, netns, tap)
    bridge = script.split("link add ", 1)[1].split()[0]
    for name in (tap, bridge):
        assert len(name) <= 15 and parse_name(name) == ("beef", "z"), name
    assert tap != bridge
    assert f"link set {netns.dut_ifname} master {bridge}" in script
    assert plan.dut_mac not in script, "the DUT MAC belongs to pytcp, not to a bridge port"
