"""An ``intermittent`` expected failure (a timing-dependent non-conformance) is not strict and
carries its measured rate; a bad value is one clear error."""

import pytest

from conformance.judge import expectations


def _load(tmp_path, extra: str):
    (tmp_path / "t.toml").write_text(
        '[[xfail]]\ntest = "suites/x.py::test_a"\nreason = "NON-CONFORMANCE: r"\n' + extra)
    return expectations.load("t", tmp_path)


def test_an_entry_is_strict_unless_intermittent(tmp_path):
    (exp,) = _load(tmp_path, "")
    assert exp.strict and exp.intermittent is None
    (exp,) = _load(tmp_path, 'intermittent = """failed 7 of 12\n  runs: a race"""\n')
    assert not exp.strict and exp.intermittent == "failed 7 of 12 runs: a race"


@pytest.mark.parametrize("value", ['""', '"   "', "3", "true", '["a"]'])
def test_a_bad_intermittent_value_is_one_clear_error(tmp_path, value):
    with pytest.raises(expectations.ExpectationsError,
                       match=r"t\.toml: xfail #1: intermittent is a text"):
        _load(tmp_path, f"intermittent = {value}\n")


def test_the_gvisor_stretch_ack_entry_is_intermittent():
    by_test = {e.test: e for e in expectations.load("gvisor")}
    exp = by_test["suites/tcp/test_receiver_acks.py::"
                  "test_full_sized_segments_are_acknowledged_at_least_every_second_one*"]
    assert not exp.strict and exp.reason.startswith("NON-CONFORMANCE")
    for family in ("ipv4", "ipv6"):
        assert expectations.find([exp], f"{exp.test[:-1]}[{family}]") is exp
