"""The command functions: bad input is one error line and exit 2; a campaign writes its
findings index and summary; the boofuzz engine runs through the harness link with its web UI
off and its database in the output directory."""

from __future__ import annotations

import json

import pytest

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id
from conformance.targets.reference import InprocReferenceTarget
from fuzz.boofuzz_engine import run_boofuzz
from fuzz.commands import findings_of, fuzz_command, replay_command
from fuzz.runner import Campaign
from reference_stack.profiles import LINUX


@pytest.mark.parametrize("args, message", [
    (("nosuch", "hypothesis", 1.0), "unknown target 'nosuch'"),
    (("reference-inproc", "afl", 1.0), "unknown engine 'afl'"),
    (("reference-inproc", "hypothesis", 0.0), "--budget must be a positive number"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, capsys):
    assert fuzz_command(*args, seed=1, out_dir=str(tmp_path / "out")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netconform: error: ") and message in err[0]


def test_out_dir_that_is_a_file_is_bad_input(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("x")
    assert fuzz_command("reference-inproc", "hypothesis", 1.0, 1, str(path)) == 2
    assert "not a directory" in capsys.readouterr().err


def test_replay_of_a_non_finding_is_bad_input(tmp_path, capsys):
    assert replay_command(str(tmp_path)) == 2
    assert capsys.readouterr().err.startswith("netconform: error: ")


def test_campaign_against_the_reference_is_clean_and_resumable(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert fuzz_command("reference-inproc", "hypothesis", 2.0, 5, out) == 0
    summary = json.loads((tmp_path / "out" / "fuzz-summary.json").read_text())
    assert summary["cases"] > 100 and summary["divergences"] == 0
    assert findings_of(out) == []
    assert "0 divergences" in capsys.readouterr().out
    assert fuzz_command("reference-inproc", "hypothesis", 1.0, 6, out) == 0
    resumed = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert resumed["cases"] > summary["cases"]


def test_boofuzz_engine_checks_every_case_against_the_oracle(tmp_path):
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(), LINUX)
    target.start()
    try:
        campaign = Campaign(target, tmp_path, seed=1, budget_s=2.0, engine="boofuzz",
                            progress=None)
        run_boofuzz(campaign)
        summary = campaign.finish()
    finally:
        target.stop()
    assert summary["cases"] > 200 and summary["divergences"] == 0
    assert (tmp_path / "boofuzz.db").is_file()
    assert json.loads((tmp_path / "boofuzz-progress.json").read_text())["next_index"] > 200
