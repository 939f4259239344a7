"""JUnit XML output, parsed back as a CI system would."""

import xml.etree.ElementTree as ET

from reports.junit import split_test_id, write_junit
from tests.reports import sample


def parse(tmp_path, results):
    path = write_junit(results, tmp_path / "junit.xml")
    return ET.parse(path).getroot()


def cases_by_name(root):
    return {case.get("name"): case for case in root.iter("testcase")}


def test_one_testcase_per_test_with_counts(tmp_path):
    root = parse(tmp_path, sample.standard_results())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert len(suite.findall("testcase")) == 5
    assert suite.get("tests") == "5"
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "2")
    assert suite.get("name") == "netconform.linux"
    assert root.get("tests") == "5"


def test_classname_name_time_and_requirement_properties(tmp_path):
    case = cases_by_name(parse(tmp_path, sample.standard_results()))["test_old_seq"]
    assert case.get("classname") == "suites.tcp.test_first_check"
    assert float(case.get("time")) == 0.012
    props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert props == [("requirement", sample.FIRST_CHECK)]


def test_failure_carries_message_and_diff_text(tmp_path):
    cases = cases_by_name(parse(tmp_path, sample.standard_results()))
    failure = cases["test_old_seq"].find("failure")
    assert failure.get("message") == "expected RST|ACK, got RST"
    assert "near-miss 1: tcp.flags: expected R., actual R" in failure.text
    assert "divergence tcp.flags: expected R., actual R" in failure.text
    error = cases["test_bad_csum_counted"].find("error")
    assert error is not None and "fixture netns failed" in error.get("message")
    assert cases["test_syn_to_closed_port[case1]"].find("failure") is None


def test_skipped_and_xfailed_are_skipped_with_reason(tmp_path):
    cases = cases_by_name(parse(tmp_path, sample.standard_results()))
    assert cases["test_bad_csum_dropped"].find("skipped").get("message") == "needs tracefs"
    xfail = cases["test_initial_rto"].find("skipped")
    assert xfail.get("message") == "expected failure: kernel sends RST without ACK"
    assert xfail.get("type") == "pytest.xfail"


def test_strict_xpass_is_a_failure(tmp_path):
    test = sample.make_test("a.py::test_x", "xpassed", message="[XPASS(strict)] bug 1")
    case = cases_by_name(parse(tmp_path, sample.make_results([test])))["test_x"]
    assert case.find("failure").get("message") == "[XPASS(strict)] bug 1"


def test_control_characters_and_markup_survive_as_valid_xml(tmp_path):
    payload = "bad\x00byte\x1b[31m " + sample.SCRIPT_PAYLOAD
    test = sample.make_test(f"a.py::test_x[{sample.ATTR_PAYLOAD}]", "failed", message=payload)
    root = parse(tmp_path, sample.make_results([test]))
    (case,) = root.iter("testcase")
    assert case.get("name") == f"test_x[{sample.ATTR_PAYLOAD}]"
    assert sample.SCRIPT_PAYLOAD in case.find("failure").get("message")
    assert "\x00" not in case.find("failure").text


def test_split_test_id():
    assert split_test_id("suites/a/test_b.py::TestC::test_d[x::y]") == (
        "suites.a.test_b.TestC.test_d[x", "y]")
    assert split_test_id("suites/a/test_b.py::test_d") == ("suites.a.test_b", "test_d")
    assert split_test_id("weird") == ("netconform", "weird")
