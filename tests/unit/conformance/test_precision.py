"""suites/precision.py's comparison and table, on hand-made results (pure)."""

from suites.precision import compare, markdown


def _results(outcomes, divergences=0):
    tests = [{"id": tid, "outcome": out, "message": f"Skipped: needs {tid}" if out == "skipped"
              else ""} for tid, out in outcomes.items()]
    if divergences:
        tests[0]["divergences"] = [{"rule": "r", "field": "f"}] * divergences
    return {"target": "linux", "started": "2026-12-06T07:00:00", "tests": tests,
            "environment": {"kernel": "6.18", "oracle": {"not_modelled": {"k": "v"}}}}


def test_changed_tests_and_unexplained_divergences_are_counted():
    base = _results({"a": "passed", "b": "passed", "c": "failed"})
    run = _results({"a": "skipped", "b": "passed", "c": "failed", "new": "passed"}, 2)
    c = compare(base, run)
    assert set(c["changed"]) == {"a"} and c["changed"]["a"][0] == "skipped"
    assert c["unexplained"] == 2 and c["failed"] == 1 and c["not_modelled"] == {"k": "v"}
    assert c["tests"] == 1


def test_a_test_run_per_family_counts_once():
    from suites.precision import test_of

    assert test_of("s/t.py::t[ipv4]") == test_of("s/t.py::t[ipv6]") == "s/t.py::t"
    assert test_of("s/t.py::t[ipv4-mapped]") == "s/t.py::t"
    assert test_of("s/t.py::t[ipv4-3]") == test_of("s/t.py::t[ipv6-3]") == "s/t.py::t[3]"
    assert test_of("s/t.py::t[3-ipv6-x]") == "s/t.py::t[3-x]"
    assert test_of("s/t.py::t[3]") == "s/t.py::t[3]" and test_of("s/t.py::t") == "s/t.py::t"
    base = _results({f"t{i}[{f}]": "passed" for i in range(10) for f in ("ipv4", "ipv6")})
    run = _results({f"t{i}[{f}]": "failed" for i in range(10) for f in ("ipv4", "ipv6")})
    c = compare(base, run)
    assert (c["tests"], len(c["changed"])) == (10, 20)
    text = markdown([("x=1", c)], base, "cmd")
    assert "| `x=1` | 10 | 20 | 0 | 20 | yes |" in text


def test_the_table_marks_a_sysctl_outside_the_bounds_and_lists_reasons():
    base = _results({"a": "passed"})
    good = compare(base, _results({"a": "skipped"}))
    bad = compare(base, _results({"a": "passed"}, 1))
    text = markdown([("x=1", good), ("y=2", bad), ("z=3", None)], base, "cmd")
    assert "| `x=1` | 1 | 1 | 0 | 0 | yes |" in text
    assert "| `y=2` | 0 | 0 | 1 | 0 | **no** |" in text
    assert "refused by this kernel" in text and "- skipped: `a`: Skipped: needs a" in text
    assert "`cmd`" in text


def test_the_list_holds_the_route_attributes_and_a_run_can_be_left_unmeasured():
    from suites.precision import ROUTE, ROUTE_SETUP, SYSCTLS

    attrs = {s[len(ROUTE):].split()[0] for s in SYSCTLS if s.startswith(ROUTE)}
    assert attrs == {"initcwnd", "initrwnd", "mtu", "advmss", "rto_min", "quickack"}
    assert ROUTE_SETUP.format("initcwnd 4").count(") initcwnd 4") == 2  # IPv4 and IPv6
    base = _results({"a": "passed"})
    text = markdown([("x=1", None)], base, "cmd", "not measured in this round")
    assert "| `x=1` | - | - | - | - | not measured in this round | |" in text


def test_a_setting_without_a_run_keeps_its_row_and_tests_from_an_earlier_table():
    from suites.precision import kept_rows

    base = _results({"a": "passed", "b": "passed"})
    earlier = markdown([("x=1", compare(base, _results({"a": "skipped", "b": "passed"}))),
                        ("y=2", compare(base, _results({"a": "passed", "b": "passed"}, 1))),
                        ("z=3", None)], base, "old")
    kept = kept_rows(earlier)
    assert set(kept) == {"x=1", "y=2"}  # z=3 was not measured: nothing to keep
    assert kept["x=1"][1][0] == "- skipped: `a`: Skipped: needs a"
    now = compare(base, _results({"a": "passed", "b": "failed"}))
    text = markdown([("x=1", None), ("y=2", now), ("z=3", None)], base, "new",
                    "not measured", kept)
    assert "| `x=1` | 1 | 1 | 0 | 0 | yes |" in text  # kept, with its changed test
    assert "- skipped: `a`: Skipped: needs a" in text
    assert "| `y=2` | 1 | 1 | 0 | 1 | yes |" in text  # measured again: this round's
    assert "| `z=3` | - | - | - | - | not measured | |" in text
    assert "1 rows have no run in this round" in text
    assert kept_rows(text)["x=1"] == kept["x=1"]


def test_a_run_runs_the_code_of_the_tree_the_tool_runs_from(monkeypatch, tmp_path):
    import argparse
    import os
    import sys

    import suites.precision as precision

    calls = []
    monkeypatch.setattr(precision.subprocess, "run",
                        lambda cmd, **kw: calls.append((cmd, kw["env"])) or argparse.Namespace(
                            returncode=2, stdout="", stderr="boom"))
    args = argparse.Namespace(reuse=False, no_run=False, target="linux", workers=0,
                              keyword=None)
    assert precision.run_suite(str(tmp_path / "r"), args, "route initcwnd 4") is None
    (cmd, env), = calls
    # not an installed `netconform` script, which runs the tree it was installed from
    assert cmd[:4] == [sys.executable, "-m", "conformance.cli.main", "run"]
    tree = os.path.dirname(os.path.dirname(os.path.abspath(precision.__file__)))
    assert env["PYTHONPATH"].split(os.pathsep)[0] == tree
    assert "--dut-setup" in cmd
