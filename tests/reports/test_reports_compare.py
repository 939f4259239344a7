"""gate and report say what they compare (issue 17, item 8)."""

import json

from conformance.cli.main import main
from reports.commands import gate_command, report_command
from tests.reports import sample


def write(folder, name, doc):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(doc))
    return str(path)


def one_error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("netconform: error: ")
    assert "Traceback" not in captured.err
    return lines[0], captured.out


def test_gate_against_a_baseline_of_another_target_is_exit_2_with_one_line(tmp_path, capsys):
    baseline = write(tmp_path, "base.json", sample.standard_results("reference"))
    new = write(tmp_path, "new.json", sample.standard_results("linux"))
    assert main(["gate", "--baseline", baseline, new]) == 2
    line, out = one_error_line(capsys)
    assert "baseline target is reference" in line and "--allow-target-change" in line
    assert "gate: ok" not in out


def test_gate_against_a_baseline_of_another_kernel_is_exit_2(tmp_path, capsys):
    old = sample.standard_results("linux")
    old["environment"]["kernel"] = "6.12.1"
    baseline = write(tmp_path, "base.json", old)
    new = write(tmp_path, "new.json", sample.standard_results("linux"))
    assert gate_command(baseline, new) == 2
    line, _ = one_error_line(capsys)
    assert "kernel 6.18.44, baseline kernel is 6.12.1" in line


def test_allow_target_change_compares_and_notes_the_change(tmp_path, capsys):
    baseline = write(tmp_path, "base.json", sample.standard_results("reference"))
    new = write(tmp_path, "new.json", sample.standard_results("linux"))
    assert main(["gate", "--baseline", baseline, new, "--allow-target-change"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (f"gate: comparing {new} (linux on kernel 6.18.44) with "
                                   f"baseline {baseline} (reference on kernel 6.18.44)")
    assert "target-changed: linux: baseline target is reference" in out


def test_gate_of_one_target_says_what_it_compares(tmp_path, capsys):
    run = write(tmp_path, "run.json", sample.standard_results("linux"))
    assert gate_command(run, run) == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first.startswith("gate: comparing") and "linux on kernel 6.18.44" in first
    assert second.startswith("gate: ok")


def test_report_of_two_runs_of_one_target_makes_two_labelled_columns(tmp_path, capsys):
    failing = sample.standard_results("linux")
    fixed_tests = sample.standard_tests()
    fixed_tests[1] = sample.make_test(fixed_tests[1]["id"], "passed", [sample.FIRST_CHECK])
    fixed = sample.make_results(fixed_tests, started="2026-11-25T10:00:00+00:00")
    first = write(tmp_path / "monday", "results.json", failing)
    second = write(tmp_path / "tuesday", "results.json", fixed)
    assert main(["report", first, second, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "linux (monday): 5 tests (1 passed, 1 failed" in out
    assert "linux (tuesday): 5 tests (2 passed, 1 xfailed" in out
    page = (tmp_path / "out" / "index.html").read_text()
    assert '<th class="target" data-target="linux (monday)">linux (monday)</th>' in page
    assert '<th class="target" data-target="linux (tuesday)">linux (tuesday)</th>' in page


def test_report_of_two_runs_in_one_folder_labels_them_by_start_time(tmp_path):
    later = sample.standard_results("linux")
    later["started"] = "2026-11-25T10:00:00+00:00"
    first = write(tmp_path / "a", "one.json", sample.standard_results("linux"))
    second = write(tmp_path / "a", "two.json", later)
    assert report_command([first, second], str(tmp_path / "out")) == 0
    page = (tmp_path / "out" / "index.html").read_text()
    assert "linux (started 2026-11-24T18:50:00+00:00)" in page
    assert "linux (started 2026-11-25T10:00:00+00:00)" in page
