"""The DUT's route to the tester given attributes for one test (issue 18): an operator's ``ip
route change <prefix route> mtu 1400 initcwnd 4``, on the route of one family, before the test
opens its connections; the oracle follows from the same moment of its timeline (the route's
attributes on that family's connections: conformance.judge.sysctls.profile_with_route_change).

``set_dut_route(bed, "ipv4", mtu=1400, initcwnd=4)`` from a test body; ``rto_min`` in
milliseconds, ``quickack`` 0 or 1 (``ip route`` spelling). A target without a routing table
(a userspace stack) skips the test.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.judge.sysctls import ROUTE_FAMILIES, ROUTE_FIELDS

DUT_ROUTE = "dut_route"  # bed.evidence key


def route_spelling(attrs: dict[str, int]) -> str:
    """``ip route`` attributes: "mtu 1400 rto_min 50ms"."""
    return " ".join(f"{name} {value}{'ms' if name == 'rto_min' else ''}"
                    for name, value in attrs.items())


def require_dut_route(bed: Any, **attrs: int) -> None:
    """Skip where the bed has no routing table to change; a test whose body starts by changing
    the route declares ``@pytest.mark.before_bed(require_dut_route, **attrs)`` to skip before
    its bed is made (conformance.author.before_bed)."""
    unknown = set(attrs) - set(ROUTE_FIELDS)
    if unknown:
        raise ValueError(f"route attributes {sorted(unknown)}: the oracle follows "
                         f"{sorted(ROUTE_FIELDS)}")
    if getattr(bed, "set_dut_route", None) is None:
        pytest.skip(f"the target has no routing table to change ({route_spelling(attrs)})")


def set_dut_route(bed: Any, family: str, **attrs: int) -> None:
    if family not in ROUTE_FAMILIES:
        raise ValueError(f"family {family!r}: one of {sorted(ROUTE_FAMILIES)}")
    require_dut_route(bed, **attrs)
    bed.set_dut_route(family, route_spelling(attrs))  # (on the lockstep's timeline)
    bed.evidence.setdefault(DUT_ROUTE, []).append({"family": family, **attrs})
