"""The CI gate against a baseline."""

from reports.gate import gate
from reports.model import validate_results
from tests.reports import sample

PASSING_ID = "suites/tcp/test_closed_port.py::test_syn_to_closed_port[case1]"
FAILING_ID = "suites/tcp/test_first_check.py::test_old_seq"
XFAIL_ID = "suites/tcp/test_rto.py::test_initial_rto"


def run_with(**changes):
    """The standard run with some tests replaced (test id -> new test dict, or None to drop)."""
    tests = []
    for test in sample.standard_tests():
        replacement = changes.get(test["id"], test)
        if replacement is not None:
            tests.append(replacement)
    return validate_results(sample.make_results(tests))


def kinds(result):
    return [(change.kind, change.subject) for change in result.regressions]


def test_same_run_twice_passes_the_gate():
    result = gate(run_with(), run_with())
    assert result.exit_code == 0
    assert result.regressions == ()
    assert result.lines()[0] == "gate: ok, no regression"


def test_passed_to_failed_is_a_regression_named_in_the_summary():
    regressed = sample.make_test(PASSING_ID, "failed")
    result = gate(run_with(), run_with(**{PASSING_ID: regressed}))
    assert result.exit_code == 1
    assert ("regression", PASSING_ID) in kinds(result)
    text = "\n".join(result.lines())
    assert text.startswith("gate: FAILED")
    assert f"regression: {PASSING_ID}: passed -> failed" in text


def test_passed_to_error_is_a_regression():
    errored = sample.make_test(PASSING_ID, "error", divergences=[])
    result = gate(run_with(), run_with(**{PASSING_ID: errored}))
    assert kinds(result) == [("regression", PASSING_ID), ("coverage-lost", sample.RST_CLOSED)]


def test_new_unexplained_divergence_is_a_regression_even_if_test_still_fails():
    other = {"field": "tcp.window", "expected": "65535", "actual": "0", "rule": "R",
             "explained": False}
    still_failing = sample.make_test(FAILING_ID, "failed", [sample.FIRST_CHECK])
    still_failing["divergences"].append(other)
    result = gate(run_with(), run_with(**{FAILING_ID: still_failing}))
    assert kinds(result) == [("new-divergence", FAILING_ID)]
    assert "tcp.window: expected 65535, actual 0" in str(result.regressions[0])


def test_known_or_explained_divergences_are_not_regressions():
    same_field_other_value = sample.make_test(FAILING_ID, "failed", [sample.FIRST_CHECK])
    same_field_other_value["divergences"][0]["actual"] = "RA"
    explained = {"field": "ip.id", "expected": "*", "actual": "0", "rule": "R", "explained": True}
    same_field_other_value["divergences"].append(explained)
    result = gate(run_with(), run_with(**{FAILING_ID: same_field_other_value}))
    assert result.exit_code == 0


def test_lost_coverage_is_a_regression():
    result = gate(run_with(), run_with(**{PASSING_ID: None}))
    assert kinds(result) == [("coverage-lost", sample.RST_CLOSED)]
    assert ("removed", PASSING_ID) in [(c.kind, c.subject) for c in result.notes]


def test_skipped_now_counts_as_lost_coverage():
    skipped = sample.make_test(PASSING_ID, "skipped")
    assert kinds(gate(run_with(), run_with(**{PASSING_ID: skipped}))) == [
        ("coverage-lost", sample.RST_CLOSED)]


def test_xpassed_is_a_prompt_not_a_regression():
    xpassed = sample.make_test(XFAIL_ID, "xpassed", [sample.RTO_INIT],
                               xfail_reason="kernel bug 1")
    result = gate(run_with(), run_with(**{XFAIL_ID: xpassed}))
    assert result.exit_code == 0
    assert [c.subject for c in result.xpassed] == [XFAIL_ID]
    assert "update the expectations file" in "\n".join(result.lines())


def test_strict_xpass_that_failed_the_run_is_a_regression():
    strict = sample.make_test(XFAIL_ID, "xpassed", [sample.RTO_INIT],
                              message="[XPASS(strict)] kernel bug 1")
    result = gate(run_with(), run_with(**{XFAIL_ID: strict}))
    assert kinds(result) == [("strict-xpassed", XFAIL_ID)]


def test_new_failing_test_is_a_regression_and_fixed_test_is_a_note():
    fixed = sample.make_test(FAILING_ID, "passed", [sample.FIRST_CHECK])
    new_tests = sample.standard_tests()
    new_tests[1] = fixed
    new_tests.append(sample.make_test("suites/udp/test_new.py::test_x", "failed", []))
    result = gate(run_with(), validate_results(sample.make_results(new_tests)))
    assert ("new-failure", "suites/udp/test_new.py::test_x") in kinds(result)
    assert ("fixed", FAILING_ID) in [(c.kind, c.subject) for c in result.notes]


def test_summary_lines_are_capped():
    tests = [sample.make_test(f"t.py::test_{i}") for i in range(80)]
    baseline = validate_results(sample.make_results(tests))
    broken = validate_results(sample.make_results(
        [sample.make_test(t["id"], "failed", divergences=[]) for t in tests]))
    lines = gate(baseline, broken).lines(limit=10)
    assert len(lines) == 12
    assert lines[-1] == "  ... and 70 more"


def test_intermittent_xpass_is_a_note_without_the_prompt():
    """An intermittent entry's pass (a timing-dependent non-conformance that did not show this
    time) is neither a regression nor an expectations file to update."""
    flaky = sample.make_test(XFAIL_ID, "xpassed", [sample.RTO_INIT], xfail_reason="race",
                             xfail_intermittent="failed 7 of 12 runs")
    result = gate(run_with(), run_with(**{XFAIL_ID: flaky}))
    assert result.exit_code == 0 and result.xpassed == ()
    assert [(c.kind, c.subject) for c in result.notes] == [("intermittent", XFAIL_ID)]
    assert "failed 7 of 12 runs" in str(result.notes[0])
    assert "update the expectations file" not in "\n".join(result.lines())
    # and back: the baseline's intermittent pass, the test's expected failure now
    assert gate(run_with(**{XFAIL_ID: flaky}), run_with()).exit_code == 0


def test_divergences_of_an_intermittent_expected_failure_are_notes():
    """Baseline: the race went well (xpassed, no divergence); now the non-conformance shows,
    with its divergence: a note, where a strict entry's new divergence is a regression."""
    passed = sample.make_test(XFAIL_ID, "xpassed", [sample.RTO_INIT], xfail_reason="race",
                              xfail_intermittent="failed 7 of 12 runs")
    showed = sample.make_test(XFAIL_ID, "xfailed", [sample.RTO_INIT],
                              xfail_intermittent="failed 7 of 12 runs")
    showed["divergences"] = [{"field": "tcp.ack", "expected": "1", "actual": "3", "rule": "R",
                              "explained": False}]
    result = gate(run_with(**{XFAIL_ID: passed}), run_with(**{XFAIL_ID: showed}))
    assert result.exit_code == 0
    assert [(c.kind, c.subject) for c in result.notes] == [("intermittent-divergence", XFAIL_ID)]
    strict = dict(showed, xfail_intermittent=None)
    result = gate(run_with(**{XFAIL_ID: dict(passed, xfail_intermittent=None)}),
                  run_with(**{XFAIL_ID: strict}))
    assert kinds(result) == [("new-divergence", XFAIL_ID)]
