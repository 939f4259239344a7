"""Divergences analysed and explained: known differences between the oracle and a target that
are not target bugs (oracle gaps, missing variance). Data, one entry per signature pattern;
a finding matching one is kept and reported as explained, and does not fail the campaign.

Each entry: (rule, state or "*", response-class prefix) -> explanation.
"""

from __future__ import annotations

KNOWN: tuple[tuple[str, str, str, str], ...] = ()


def explain(signature: tuple[str, str, str]) -> str | None:
    rule, state, response = signature
    for known_rule, known_state, prefix, why in KNOWN:
        if known_rule == rule and known_state in ("*", state) and response.startswith(prefix):
            return why
    return None
