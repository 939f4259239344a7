"""The stateful engine interleaves tester segments with DUT socket calls on both stacks, from a
passive or an active open; the reference against itself never diverges, and a planted bug is
found, shrunk to a few steps, saved with its steps and replayed (generated pytest file and
``netconform replay``) failing against the broken profile and passing against the correct one."""

from __future__ import annotations

import json

import pytest

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id
from conformance.targets.reference import InprocReferenceTarget
from fuzz.commands import replay_command
from fuzz.runner import Campaign
from fuzz.stateful import STATE_OF, run_stateful
from reference_stack.profiles import LINUX
from tests.fuzz.test_planted_bug import run_generated_test

PLANTED = "RFC5961-3.2-MUST-rst-challenge-ack"


def campaign_against(profile, tmp_path, budget_s, openings=("passive", "active"),
                     family="ipv4", **kwargs):
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(), profile)
    target.start()
    try:
        campaign = Campaign(target, tmp_path, seed=2, budget_s=budget_s, engine="stateful",
                            progress=None, family=family, **kwargs)
        run_stateful(campaign, examples=15, steps=8, openings=openings)
        return campaign.finish()
    finally:
        target.stop()


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_reference_against_itself_runs_calls_and_never_diverges(tmp_path, family):
    summary = campaign_against(LINUX, tmp_path, 3.0, family=family)
    findings = (tmp_path / "findings.json").read_text()
    assert summary["cases"] >= 15
    assert summary["divergences"] == 0 and summary["unique_findings"] == 0, findings
    cells = json.loads((tmp_path / "campaign.json").read_text())["cells"]
    kinds = {kind.split(":")[0] for _, kind in cells if kind != "none"}
    assert kinds == {"tcp6" if family == "ipv6" else "tcp"}, cells


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("opening", ["passive", "active"])
def test_planted_bug_is_found_shrunk_and_replayed_by_steps(tmp_path, opening, family,
                                                           monkeypatch):
    summary = campaign_against(LINUX.breaking(PLANTED), tmp_path, 60.0, openings=(opening,),
                               family=family,
                               stop_when=lambda finding: finding.signature[0] == PLANTED)
    records = {fid: json.loads((tmp_path / "findings" / fid / "finding.json").read_text())
               for fid in summary["new_findings"]}
    found = [fid for fid, r in records.items()
             if (r["rule"], r["state"]) == (PLANTED, STATE_OF[opening])]
    assert found, records
    record = records[found[0]]
    assert record["shrunk"] and record["family"] == family
    steps = record["steps"]
    assert any("frame" in step for step in steps)
    if opening == "active":  # the run began with the DUT's connect and the tester's SYN,ACK
        assert steps[0] == {"call": "connect"} and "frame" in steps[1]
    assert len(steps) <= 8, steps  # shrunk: the opening, a few steps, the RST that earns no ACK
    finding_dir = tmp_path / "findings" / found[0]
    test_file = finding_dir / "test_replay.py"
    assert run_generated_test(test_file, None) == 1  # fails against the broken profile
    assert run_generated_test(test_file, "") == 0  # passes against the correct one
    monkeypatch.setenv("NETCONFORM_REPLAY_BROKEN_RULES", PLANTED)
    assert replay_command(str(finding_dir)) == 1
