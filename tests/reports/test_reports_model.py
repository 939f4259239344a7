"""Loading, validating and merging results documents."""

import json

import pytest

from reports.model import (
    SCHEMA_ID,
    ResultsError,
    checkout_label,
    label_columns,
    load_results,
    validate_results,
    write_results,
)
from tests.reports import sample


def write(tmp_path, data, name="results.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_load_valid_document_normalises_missing_per_test_fields(tmp_path):
    doc = sample.standard_results()
    del doc["tests"][0]["frames"], doc["tests"][0]["mib_deltas"], doc["tests"][0]["message"]
    doc["tests"][1]["oracle"] = None
    loaded = load_results(write(tmp_path, doc))
    first, second = loaded["tests"][0], loaded["tests"][1]
    assert first["frames"] == [] and first["mib_deltas"] == {} and first["message"] is None
    assert second["oracle"] == []
    assert loaded["summary"] == {"passed": 1, "failed": 1, "xfailed": 1, "xpassed": 0,
                                 "skipped": 1, "error": 1}


def test_summary_is_recomputed_from_tests():
    doc = sample.standard_results()
    doc["summary"] = {"passed": 99}
    assert validate_results(doc)["summary"]["passed"] == 1


def test_validation_does_not_modify_its_input():
    doc = sample.standard_results()
    del doc["tests"][0]["frames"]
    validate_results(doc)
    assert "frames" not in doc["tests"][0]


@pytest.mark.parametrize("text, expected", [
    ("{not json", "not valid JSON (line 1, column 2"),
    ("", "not valid JSON"),
    ("[1, 2]", "expected a JSON object at top level, got an array"),
])
def test_unparseable_input_names_file_and_problem(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ResultsError) as info:
        load_results(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file_is_a_results_error(tmp_path):
    with pytest.raises(ResultsError, match="no such file"):
        load_results(tmp_path / "absent.json")


def broken(mutate):
    doc = sample.standard_results()
    mutate(doc)
    return doc


@pytest.mark.parametrize("doc, expected", [
    (broken(lambda d: d.pop("schema")), "unsupported schema None"),
    (broken(lambda d: d.update(schema="netconform-results/2")),
     "unsupported schema 'netconform-results/2'"),
    (broken(lambda d: d.pop("target")), "missing field 'target'"),
    (broken(lambda d: d.pop("tests")), "missing field 'tests'"),
    (broken(lambda d: d.update(environment=[])), "environment: expected an object, got an array"),
    (broken(lambda d: d.update(tests={})), "tests: expected an array, got an object"),
    (broken(lambda d: d["tests"][2].pop("outcome")), "tests[2]: missing field 'outcome'"),
    (broken(lambda d: d["tests"][0].pop("id")), "tests[0]: missing field 'id'"),
    (broken(lambda d: d["tests"][1].update(outcome="broken")),
     "outcome 'broken' is not one of passed, failed"),
    (broken(lambda d: d["tests"][1].update(frames="x")), ".frames: expected an array"),
    (broken(lambda d: d["tests"][1].update(duration_s=True)), "expected a number, got a boolean"),
    (broken(lambda d: d["tests"][1].update(requirements=[3])),
     "requirements[]: expected a string, got a number"),
    (broken(lambda d: d["tests"].append(dict(d["tests"][0]))), "duplicate test id"),
    (broken(lambda d: d["tests"].append("x")), "tests[5]: expected an object, got a string"),
])
def test_schema_violations_are_reported_in_one_line(doc, expected):
    with pytest.raises(ResultsError) as info:
        validate_results(doc)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_error_about_a_test_names_its_id():
    doc = broken(lambda d: d["tests"][1].update(outcome="nope"))
    with pytest.raises(ResultsError, match=r"tests\[1\] \(suites/tcp/test_first_check.py::"):
        validate_results(doc)


def test_one_column_per_document_labelled_by_target():
    columns = label_columns([validate_results(sample.standard_results("linux")),
                             validate_results(sample.standard_results("reference"))])
    assert [doc["label"] for doc in columns] == ["linux", "reference"]
    assert [len(doc["runs"]) for doc in columns] == [1, 1]


def test_two_runs_of_one_target_are_two_labelled_columns_never_merged():
    first = sample.make_results([sample.make_test("a.py::t1", "failed"),
                                 sample.make_test("a.py::t2")])
    second = sample.make_results([sample.make_test("a.py::t1", "passed"),
                                  sample.make_test("b.py::t3", requirements=[sample.ECHO_LEN])],
                                 started="2026-11-24T19:00:00+00:00",
                                 finished="2026-11-24T19:01:00+00:00",
                                 command="netconform run -k t1")
    docs = [validate_results(first), validate_results(second)]
    by_folder = label_columns(docs, ["/ci/run-a", "/ci/run-b"])
    assert [doc["label"] for doc in by_folder] == ["linux (run-a)", "linux (run-b)"]
    assert [{t["id"]: t["outcome"] for t in doc["tests"]} for doc in by_folder] == [
        {"a.py::t1": "failed", "a.py::t2": "passed"}, {"a.py::t1": "passed", "b.py::t3": "passed"}]
    same_folder = label_columns(docs, ["/ci/out", "/ci/out"])
    assert [doc["label"] for doc in same_folder] == [
        "linux (started 2026-11-24T18:50:00+00:00)", "linux (started 2026-11-24T19:00:00+00:00)"]
    alike = label_columns([docs[0], docs[0]])
    assert [doc["label"] for doc in alike] == ["linux (run 1)", "linux (run 2)"]


def test_write_results_round_trips_and_refuses_nan(tmp_path):
    doc = sample.standard_results()
    path = write_results(doc, tmp_path / "out.json")
    assert load_results(path)["tests"] == validate_results(doc)["tests"]
    assert json.loads(path.read_text())["schema"] == SCHEMA_ID
    doc["tests"][0]["duration_s"] = float("nan")
    with pytest.raises(ValueError):
        write_results(doc, tmp_path / "nan.json")


def test_the_checkout_is_validated_and_optional():
    assert validate_results(sample.standard_results())["checkout"]["commit"] == sample.COMMIT
    old = sample.standard_results()
    del old["checkout"]  # a document from before the field
    assert validate_results(old)["checkout"] is None
    for bad, expected in (({"commit": 3, "dirty": False}, "checkout.commit: expected a string"),
                          ({"commit": "ab"}, "checkout.dirty: expected a boolean, got null"),
                          ("ab", "checkout: expected an object")):
        with pytest.raises(ResultsError, match=expected):
            validate_results(dict(sample.standard_results(), checkout=bad))


def test_checkout_label():
    assert checkout_label({"commit": "1977481abc", "dirty": False}) == "1977481"
    assert checkout_label({"commit": "1977481abc", "dirty": True}, 9) == "1977481ab+dirty"
    assert checkout_label(None) == ""
