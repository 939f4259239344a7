"""A test's IPsec configuration (issue 15): its SPD and SAD (reference_stack/ipsec/config.py)
installed in the DUT (Linux: `ip xfrm`, conformance/dut/xfrm.py; the reference stack: its own
SPD and SAD) and, from the lockstep's timeline, in the oracle.

    set_ipsec(bed, IpsecConfig(policies, sas))

A target that cannot take one skips the test with the reason; one whose kernel has no ESP
transforms (the host's: `capabilities.has_esp` False) skips a configuration with SAs.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.dut.xfrm import describe
from reference_stack.ipsec.config import IpsecConfig

IPSEC = "ipsec"  # bed.evidence key: the configuration, described
IPSEC_CONFIG = "ipsec_config"  # bed.evidence key: the IpsecConfig (to open ESP frames)


NO_IPSEC = "the target takes no IPsec configuration"


def skip_unless_target_takes_ipsec(target: Any) -> None:
    """Before a bed is made: skip where the target's beds never take a configuration
    (Target.bed_hooks), as set_ipsec would once the bed is there."""
    if target.bed_hooks is not None and "set_ipsec" not in target.bed_hooks:
        pytest.skip(NO_IPSEC)


def set_ipsec(bed: Any, config: IpsecConfig) -> None:
    if getattr(bed, "set_ipsec", None) is None:
        pytest.skip(NO_IPSEC)
    if config.sas and not bed.capabilities.has_esp:
        pytest.skip("the target has no ESP transforms (capabilities.has_esp is False)")
    bed.set_ipsec(config)  # (on the lockstep's timeline: conformance.judge.timeline)
    bed.evidence[IPSEC] = describe(config)
    bed.evidence[IPSEC_CONFIG] = config
