"""The fuzzer finds a bug planted in the reference stack: a target that ignores RFC 5961 3.2
(no challenge ACK for an in-window RST that is not at RCV.NXT) is compared with the correct
oracle; the campaign must save a shrunk finding of at most two frames whose generated pytest
file fails against the broken profile and passes against the correct one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id
from conformance.targets.reference import InprocReferenceTarget
from fuzz.hypothesis_engine import run_hypothesis
from fuzz.runner import Campaign
from reference_stack.profiles import LINUX

PLANTED = "RFC5961-3.2-MUST-rst-challenge-ack"
REPO = Path(__file__).resolve().parents[2]


def run_generated_test(path: Path, broken_rules: str | None) -> int:
    env = dict(os.environ)
    if broken_rules is not None:
        env["NETCONFORM_REPLAY_BROKEN_RULES"] = broken_rules
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:xdist", str(path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode


def test_campaign_finds_shrinks_and_replays_a_planted_bug(tmp_path):
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(),
                                  LINUX.breaking(PLANTED))
    target.start()
    try:
        campaign = Campaign(target, tmp_path, seed=3, budget_s=60.0, engine="hypothesis",
                            progress=None, stop_after_findings=1)
        run_hypothesis(campaign, states=("ESTABLISHED",))
        summary = campaign.finish()
    finally:
        target.stop()
    assert summary["new_findings"], "no finding within 60 s"
    finding_dir = tmp_path / "findings" / summary["new_findings"][0]
    record = json.loads((finding_dir / "finding.json").read_text())
    assert record["rule"] == PLANTED
    assert record["shrunk"] and 1 <= record["frames"] <= 2
    assert (finding_dir / "exchange.pcap").stat().st_size > 24
    test_file = finding_dir / "test_replay.py"
    assert run_generated_test(test_file, None) == 1  # fails against the broken profile
    assert run_generated_test(test_file, "") == 0  # passes against the correct one
