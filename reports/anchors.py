"""Stable, valid and unique HTML ids for tests: derived from the column and the test id only.

An id keeps the readable part of the test id (letters, digits, ``_``, ``-``; anything else
becomes ``-``, so the id is also a plain CSS selector) and ends with a short hash of the exact
(column, test id) pair, so two ids that slug alike still differ and a link to a test
survives reruns and reordering.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_SLUG = 120
HASH_LEN = 8


def anchor_of(column: str, test_id: str) -> str:
    digest = hashlib.sha1(f"{column}\0{test_id}".encode()).hexdigest()[:HASH_LEN]
    slug = _UNSAFE.sub("-", f"{column}--{test_id}").strip("-")[:MAX_SLUG]
    return f"t-{slug}-{digest}"


def anchors_for(columns: list[tuple[str, list[str]]]) -> list[list[str]]:
    """Anchors of every test of every (column label, test ids); raises on a collision
    (two tests of one column with one id are rejected earlier, by the results model)."""
    seen: dict[str, tuple[str, str]] = {}
    result = []
    for column, ids in columns:
        row = []
        for test_id in ids:
            anchor = anchor_of(column, test_id)
            if seen.setdefault(anchor, (column, test_id)) != (column, test_id):
                raise ValueError(f"anchor collision: {anchor}")
            row.append(anchor)
        result.append(row)
    return result
