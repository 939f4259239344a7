"""The hypothesis engine: single-frame (and two-frame) cases drawn by :mod:`fuzz.strategies`,
run differentially, a new divergence shrunk by hypothesis to a minimal case.

Rounds of ``round_examples`` cases rotate over the scenarios' states. Inside a round, the
first case with a new signature is saved at once (unshrunk) and raised, so hypothesis
shrinks it; every smaller case with the same signature overwrites the finding, and the last
one hypothesis replays is the minimal case. The example database lives in the output
directory, so a resumed campaign replays earlier failures first.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.strategies import SearchStrategy

from fuzz.findings import Finding
from fuzz.runner import Campaign
from fuzz.scenarios import CANONICAL_VIEW, STATE_NAMES, on_connection
from fuzz.session import CaseRecord, DifferentialSession, TargetUnresponsive
from fuzz.strategies import LinkAddresses, any_frame, frame_sequences

CASES_PER_BATCH = 20000
ROUND_EXAMPLES = 100
# Cases drawn per hypothesis example: amortises hypothesis's per-example cost; shrinking
# deletes the cases that do not matter (they are independent), down to the one that diverges.
CASES_PER_EXAMPLE = 8


class Diverged(Exception):
    """Raised inside a hypothesis test so that it shrinks the case."""


def case_strategy(addrs: LinkAddresses, max_frames: int) -> SearchStrategy[tuple[bytes, ...]]:
    """Single frames (``max_frames`` 1) or short sequences, drawn against the canonical
    connection."""
    if max_frames == 1:
        return any_frame(addrs, CANONICAL_VIEW).map(lambda frame: (frame,))
    return frame_sequences(addrs, CANONICAL_VIEW, max_frames)


def _size(frames: tuple[bytes, ...]) -> tuple[int, int]:
    return len(frames), sum(map(len, frames))


class HypothesisEngine:
    def __init__(self, campaign: Campaign, states: tuple[str, ...] = STATE_NAMES,
                 max_frames: int = 2, round_examples: int = ROUND_EXAMPLES,
                 cases_per_batch: int = CASES_PER_BATCH,
                 cases_per_example: int = CASES_PER_EXAMPLE) -> None:
        self.campaign = campaign
        self.states = states
        self.max_frames = max_frames
        self.round_examples = round_examples
        self.cases_per_batch = cases_per_batch
        self.cases_per_example = cases_per_example
        self.database = DirectoryBasedExampleDatabase(str(campaign.out / "hypothesis-db"))
        self.shrinking: Finding | None = None
        self.unresponsive = False
        self.rounds = 0

    def run(self) -> None:
        while not self.campaign.done():
            self.unresponsive = False
            with self.campaign.batch() as session:
                strategy = st.lists(case_strategy(session.addrs, self.max_frames), min_size=1,
                                    max_size=self.cases_per_example)
                start = self.campaign.stats.cases
                while (not self.campaign.done() and not self.unresponsive
                       and self.campaign.stats.cases - start < self.cases_per_batch):
                    self._round(session, strategy)
                    self.rounds += 1

    def _round(self, session: DifferentialSession, strategy: Any) -> None:
        campaign = self.campaign

        def cases(drawn: list[tuple[bytes, ...]]) -> None:
            """Each drawn case (independent: a fresh tester port each), from each state."""
            for frames in drawn:
                for state in self._states_for(frames):
                    if self.unresponsive or campaign.time_left() <= 0:
                        return
                    try:
                        record = session.run_case(state, frames)
                    except TargetUnresponsive as exc:
                        self.unresponsive = True
                        campaign.liveness(f"target unresponsive in {state}: {exc}",
                                          in_flight=CaseRecord(state, frames))
                        return
                    self._judge(record, frames)

        cases._hypothesis_internal_add_digest = ",".join(self.states).encode()
        test = settings(
            max_examples=self.round_examples, deadline=None, database=self.database,
            suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
            verbosity=Verbosity.quiet, print_blob=False,
        )(hypothesis_seed(self.campaign.seed * 100003 + self.rounds)(given(strategy)(cases)))
        try:
            test()
        except Exception:  # noqa: BLE001 - Diverged, or hypothesis's Flaky when a target wavers
            pass
        finally:
            if self.shrinking is not None:
                self.shrinking.shrunk = True
                campaign.save(self.shrinking)
                self.shrinking = None

    def _states_for(self, frames: tuple[bytes, ...]) -> tuple[str, ...]:
        """Every state for a segment of the connection; one for host-level frames."""
        return self.states if on_connection(frames) else self.states[:1]

    def _judge(self, record: CaseRecord, frames: tuple[bytes, ...]) -> None:
        """Count the case; raise (for hypothesis to shrink) on the first new signature of the
        round and on any smaller case with the signature being shrunk."""
        campaign = self.campaign
        shrinking = self.shrinking
        if shrinking is not None and record.signature == shrinking.signature:
            campaign.count(record)
            if _size(frames) <= _size(shrinking.record.canonical):
                shrinking.record = record
                campaign.save(shrinking, durable=False)
            raise Diverged(shrinking.id)
        finding = campaign.observe(record)
        if finding is not None and shrinking is None:
            self.shrinking = finding
            raise Diverged(finding.id)


def run_hypothesis(campaign: Campaign, **kwargs: Any) -> None:
    HypothesisEngine(campaign, **kwargs).run()
