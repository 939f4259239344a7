"""Test ids across the families change (suites/conftest.py): a test run per address family
carries the family in its id (``test_x[ipv4]``, ``test_x[syn-ipv6]``). Its IPv4 run is the
test as it was before families, so an id without a family means ``[ipv4]``: `canonical`
gives every id the form a baseline written before families has (the ``ipv4`` part taken
out), and the gate and the expectation files compare ids in that form."""

from __future__ import annotations

FAMILY_IPV4 = "ipv4"


def canonical(test_id: str) -> str:
    """``x[ipv4]`` -> ``x``, ``x[syn-ipv4]`` / ``x[ipv4-syn]`` -> ``x[syn]``; other ids as
    they are (``[ipv6]`` and ``[ipv4-mapped]`` runs are tests of their own)."""
    if not test_id.endswith("]") or "[" not in test_id:
        return test_id
    head, _, params = test_id[:-1].partition("[")
    parts = params.split("-")
    kept = [p for i, p in enumerate(parts) if not (
        p == FAMILY_IPV4 and (i + 1 == len(parts) or parts[i + 1] != "mapped"))]
    if len(kept) == len(parts):
        return test_id
    return f"{head}[{'-'.join(kept)}]" if kept else head
