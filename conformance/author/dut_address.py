"""An IPv6 address added to the DUT's end of the test link for one test (RFC 4862: an
operator's ``ip addr add``, Duplicate Address Detection as the link's sysctls say; issue 13).

``add_dut_address(bed, "2001:db8::55/64")`` from a test body; the oracle adds it at the same
moment of its timeline (conformance.judge.timeline). A target that cannot skips the test.
"""

from __future__ import annotations

from typing import Any

import pytest

from reference_stack.wire.addr import ip6

DUT_ADDRESSES = "dut_addresses"  # bed.evidence key


def address_of(prefixed: str) -> bytes:
    """The address of ``addr/prefix`` (or of a bare address), packed."""
    return ip6(prefixed.partition("/")[0])


def add_dut_address(bed: Any, prefixed: str) -> None:
    address_of(prefixed)  # a malformed address fails here, not in the target
    if bed.add_dut_address is None:
        pytest.skip(f"the target offers no per-test address ({prefixed})")
    bed.add_dut_address(prefixed)  # (on the lockstep's timeline: conformance.judge.timeline)
    bed.evidence.setdefault(DUT_ADDRESSES, []).append(prefixed)
