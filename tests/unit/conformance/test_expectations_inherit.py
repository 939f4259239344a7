"""A target's expectations may inherit another's (the vm target runs Linux too): the other
file's expected failures apply, less the ones named in ``[[not_inherited]]`` with a reason."""

import pytest

from conformance.judge import expectations


def _files(tmp_path, child: str) -> None:
    (tmp_path / "base.toml").write_text(
        '[[xfail]]\ntest = "suites/x.py::test_a"\nreason = "a"\n'
        '[[xfail]]\ntest = "suites/x.py::test_b"\nreason = "b"\n')
    (tmp_path / "child.toml").write_text(child)


def test_inherited_entries_apply_less_the_ones_not_inherited(tmp_path):
    _files(tmp_path, 'inherit = "base"\n'
                     '[[not_inherited]]\ntest = "suites/x.py::test_b"\nreason = "6.1 passes"\n'
                     '[[xfail]]\ntest = "suites/x.py::test_c"\nreason = "c"\n')
    assert [e.test for e in expectations.load("child", tmp_path)] == [
        "suites/x.py::test_a", "suites/x.py::test_c"]


@pytest.mark.parametrize("child, message", [
    ('inherit = "base"\n[[not_inherited]]\ntest = "suites/x.py::test_z"\nreason = "r"\n',
     "base.toml has no entry for suites/x.py::test_z"),
    ('inherit = "base"\n[[not_inherited]]\ntest = "suites/x.py::test_a"\n',
     "needs a test id and a reason"),
    ('inherit = "child"\n', "inherit names another target's file"),
])
def test_a_wrong_inheritance_is_one_clear_error(tmp_path, child, message):
    _files(tmp_path, child)
    with pytest.raises(expectations.ExpectationsError, match=message):
        expectations.load("child", tmp_path)
