"""Every rule id the oracle records, run for real, is in the vocabulary (issue 11, item 4).

The whole suite and a short campaign of each fuzz engine go through the oracle, against
``reference-inproc`` (no privileges needed) and, as root, against ``linux``; every rule id
recorded (the lockstep decisions and divergences in results.json, every fuzz case's decision
trace and mismatches, the findings' prediction.json and divergence.json) must be a catalogue
requirement or a profile refinement (suites/requirements/). The static twin of this test, over
the string literals of reference_stack/, is tests/unit/conformance/test_vocabulary.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.requirements import catalogue
from conformance.requirements.vocabulary import outside, recorded_in_results
from fuzz.runner import Campaign
from fuzz.session import CaseRecord
from fuzz.targets import build_target

from .whole_runs import whole_run

AS_ROOT = os.geteuid() == 0
TARGETS = [
    "reference-inproc",
    pytest.param("linux", marks=pytest.mark.skipif(not AS_ROOT, reason="linux needs root")),
]
ENGINES = ("hypothesis", "stateful", "boofuzz", "esp")
CAMPAIGN_S = 6.0
# fuzz/session.py's placeholder for "the oracle took no decision" (DifferentialSession
# .deciding_rule) in a mismatch: the absence of a rule, not an id the oracle recorded.
NO_DECISION = "no-decision"
MESSAGE = ("rule ids the oracle recorded that are not in suites/requirements/ (add a catalogue "
           "entry, or a refinement to the profile's file)")


@pytest.fixture(scope="module")
def vocab() -> catalogue.Vocabulary:
    return catalogue.load_vocabulary()


def _rules_in(data: Any) -> set[str]:
    """Every string under a "rule" key of a JSON document."""
    if isinstance(data, dict):
        found = {data["rule"]} if isinstance(data.get("rule"), str) else set()
        for value in data.values():
            found |= _rules_in(value)
        return found
    if isinstance(data, list):
        return set().union(*(_rules_in(item) for item in data)) if data else set()
    return set()


class RecordingCampaign(Campaign):
    """A campaign that also keeps the rule ids of every case it counts (every case of every
    engine is counted, found or not)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules: set[str] = set()
        self.cases = 0

    def count(self, record: CaseRecord) -> None:
        self.cases += 1
        self.rules.update(decision["rule"] for decision in record.trace())
        for mismatch in (*record.mismatches, *record.setup_mismatches):
            if mismatch.rule and mismatch.rule != NO_DECISION:
                self.rules.add(mismatch.rule)
        super().count(record)


def _run_engine(campaign: Campaign, engine: str) -> None:
    if engine == "hypothesis":
        from fuzz.hypothesis_engine import run_hypothesis

        run_hypothesis(campaign)
    elif engine == "esp":
        from fuzz.esp_engine import run_esp

        run_esp(campaign)
    elif engine == "stateful":
        from fuzz.stateful import run_stateful

        run_stateful(campaign)
    else:
        from fuzz.boofuzz_engine import run_boofuzz

        run_boofuzz(campaign)


@pytest.mark.parametrize("target", TARGETS)
def test_the_suite_records_only_vocabulary_ids(tmp_path_factory, vocab, target):
    run = whole_run(tmp_path_factory, target, timeout=900)  # (shared: whole_runs.py)
    assert run.returncode in (0, 1), run.stderr_tail
    recorded = recorded_in_results(run.results())
    assert len(recorded) >= 60, sorted(recorded)  # the suite exercises most of the oracle
    unknown = outside(recorded, vocab)
    assert not unknown, f"{MESSAGE}: {', '.join(unknown)}"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("target", TARGETS)
def test_each_fuzz_engine_records_only_vocabulary_ids(tmp_path, vocab, target, engine):
    if engine == "boofuzz":
        pytest.importorskip("boofuzz")
    tgt = build_target(target)
    if engine == "esp" and not tgt.capabilities.has_esp:
        pytest.skip(f"{target} has no ESP transforms")
    tgt.start()
    try:
        campaign = RecordingCampaign(tgt, tmp_path, seed=11, budget_s=CAMPAIGN_S,
                                     engine=engine, progress=None)
        _run_engine(campaign, engine)
        campaign.finish()
    finally:
        tgt.stop()
    recorded = set(campaign.rules)
    for name in ("prediction.json", "divergence.json"):
        for path in Path(tmp_path, "findings").glob(f"*/{name}"):
            recorded |= _rules_in(json.loads(path.read_text())) - {NO_DECISION}
    assert campaign.cases >= 10 and len(recorded) >= 10, (campaign.cases, sorted(recorded))
    unknown = outside(recorded, vocab)
    assert not unknown, f"{MESSAGE}: {', '.join(unknown)}"
