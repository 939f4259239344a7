"""The results model: load, validate, normalise and merge results.json documents.

A results document is plain JSON (schema ``netconform-results/1``). ``validate_results``
returns a normalised deep copy in which every optional per-test list or dict is present, so
the rest of ``reports`` never has to guess; anything malformed raises ``ResultsError`` with one
line that says what and where.
"""

from __future__ import annotations

import json
from pathlib import Path

from reports.outcomes import OUTCOMES, count_outcomes

SCHEMA_ID = "netconform-results/1"

REQUIRED_TOP = {"target": str, "started": str, "environment": dict, "tests": list}
OPTIONAL_TOP = {
    "finished": (str, type(None)),
    "duration_s": (int, float),
    "harness_version": str,
    "checkout": (dict, type(None)),  # {"commit", "dirty"}; null: not run from a git checkout
    "command": str,
    "requirements": dict,
    "summary": dict,
    "findings": list,
    "complete": bool,  # false: the run stopped early (incomplete_reason says why)
    "incomplete_reason": (str, type(None)),
}
TEST_LISTS = ("requirements", "divergences", "frames", "diff", "oracle", "drop_reasons",
              "behaviour")
TEST_DICTS = ("mib_deltas", "ipsec")
# (xfail_intermittent: the expected failure's entry is intermittent, its rate and why)
TEST_TEXTS = ("message", "xfail_reason", "xfail_link", "xfail_intermittent", "pcap", "rerun")


class ResultsError(ValueError):
    """A results document is unreadable or does not follow the schema (one-line message)."""


def load_results(path: str | Path) -> dict:
    """Read, parse and validate one results.json; raise ResultsError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    try:
        return validate_results(data)
    except ResultsError as exc:
        raise ResultsError(f"{path}: {exc}") from None


def validate_results(data: object) -> dict:
    """Check a parsed document against schema 1 and return a normalised deep copy."""
    if not isinstance(data, dict):
        raise ResultsError(f"expected a JSON object at top level, got {_json_type(data)}")
    schema = data.get("schema")
    if schema != SCHEMA_ID:
        raise ResultsError(f"unsupported schema {schema!r} (expected {SCHEMA_ID!r})")
    for key, kind in REQUIRED_TOP.items():
        if key not in data:
            raise ResultsError(f"missing field {key!r}")
        _check_type(data[key], kind, key)
    for key, kind in OPTIONAL_TOP.items():
        if data.get(key) is not None:
            _check_type(data[key], kind, key)
    if data.get("checkout") is not None:
        _check_checkout(data["checkout"])
    result = _json_copy(data)
    result.setdefault("checkout", None)  # (a document written before the field existed)
    result.setdefault("requirements", {})
    for req_id, entry in result["requirements"].items():
        _check_requirement(req_id, entry)
    result.setdefault("findings", [])
    result["environment"] = _normalise_environment(result["environment"])
    seen: set[str] = set()
    result["tests"] = [_normalise_test(test, index, seen) for index, test in
                       enumerate(result["tests"])]
    result["summary"] = count_outcomes(result["tests"])
    return result


def label_columns(results: list[dict], sources: list[str | None] | None = None) -> list[dict]:
    """One report column per validated document, never merged: each gets a ``label``.

    The label is the target when that target has one document; when several documents have
    the same target, each is labelled ``target (folder)`` by the folder it was read from
    (``sources[i]``), or by its started time where folders are absent or alike, so a reader
    sees which run each result comes from. ``runs`` holds the document's run metadata.
    The inputs are not modified; the columns share their test entries with them.
    """
    sources = list(sources or []) + [None] * (len(results) - len(sources or []))
    by_target: dict[str, list[int]] = {}
    for index, run in enumerate(results):
        by_target.setdefault(run["target"], []).append(index)
    labels = [run["target"] for run in results]
    for target, indexes in by_target.items():
        if len(indexes) == 1:
            continue
        for key in (_folder_of, _started_of, _position_of):
            names = [key(results[i], sources[i], n) for n, i in enumerate(indexes, 1)]
            if all(names) and len(set(names)) == len(names):
                break
        for i, name in zip(indexes, names, strict=True):
            labels[i] = f"{target} ({name})"
    return [dict(run, label=label, runs=[_run_metadata(run)])
            for run, label in zip(results, labels, strict=True)]


def _folder_of(run: dict, source: str | None, position: int) -> str:
    return Path(source).name if source else ""


def _started_of(run: dict, source: str | None, position: int) -> str:
    return f"started {run['started']}"


def _position_of(run: dict, source: str | None, position: int) -> str:
    return f"run {position}"


def write_results(results: dict, path: str | Path) -> Path:
    """Validate and write a results document as strict JSON (no NaN, UTF-8)."""
    normalised = validate_results(results)
    path = Path(path)
    path.write_text(
        json.dumps(normalised, indent=1, allow_nan=False, ensure_ascii=False), encoding="utf-8"
    )
    return path


def _run_metadata(run: dict) -> dict:
    keys = ("started", "finished", "duration_s", "command", "harness_version", "checkout",
            "environment")
    return {key: run.get(key) for key in keys}


def checkout_label(checkout: dict | None, digits: int = 7) -> str:
    """The commit a run's code came from, abbreviated to ``digits`` hex digits, "+dirty"
    when its work tree had changes; "" when the run does not say (not a git checkout)."""
    if not checkout:
        return ""
    return checkout["commit"][:digits] + ("+dirty" if checkout["dirty"] else "")


def _json_copy(data: dict) -> dict:
    """A deep copy that also proves the document is JSON-safe (no NaN, no foreign types)."""
    try:
        return json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ResultsError(f"not JSON-safe: {exc}") from None


def _normalise_environment(env: dict) -> dict:
    env.setdefault("sysctls", {})
    env.setdefault("setup_commands", [])
    _check_type(env["sysctls"], dict, "environment.sysctls")
    _check_type(env["setup_commands"], list, "environment.setup_commands")
    return env


def _normalise_test(test: object, index: int, seen: set[str]) -> dict:
    where = f"tests[{index}]"
    if not isinstance(test, dict):
        raise ResultsError(f"{where}: expected an object, got {_json_type(test)}")
    for key in ("id", "outcome"):
        if key not in test:
            raise ResultsError(f"{where}: missing field {key!r}")
    _check_type(test["id"], str, f"{where}.id")
    where = f"{where} ({test['id']})"
    if test["id"] in seen:
        raise ResultsError(f"{where}: duplicate test id")
    seen.add(test["id"])
    if test["outcome"] not in OUTCOMES:
        raise ResultsError(
            f"{where}: outcome {test['outcome']!r} is not one of {', '.join(OUTCOMES)}"
        )
    duration = test.get("duration_s")
    if duration is None:
        test["duration_s"] = 0.0
    else:
        _check_type(duration, (int, float), f"{where}.duration_s")
    for key in TEST_LISTS:
        value = test.get(key)
        test[key] = [] if value is None else value
        _check_type(test[key], list, f"{where}.{key}")
    for key in TEST_DICTS:
        value = test.get(key)
        test[key] = {} if value is None else value
        _check_type(test[key], dict, f"{where}.{key}")
    for key in TEST_TEXTS:
        test.setdefault(key, None)
        if test[key] is not None:
            _check_type(test[key], str, f"{where}.{key}")
    for req in test["requirements"]:
        _check_type(req, str, f"{where}.requirements[]")
    for key in ("divergences", "frames", "diff", "oracle", "drop_reasons", "behaviour"):
        for item in test[key]:
            _check_type(item, dict, f"{where}.{key}[]")
    return test


def _check_checkout(checkout: dict) -> None:
    _check_type(checkout.get("commit"), str, "checkout.commit")
    dirty = checkout.get("dirty")
    if not isinstance(dirty, bool):
        raise ResultsError(f"checkout.dirty: expected a boolean, got {_json_type(dirty)}")


def _check_requirement(req_id: str, entry: object) -> None:
    """A catalogue entry; its optional ``rules``: objects with an id and their sites."""
    where = f"requirements[{req_id}]"
    _check_type(entry, dict, where)
    rules = entry.get("rules")  # type: ignore[union-attr]
    if rules is None:
        return
    _check_type(rules, list, f"{where}.rules")
    for i, rule in enumerate(rules):
        _check_type(rule, dict, f"{where}.rules[{i}]")
        _check_type(rule.get("id"), str, f"{where}.rules[{i}].id")
        _check_type(rule.get("sites", []), list, f"{where}.rules[{i}].sites")
        for site in rule.get("sites", []):
            _check_type(site, dict, f"{where}.rules[{i}].sites[]")
            _check_type(site.get("module"), str, f"{where}.rules[{i}].sites[].module")
            _check_type(site.get("function"), str, f"{where}.rules[{i}].sites[].function")


def _check_type(value: object, kind: type | tuple[type, ...], where: str) -> None:
    if isinstance(value, bool) and kind in ((int, float), int, float):
        raise ResultsError(f"{where}: expected a number, got a boolean")
    if not isinstance(value, kind):
        expected = _describe(kind)
        raise ResultsError(f"{where}: expected {expected}, got {_json_type(value)}")


def _describe(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", dict: "an object", list: "an array", int: "a number",
             float: "a number", type(None): "null"}
    return " or ".join(dict.fromkeys(names[k] for k in kinds))


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), "a value")
