"""The order the tests run in when several workers share the machine.

Tests of one file sit together in the collection, and so do their waits: a file of expected
failures that each wait out a 1 s deadline, or of timers of 3-5 s (TCP_CORK's probe,
keepalive). xdist hands every worker neighbouring tests of the collection, so the workers
waited at once while the CPUs idled: in a whole ``netconform run --target gvisor -n 2``,
14-15 % of the CPU time was idle, in bursts of up to 12 s at 85-91 % idle where one worker
waited in test_ack_rate_limit.py's deadlines and the other in test_cork.py's probe timers
(the sandboxes prepared for both all started). Spread over the run, one worker's waits overlap
the other's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

# (sqrt(5) - 1) / 2: the fractional parts of i * GOLDEN (the golden-ratio sequence) fill
# [0, 1) evenly, and items close in i land far apart once sorted by them.
GOLDEN = 0.6180339887498949


def spread(items: Sequence[T]) -> list[T]:
    """``items`` reordered so that neighbours in the collection run far apart. Deterministic:
    every xdist worker must collect the same order."""
    order = sorted(range(len(items)), key=lambda i: (i * GOLDEN) % 1.0)
    return [items[i] for i in order]
