"""Skips decided before a test's bed is made (issue 16): a bed may cost a stack's start (a
gVisor sandbox, ~0.2 CPU-s), wasted on a test that skips on what the target is, not on what
its DUT does.

    @before_bed(check, *args, **kwargs)    # the marker ``before_bed``

The netconform plugin calls ``check(preview, *args, **kwargs)`` before it makes the bed (after
the ``needs`` and ``link_mtu`` markers' checks), where ``preview`` is a :class:`BedPreview`:
what is known of the bed before it is made. ``check`` is a function the test's body (or its
helper) runs on the bed as its first step, e.g. ``require_dut_sysctl``: the same code, so the
skip and its reason are those the body would give, only without a stack started for them.
Several markers on one test run in the order pytest lists them (the function's own, nearest
the ``def`` first, then its parameters', then the module's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.targets.base import Capabilities
from reference_stack.profiles import Profile

# The TestBed's optional hooks (conformance.targets.base.TestBed; None on a bed: not offered).
HOOKS = ("set_dut_sysctl", "set_link_mtu", "set_dut_route", "set_ipsec", "add_dut_address")


def _offered(*_args: Any) -> None:
    raise RuntimeError("a bed preview cannot act: a before_bed check only decides a skip")


@dataclass(frozen=True)
class BedPreview:
    """A bed before it is made: its capabilities and oracle profile as the bed will have them,
    the test's parameters (``params["family"]``, ...), and each hook of :data:`HOOKS` None
    where the target's beds never offer it (Target.bed_hooks), a stand-in that cannot be called
    where they may."""

    capabilities: Capabilities
    oracle_profile: Profile
    params: Mapping[str, Any] = field(default_factory=dict)
    set_dut_sysctl: Any = None
    set_link_mtu: Any = None
    set_dut_route: Any = None
    set_ipsec: Any = None
    add_dut_address: Any = None


def preview(bed_hooks: frozenset[str] | None, capabilities: Capabilities,
            oracle_profile: Profile, params: Mapping[str, Any]) -> BedPreview:
    """The preview of a bed of a target whose beds offer ``bed_hooks`` (None: unknown until a
    bed is made, so every hook may be there)."""
    hooks = {name: (_offered if bed_hooks is None or name in bed_hooks else None)
             for name in HOOKS}
    return BedPreview(capabilities, oracle_profile, dict(params), **hooks)


def before_bed(check: Any, *args: Any, **kwargs: Any) -> pytest.MarkDecorator:
    """The ``before_bed`` marker running ``check(preview, *args, **kwargs)`` (made with
    ``with_args``: ``pytest.mark.before_bed(check)`` would decorate ``check`` itself)."""
    return pytest.mark.before_bed.with_args(check, *args, **kwargs)


def run_checks(node: Any, bed: BedPreview) -> None:
    """The test's ``before_bed`` checks on ``bed`` (each may skip the test)."""
    for mark in node.iter_markers("before_bed"):
        check, *args = mark.args
        check(bed, *args, **mark.kwargs)
