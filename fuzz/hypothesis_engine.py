"""The hypothesis engine: single-frame (and two-frame) cases drawn by the compact strategy
(:func:`fuzz.compact.compact_cases`, decoded by :mod:`fuzz.compact`), run differentially,
a new divergence shrunk by hypothesis to a minimal case.

Generation draws each case straight from hypothesis's ``ConjectureData``: the template as
an integer choice and the entropy as one bytes choice, the same choices ``compact_cases``
makes through ``sampled_from`` and ``binary`` (seeded; hypothesis's own shrinker works on
them). Measured on this machine: the ``@given`` engine's per-example bookkeeping (data tree,
mutations, spans of the nested strategies) costs some 600 us an example, the direct draw
about 120 us, and the figure (2,000 cases/s) needs the latter (see ``fuzz/README.md``).
This uses hypothesis internals (``ConjectureData``, ``ConjectureRunner``,
``InterestingOrigin``): ``pyproject.toml`` pins hypothesis to the tested minor release.

The first case of a new signature is saved at once (unshrunk); then ``ConjectureRunner``
shrinks its choice sequence, rerunning the case on the target and the oracle, and every
smaller case with the same signature overwrites the finding: the last one is the minimal case
(made durable). The shrunk choice sequence goes to an example database under the output
directory (``hypothesis-db/``, hypothesis's ``DirectoryBasedExampleDatabase``); a resumed
campaign replays those first (one that no longer diverges is dropped from it), then draws
cases it has not drawn yet.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    choices_from_bytes,
    choices_to_bytes,
)
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis.internal.conjecture.engine import ConjectureRunner
from hypothesis.internal.escalation import InterestingOrigin

from fuzz.compact import ENTROPY, FRAME_TEMPLATES, CompactDecoder
from fuzz.compact_ipv6 import FRAME_TEMPLATES_V6, CompactDecoder6
from fuzz.findings import Finding
from fuzz.runner import Campaign
from fuzz.scenarios import CANONICAL_VIEW, STATE_NAMES, on_connection
from fuzz.session import CaseRecord, DifferentialSession, TargetUnresponsive
from fuzz.strategies_ipv6 import Link6

FAMILIES = ("ipv4", "ipv6")  # --family: the compact templates of IPv4 or of IPv6

CASES_PER_BATCH = 20000
DATABASE_DIR = "hypothesis-db"
SHRINK_SETTINGS = settings(database=None, deadline=None, phases=(Phase.shrink,),
                           suppress_health_check=list(HealthCheck))


class Diverged(Exception):
    """The case being shrunk diverged again with its signature (hypothesis's origin)."""


DIVERGED = InterestingOrigin.from_exception(Diverged())


def draw_case(data: ConjectureData, decoder: CompactDecoder | CompactDecoder6,
              max_frames: int, templates: tuple[str, ...] = FRAME_TEMPLATES
              ) -> tuple[bytes, ...]:
    """One case from ``data``: the choices of ``compact_cases(addrs, view, max_frames)``
    (a shape when ``max_frames`` > 1: single, pair, fragment train; per frame a template
    index and ``ENTROPY`` octets), drawn without the strategy layers."""
    shape = data.draw_integer(0, 2) if max_frames > 1 else 0
    if shape == 2:
        return decoder.case((("fragments", data.draw_bytes(ENTROPY, ENTROPY)),), max_frames)
    last = len(templates) - 1
    parts = tuple((templates[data.draw_integer(0, last)],
                   data.draw_bytes(ENTROPY, ENTROPY)) for _ in range(1 + shape))
    return decoder.case(parts, max_frames)


def _size(frames: tuple[bytes, ...]) -> tuple[int, int]:
    return len(frames), sum(map(len, frames))


class HypothesisEngine:
    def __init__(self, campaign: Campaign, states: tuple[str, ...] = STATE_NAMES,
                 max_frames: int = 2, cases_per_batch: int = CASES_PER_BATCH,
                 family: str = "ipv4") -> None:
        self.campaign = campaign
        # ipv6: IPv6, ICMPv6 and ND frames (fuzz/compact_ipv6.py), host-level (one state)
        self.family = family
        self.templates = FRAME_TEMPLATES_V6 if family == "ipv6" else FRAME_TEMPLATES
        self.states = states
        self.max_frames = max_frames
        self.cases_per_batch = cases_per_batch
        # A resumed campaign goes on with cases it has not drawn yet.
        self.random = random.Random(f"{campaign.seed}:{campaign.previous.cases}")
        self.unresponsive = False
        self.diverged = False  # whether the last case run diverged (any signature)
        # New findings met while shrinking another, with their choices: shrunk after it.
        self.pending: list[tuple[Finding, Any]] = []
        self.database = DirectoryBasedExampleDatabase(Path(campaign.out) / DATABASE_DIR)
        suffix = ":ipv6" if family == "ipv6" else ""
        self.db_key = f"netconform:{max_frames}:{','.join(states)}{suffix}".encode()

    def decoder(self, session: DifferentialSession) -> CompactDecoder | CompactDecoder6:
        if self.family == "ipv6":
            return CompactDecoder6(Link6.from_endpoints(session.bed.endpoints))
        return CompactDecoder(session.addrs, CANONICAL_VIEW)

    def run(self) -> None:
        campaign = self.campaign
        replay = list(self.database.fetch(self.db_key))
        while not campaign.done():
            self.unresponsive = False
            with campaign.batch() as session:
                decoder = self.decoder(session)
                start = campaign.stats.cases
                while replay and not campaign.done() and not self.unresponsive:
                    self._replay(session, decoder, replay.pop(0))
                while (not campaign.done() and not self.unresponsive
                       and campaign.stats.cases - start < self.cases_per_batch
                       and not self.batch_spent(session)):
                    data = ConjectureData(random=self.random)
                    frames = draw_case(data, decoder, self.max_frames, self.templates)
                    data.freeze()
                    finding = self._run(session, frames)
                    if finding is not None and not self.unresponsive:
                        self._shrink_all(session, decoder, data.choices, finding)

    def batch_spent(self, session: DifferentialSession) -> bool:
        """Whether the batch's bed can give no more cases (an engine's own reason)."""
        return False

    def _replay(self, session: DifferentialSession, decoder: CompactDecoder | CompactDecoder6,
                saved: bytes) -> None:
        """A failing example of an earlier run, first; dropped if it no longer diverges."""
        choices = choices_from_bytes(saved)
        if choices is None:
            self.database.delete(self.db_key, saved)
            return
        data = ConjectureData.for_choices(choices)
        try:
            frames = draw_case(data, decoder, self.max_frames, self.templates)
        except Exception:  # noqa: BLE001 - saved by another shape of the engine: stale
            self.database.delete(self.db_key, saved)
            return
        self.diverged = False
        finding = self._run(session, frames)
        if not self.diverged and not self.unresponsive:
            self.database.delete(self.db_key, saved)
        if finding is not None and not self.unresponsive:
            self._shrink_all(session, decoder, choices, finding)

    def _shrink_all(self, session: DifferentialSession,
                    decoder: CompactDecoder | CompactDecoder6,
                    choices: Any, finding: Finding) -> None:
        """Shrink ``finding``, then the new findings met on the way (while time is left)."""
        self._shrink(session, decoder, choices, finding)
        while self.pending and not self.campaign.done() and not self.unresponsive:
            finding, choices = self.pending.pop(0)
            self._shrink(session, decoder, choices, finding)
        self.pending = []

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
            if record.mismatches or record.setup_mismatches:
                self.diverged = True
            if shrinking is not None and record.signature == shrinking.signature:
                campaign.count(record)
                if _size(frames) <= _size(shrinking.record.canonical):
                    shrinking.record = record
                    # The analysis is of the case kept: the smallest with the signature.
                    shrinking.explanation = campaign.explain(record)
                    campaign.save(shrinking, durable=False)
                return shrinking
            finding = campaign.observe(record)
            if finding is not None:
                if shrinking is None:
                    return finding
                self.pending.append((finding, None))
        return None

    def _shrink(self, session: DifferentialSession, decoder: CompactDecoder | CompactDecoder6,
                choices: Any, finding: Finding) -> None:
        """hypothesis's shrinker on the case's choice sequence, each attempt run on both
        stacks; the finding keeps the smallest case that still diverges the same way, and
        the example database its choices."""
        def test_function(data: ConjectureData) -> None:
            frames = draw_case(data, decoder, self.max_frames, self.templates)
            if self.unresponsive or self.campaign.time_left() <= 0:
                return
            met = len(self.pending)
            result = self._run(session, frames, shrinking=finding)
            self.pending[met:] = [(new, tuple(data.choices)) for new, _ in self.pending[met:]]
            if result is finding:
                data.mark_interesting(DIVERGED)

        saved = choices_to_bytes(choices)
        self.database.save(self.db_key, saved)
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
            shrunk = runner.interesting_examples.get(DIVERGED)
            if shrunk is not None:
                smaller = choices_to_bytes(shrunk.choices)
                if smaller != saved:
                    self.database.save(self.db_key, smaller)
                    self.database.delete(self.db_key, saved)


def run_hypothesis(campaign: Campaign, **kwargs: Any) -> None:
    HypothesisEngine(campaign, **kwargs).run()
