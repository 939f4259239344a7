"""Target.bed_hooks: a test needing a bed hook the target never offers is skipped before its bed
is made (conformance.author.ipsec.skip_unless_target_takes_ipsec, suites/ipsec/conftest.py); a
target that does not say (None) gets its bed, whose hooks then decide."""

from types import SimpleNamespace

import pytest

from conformance.author.ipsec import NO_IPSEC, skip_unless_target_takes_ipsec
from conformance.targets.gvisor import GvisorTarget
from conformance.targets.linux import LinuxTarget


def test_a_target_whose_beds_take_no_ipsec_skips_before_the_bed():
    with pytest.raises(pytest.skip.Exception, match=NO_IPSEC):
        skip_unless_target_takes_ipsec(SimpleNamespace(bed_hooks=frozenset()))
    skip_unless_target_takes_ipsec(SimpleNamespace(bed_hooks=frozenset({"set_ipsec"})))
    skip_unless_target_takes_ipsec(SimpleNamespace(bed_hooks=None))


def test_gvisor_says_its_beds_offer_no_hook_and_linux_leaves_it_to_the_bed():
    assert GvisorTarget.bed_hooks == frozenset()
    assert LinuxTarget.bed_hooks is None
