"""Test ids across address families: the IPv4 run of a test keeps the id a baseline from
before the families has (reports/family_ids.py), in the gate and the expectation files."""

from conformance.judge.expectations import Expectation
from reports.family_ids import canonical
from reports.gate import gate


def test_canonical_takes_out_the_ipv4_family_only():
    assert canonical("suites/tcp/t.py::test_x[ipv4]") == "suites/tcp/t.py::test_x"
    assert canonical("t.py::test_x[syn-ipv4]") == "t.py::test_x[syn]"
    assert canonical("t.py::test_x[ipv4-syn]") == "t.py::test_x[syn]"
    assert canonical("t.py::test_x[ipv6]") == "t.py::test_x[ipv6]"
    assert canonical("t.py::test_x[ipv4-mapped]") == "t.py::test_x[ipv4-mapped]"
    assert canonical("t.py::test_x[syn-ipv4-mapped]") == "t.py::test_x[syn-ipv4-mapped]"
    assert canonical("t.py::test_x") == "t.py::test_x"


def _run(tests):
    return {"target": "linux", "tests": tests, "environment": {}}


def test_gate_maps_an_old_id_to_the_ipv4_run():
    old = _run([{"id": "t.py::test_x", "outcome": "passed", "divergences": [],
             "requirements": []}])
    new = _run([{"id": "t.py::test_x[ipv4]", "outcome": "failed", "divergences": [],
             "requirements": []},
                {"id": "t.py::test_x[ipv6]", "outcome": "passed", "divergences": [],
             "requirements": []}])
    result = gate(old, new)
    assert [c.subject for c in result.regressions] == ["t.py::test_x[ipv4]"]
    assert not [c for c in result.notes if c.kind == "removed"]


def test_an_expectation_without_family_names_the_ipv4_run():
    exp = Expectation("t.py::test_x[syn]", "reason")
    assert exp.matches("t.py::test_x[syn-ipv4]")
    assert not exp.matches("t.py::test_x[syn-ipv6]")
