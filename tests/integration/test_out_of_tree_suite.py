"""A user's own suite outside the project (issue 12 item 6): two files with a same-named test
are two results, each with a working rerun command; --requirements adds the user's catalogue;
an unknown requirement id fails that test with one line, not the run; a test without a
requirement marker is reported as such."""

import shlex

from .runner import netconform, results, write_suite

TEST = '''
import pytest


@pytest.mark.requirement({req!r})
def test_closed_port(ex):
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S")
    conn.expect(flags="RA", seq=0, ack=conn.isn + 1)
'''
UNMARKED = '''
def test_unmarked(ex):
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S")
    conn.expect(flags="RA")
'''
CATALOGUE = '''standard = "MYLAB"

[[requirement]]
id = "MYLAB-1-MUST-closed-port"
section = "1"
level = "MUST"
text = "Our own reading: a SYN to a closed port is refused."
'''


def test_out_of_tree_suite_gives_one_result_per_file_and_working_reruns(tmp_path):
    suite = tmp_path / "mysuite"
    write_suite(suite / "one", TEST.format(req="RFC9293-3.10.7.1-MUST-closed-rst-ack"),
                "test_same.py")
    write_suite(suite / "two", TEST.format(req="MYLAB-1-MUST-closed-port"), "test_same.py")
    write_suite(suite / "two", TEST.format(req="RFC9293-9.9-MUST-no-such-thing"), "test_typo.py")
    write_suite(suite / "two", UNMARKED, "test_unmarked.py")
    (tmp_path / "req").mkdir()
    (tmp_path / "req" / "mylab.toml").write_text(CATALOGUE)
    out = tmp_path / "out"
    run = netconform("run", "--suite", str(suite), "--requirements", str(tmp_path / "req"),
                     "--out", str(out))
    assert run.returncode == 1, run.stdout + run.stderr  # the typo fails its test, not the run
    tests = {t["id"]: t for t in results(out)["tests"]}
    assert set(tests) == {"one/test_same.py::test_closed_port",
                          "two/test_same.py::test_closed_port",
                          "two/test_typo.py::test_closed_port",
                          "two/test_unmarked.py::test_unmarked"}
    assert tests["one/test_same.py::test_closed_port"]["outcome"] == "passed"
    assert tests["two/test_same.py::test_closed_port"]["outcome"] == "passed"
    assert results(out)["requirements"]["MYLAB-1-MUST-closed-port"]["level"] == "MUST"
    typo = tests["two/test_typo.py::test_closed_port"]
    assert typo["outcome"] == "failed"
    assert typo["message"].strip().splitlines() == [
        "unknown requirement id(s) RFC9293-9.9-MUST-no-such-thing: not in the catalogue "
        "(suites/requirements/, or a folder given with --requirements)"]
    assert tests["two/test_unmarked.py::test_unmarked"].get("no_requirement") is True
    assert "1 test(s) without a requirement marker" in run.stdout

    for name in ("one/test_same.py::test_closed_port", "two/test_same.py::test_closed_port"):
        argv = shlex.split(tests[name]["rerun"])
        assert argv[:2] == ["netconform", "run"]
        again = tmp_path / ("again-" + name.split("/")[0])
        rerun = netconform(*argv[1:], "--out", str(again))
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        (only,) = results(again)["tests"]
        assert only["outcome"] == "passed" and only["id"].endswith("test_same.py::test_closed_port")
        assert str(suite / name.split("::")[0]) in only["rerun"]
