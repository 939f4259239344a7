"""Skips decided before a test's bed is made (conformance.author.before_bed, issue 16): a check
the body runs on its bed gives, on the bed's preview, the same skip with the same reason where
the target says its beds never offer the hook (Target.bed_hooks), and no skip where a bed may;
a preview cannot act; a test's checks run in pytest's marker order with their arguments."""

from types import SimpleNamespace

import pytest

from conformance.author.before_bed import BedPreview, before_bed, preview, run_checks
from conformance.author.link_mtu import require_link_mtu
from conformance.targets import base
from conformance.targets.base import Capabilities
from conformance.targets.gvisor import GvisorTarget
from conformance.targets.linux import LinuxTarget
from conformance.targets.lwip import LwipTarget
from conformance.targets.pytcp import PytcpTarget
from conformance.targets.vm import VmTarget
from reference_stack.profiles import PROFILES
from suites.ipv4.dut_sysctl import require_dut_sysctl
from suites.tcp.flight import needs_probes_off

CAPS = Capabilities(replies_synchronously=True)


def _skip_reason(check, bed, *args):
    with pytest.raises(pytest.skip.Exception) as info:
        check(bed, *args)
    return str(info.value)


def _bed_without_hooks(profile):
    return base.TestBed(link=None, dut=None, endpoints=None, capabilities=CAPS,
                   oracle_profile=profile)


@pytest.mark.parametrize("check, args", [
    (require_dut_sysctl, ("net.ipv4.tcp_syn_retries", "1")),
    (require_link_mtu, (9000,)),
    (needs_probes_off, ()),
])
def test_a_preview_without_the_hook_skips_as_the_bed_would(check, args):
    profile = PROFILES["gvisor"]  # (tail loss probes on: needs_probes_off applies)
    before = preview(frozenset(), CAPS, profile, {})
    assert _skip_reason(check, before, *args) == _skip_reason(
        check, _bed_without_hooks(profile), *args)


@pytest.mark.parametrize("hooks", [None, frozenset({"set_dut_sysctl", "set_link_mtu"})])
def test_a_preview_where_a_bed_may_offer_the_hook_does_not_skip(hooks):
    before = preview(hooks, CAPS, PROFILES["gvisor"], {})
    require_dut_sysctl(before, "net.ipv4.tcp_syn_retries", "1")
    require_link_mtu(before, 9000)
    needs_probes_off(before)
    with pytest.raises(RuntimeError, match="cannot act"):
        before.set_dut_sysctl("net.ipv4.tcp_syn_retries", "1")


def test_the_profile_decides_too():
    """rfc: no tail loss probes, so a flight without them needs no sysctl."""
    needs_probes_off(preview(frozenset(), CAPS, PROFILES["rfc"], {}))


def test_checks_run_with_their_arguments_in_marker_order():
    calls = []
    marks = [before_bed(lambda bed, *a, **k: calls.append((bed.params["mtu"], a, k)), 1, x=2),
             before_bed(lambda bed: calls.append("second"))]
    node = SimpleNamespace(iter_markers=lambda name: [m.mark for m in marks if m.name == name])
    run_checks(node, BedPreview(CAPS, PROFILES["rfc"], {"mtu": 576}))
    assert calls == [(576, (1,), {"x": 2}), "second"]


def test_a_single_callable_is_a_marker_argument_not_a_decorated_function():
    mark = before_bed(needs_probes_off)
    assert mark.name == "before_bed" and mark.args == (needs_probes_off,)


def test_the_targets_say_which_hooks_their_beds_offer():
    """A stack driven through an agent takes none; a VM's Linux sysctls and IPsec; the host
    kernel's beds leave it to the bed."""
    for target in (GvisorTarget, LwipTarget, PytcpTarget):
        assert target.bed_hooks == frozenset()
    assert VmTarget.bed_hooks == frozenset({"set_dut_sysctl", "set_ipsec"})
    assert LinuxTarget.bed_hooks is None
