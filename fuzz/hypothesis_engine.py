"""The hypothesis engine: single-frame (and two-frame) cases drawn by :mod:`fuzz.strategies`,
run differentially, a new divergence shrunk by hypothesis to a minimal case.

Generation draws each case straight from hypothesis's ``ConjectureData`` (seeded, the same
strategies, the same choice sequences hypothesis's own engine would shrink) and runs it at
once: the ``@given`` engine's per-example bookkeeping (its data tree, mutations, example
lists) cost as much again as the draws themselves, which are most of a case's time (see
``fuzz/README.md``). The first case of a new signature is saved at once (unshrunk); then
hypothesis's ``ConjectureRunner`` shrinks its choice sequence, rerunning the case on the
target and the oracle, and every smaller case with the same signature overwrites the
finding: the last one is the minimal case (made durable).
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.control import BuildContext
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis.internal.conjecture.engine import ConjectureRunner
from hypothesis.internal.escalation import InterestingOrigin
from hypothesis.strategies import SearchStrategy

from fuzz.findings import Finding
from fuzz.runner import Campaign
from fuzz.scenarios import CANONICAL_VIEW, STATE_NAMES, on_connection
from fuzz.session import CaseRecord, DifferentialSession, TargetUnresponsive
from fuzz.strategies import LinkAddresses, any_frame, frame_sequences

CASES_PER_BATCH = 20000
SHRINK_SETTINGS = settings(database=None, deadline=None, phases=(Phase.shrink,),
                           suppress_health_check=list(HealthCheck))


class Diverged(Exception):
    """The case being shrunk diverged again with its signature (hypothesis's origin)."""


DIVERGED = InterestingOrigin.from_exception(Diverged())


def case_strategy(addrs: LinkAddresses, max_frames: int) -> SearchStrategy[tuple[bytes, ...]]:
    """Single frames (``max_frames`` 1) or short sequences, drawn against the canonical
    connection."""
    if max_frames == 1:
        return any_frame(addrs, CANONICAL_VIEW).map(lambda frame: (frame,))
    return frame_sequences(addrs, CANONICAL_VIEW, max_frames)


def draw(data: ConjectureData, strategy: SearchStrategy[Any]) -> Any:
    with BuildContext(data, wrapped_test=None):
        value = data.draw(strategy)
    return value


def _size(frames: tuple[bytes, ...]) -> tuple[int, int]:
    return len(frames), sum(map(len, frames))


class HypothesisEngine:
    def __init__(self, campaign: Campaign, states: tuple[str, ...] = STATE_NAMES,
                 max_frames: int = 2, cases_per_batch: int = CASES_PER_BATCH) -> None:
        self.campaign = campaign
        self.states = states
        self.max_frames = max_frames
        self.cases_per_batch = cases_per_batch
        # A resumed campaign goes on with cases it has not drawn yet.
        self.random = random.Random(f"{campaign.seed}:{campaign.previous.cases}")
        self.unresponsive = False

    def run(self) -> None:
        campaign = self.campaign
        while not campaign.done():
            self.unresponsive = False
            with campaign.batch() as session:
                strategy = case_strategy(session.addrs, self.max_frames)
                start = campaign.stats.cases
                while (not campaign.done() and not self.unresponsive
                       and campaign.stats.cases - start < self.cases_per_batch):
                    data = ConjectureData(random=self.random)
                    frames = draw(data, strategy)
                    data.freeze()
                    finding = self._run(session, frames)
                    if finding is not None and not self.unresponsive:
                        self._shrink(session, strategy, data.choices, finding)

    def _states_for(self, frames: tuple[bytes, ...]) -> tuple[str, ...]:
        """Every state for a segment of the connection; one for host-level frames."""
        return self.states if on_connection(frames) else self.states[:1]

    def _run(self, session: DifferentialSession, frames: tuple[bytes, ...],
             shrinking: Finding | None = None) -> Finding | None:
        """The case from each of its states; the first new finding (or, while shrinking, the
        finding when the case diverged with its signature again)."""
        campaign = self.campaign
        for state in self._states_for(frames):
            if campaign.time_left() <= 0:
                return None
            try:
                record = session.run_case(state, frames)
            except TargetUnresponsive as exc:
                self.unresponsive = True
                campaign.liveness(f"target unresponsive in {state}: {exc}",
                                  in_flight=CaseRecord(state, frames))
                return None
            if shrinking is not None and record.signature == shrinking.signature:
                campaign.count(record)
                if _size(frames) <= _size(shrinking.record.canonical):
                    shrinking.record = record
                    campaign.save(shrinking, durable=False)
                return shrinking
            finding = campaign.observe(record)
            if finding is not None and shrinking is None:
                return finding
        return None

    def _shrink(self, session: DifferentialSession, strategy: SearchStrategy[Any],
                choices: Any, finding: Finding) -> None:
        """hypothesis's shrinker on the case's choice sequence, each attempt run on both
        stacks; the finding keeps the smallest case that still diverges the same way."""
        def test_function(data: ConjectureData) -> None:
            frames = draw(data, strategy)
            if self.unresponsive or self.campaign.time_left() <= 0:
                return
            if self._run(session, frames, shrinking=finding) is finding:
                data.mark_interesting(DIVERGED)

        runner = ConjectureRunner(test_function, settings=SHRINK_SETTINGS, random=self.random)
        try:
            runner.cached_test_function(choices)
            if runner.interesting_examples:
                runner.shrink_interesting_examples()
        except Exception:  # noqa: BLE001 - hypothesis's Flaky when the target wavers: the
            pass  # smallest case seen so far is kept
        finally:
            finding.shrunk = True
            self.campaign.save(finding)


def run_hypothesis(campaign: Campaign, **kwargs: Any) -> None:
    HypothesisEngine(campaign, **kwargs).run()
