"""The report and gate commands: summaries, exit codes, one-line errors."""

import json

from reports.commands import gate_command, report_command
from tests.reports import sample


def write(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def test_report_command_writes_index_and_summarises(tmp_path, capsys):
    linux = write(tmp_path, "linux.json", sample.standard_results("linux"))
    ref = write(tmp_path, "ref.json", sample.standard_results("reference"))
    assert report_command([linux, ref], str(tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "out" / "index.html").exists()
    assert "linux: 5 tests (1 passed, 1 failed, 1 xfailed, 1 skipped, 1 error)" in out
    assert f"report: {tmp_path / 'out' / 'index.html'}" in out


def assert_one_line_error(capsys, *fragments):
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("netconform: error: ")
    assert "Traceback" not in captured.err
    for fragment in fragments:
        assert fragment in lines[0]


def test_report_command_bad_json_is_exit_2_with_one_line(tmp_path, capsys):
    bad = write(tmp_path, "bad.json", "{oops")
    assert report_command([bad], str(tmp_path / "out")) == 2
    assert_one_line_error(capsys, "bad.json", "not valid JSON")


def test_report_command_wrong_schema_and_missing_file(tmp_path, capsys):
    wrong = write(tmp_path, "wrong.json", {"schema": "other"})
    assert report_command([wrong], str(tmp_path / "out")) == 2
    assert_one_line_error(capsys, "unsupported schema 'other'")
    assert report_command([str(tmp_path / "nope.json")], str(tmp_path / "out")) == 2
    assert_one_line_error(capsys, "nope.json: no such file")


def test_report_command_unwritable_output_is_exit_2(tmp_path, capsys):
    results = write(tmp_path, "r.json", sample.standard_results())
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert report_command([results], str(blocker / "out")) == 2
    assert_one_line_error(capsys, str(blocker))


def test_gate_command_same_run_twice_is_exit_0(tmp_path, capsys):
    run = write(tmp_path, "run.json", sample.standard_results())
    assert gate_command(run, run) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("gate: ok")


def test_gate_command_regression_is_exit_1_naming_the_test(tmp_path, capsys):
    baseline = write(tmp_path, "base.json", sample.standard_results())
    tests = sample.standard_tests()
    tests[0] = sample.make_test(tests[0]["id"], "failed")
    new = write(tmp_path, "new.json", sample.make_results(tests))
    assert gate_command(baseline, new) == 1
    out = capsys.readouterr().out
    assert "gate: FAILED" in out
    assert f"regression: {tests[0]['id']}: passed -> failed" in out


def test_gate_command_bad_baseline_is_exit_2(tmp_path, capsys):
    run = write(tmp_path, "run.json", sample.standard_results())
    broken = sample.standard_results()
    del broken["tests"][0]["id"]
    bad = write(tmp_path, "bad.json", broken)
    assert gate_command(bad, run) == 2
    assert_one_line_error(capsys, "bad.json", "tests[0]: missing field 'id'")


def test_report_in_another_folder_keeps_pcap_links_valid(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    results = write(run_dir, "results.json", sample.standard_results())
    assert report_command([results], str(tmp_path / "site" / "report")) == 0
    page = (tmp_path / "site" / "report" / "index.html").read_text()
    assert 'href="../../run/pcaps/suites_tcp_test_first_check.py__test_old_seq.pcap"' in page
