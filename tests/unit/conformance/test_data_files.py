"""The requirement catalogue and expectations files: valid ones load, bad ones say why."""

import pytest

from conformance.judge import expectations, store
from conformance.judge.divergence import Divergence
from conformance.requirements import catalogue


def test_the_shipped_catalogue_loads_with_unique_ids():
    cat = catalogue.load()
    assert len(cat) >= 10
    assert all(req.level in catalogue.LEVELS for req in cat.values())


@pytest.mark.parametrize(
    "text, message",
    [
        ("rfc = 'RFC 1'\n[[requirement]]\nid = 'x'\n", "missing"),
        ("rfc = 'RFC 1'\n[[requirement]]\nid='RFC1-1-MUST-a'\nsection='1'\nlevel='OFTEN'\n"
         "text='t'\n", "level"),
        ("rfc = 'RFC 1'\n[[requirement]]\nid='bad id'\nsection='1'\nlevel='MUST'\ntext='t'\n",
         "is not RFC"),
        ("not toml [", "not valid TOML"),
        ("[[requirement]]\n", "missing top-level rfc"),
    ],
)
def test_malformed_catalogue_is_one_clear_error(tmp_path, text, message):
    (tmp_path / "x.toml").write_text(text)
    with pytest.raises(catalogue.CatalogueError, match=message):
        catalogue.load(tmp_path)


def test_duplicate_requirement_ids_are_refused(tmp_path):
    entry = "[[requirement]]\nid='RFC1-1-MUST-a'\nsection='1'\nlevel='MUST'\ntext='t'\n"
    (tmp_path / "a.toml").write_text("rfc='RFC 1'\n" + entry)
    (tmp_path / "b.toml").write_text("rfc='RFC 1'\n" + entry)
    with pytest.raises(catalogue.CatalogueError, match="duplicate"):
        catalogue.load(tmp_path)


def test_expectations_need_a_reason(tmp_path):
    (tmp_path / "linux.toml").write_text("[[xfail]]\ntest = 'a::b'\n")
    with pytest.raises(expectations.ExpectationsError, match="reason"):
        expectations.load("linux", tmp_path)


def test_expectation_matching_exact_and_prefix(tmp_path):
    (tmp_path / "linux.toml").write_text(
        "[[xfail]]\ntest='a.py::t1'\nreason='r1'\n[[xfail]]\ntest='b.py::*'\nreason='r2'\n"
    )
    exps = expectations.load("linux", tmp_path)
    assert expectations.find(exps, "a.py::t1").reason == "r1"
    assert expectations.find(exps, "a.py::t10") is None
    assert expectations.find(exps, "b.py::anything[x]").reason == "r2"


def test_divergence_entries_need_a_reason_and_a_key(tmp_path):
    (tmp_path / "linux.toml").write_text("[[divergence]]\ntest = 'a::b'\n")
    with pytest.raises(expectations.ExpectationsError, match="divergence #1: needs a reason"):
        store.load("linux", tmp_path)
    (tmp_path / "linux.toml").write_text("[[divergence]]\nreason = 'r'\n")
    with pytest.raises(expectations.ExpectationsError, match="needs at least one of"):
        store.load("linux", tmp_path)
    (tmp_path / "linux.toml").write_text("[[divergence]]\nrule = 'R'\nreason = 'r'\nfeild = 'x'\n")
    with pytest.raises(expectations.ExpectationsError, match="unknown key"):
        store.load("linux", tmp_path)


def test_divergence_entries_explain_matching_divergences_and_report_stale_ones(tmp_path):
    (tmp_path / "linux.toml").write_text(
        "[[divergence]]\ntest='a.py::t'\nfield='tcp.*'\nrule='R1'\nreason='why'\nlink='L'\n"
        "[[divergence]]\ntest='a.py::t'\nfield='frame'\nreason='never seen'\n"
        "[[divergence]]\ntest='b.py::*'\nfield='dut.recv'\nreason='other test'\n")
    entries = store.load("linux", tmp_path)
    divs = [Divergence("field", "tcp.flags", "S", "R", "R1"),
            Divergence("field", "tcp.window", "1", "2", "R2")]
    divs, stale = entries.explain_test("a.py::t", divs)
    assert divs[0].explained and divs[0].reason == "why (L)"
    assert not divs[1].explained  # the rule differs
    assert [e.field for e in stale] == ["frame"]  # b.py's entry is not this test's business
