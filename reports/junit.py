"""JUnit XML for CI systems (the Jenkins/GitLab/GitHub flavour that pytest also writes)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from reports.model import validate_results
from reports.outcomes import count_outcomes, failed_run

# Characters XML 1.0 cannot carry at all, even escaped (payload text may contain them).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
MESSAGE_LIMIT = 1000  # a failure's message attribute; the full text goes in the element


def write_junit(results: dict, path: str | Path) -> Path:
    """Write one <testsuite> (named after the target) with a <testcase> per test."""
    results = validate_results(results)
    path = Path(path)
    ET.ElementTree(junit_element(results)).write(path, encoding="utf-8", xml_declaration=True)
    return path


def junit_element(results: dict) -> ET.Element:
    counts = count_outcomes(results["tests"])
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": _clean(f"netconform.{results['target']}"),
        "tests": str(len(results["tests"])),
        "failures": str(sum(failed_run(t) and t["outcome"] != "error" for t in results["tests"])),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"] + counts["xfailed"]),
        "time": _seconds(sum(test["duration_s"] for test in results["tests"])),
        "timestamp": _clean(results["started"]),
        "hostname": _clean(str(results["environment"].get("hostname", ""))),
    })
    for test in results["tests"]:
        suite.append(_testcase(test))
    for key in ("tests", "failures", "errors", "skipped", "time"):
        suites.set(key, suite.get(key))
    return suites


def split_test_id(test_id: str) -> tuple[str, str]:
    """classname (dotted module path) and name (the rest) of a pytest node id."""
    module, sep, name = test_id.partition("::")
    if not sep:
        return "netconform", test_id
    classname = re.sub(r"\.py$", "", module).replace("/", ".").replace("\\", ".")
    parts = name.split("::")
    return ".".join([classname, *parts[:-1]]), parts[-1]


def failure_text(test: dict) -> str:
    """The message, then the unexplained divergences and the field diff, one per line."""
    lines = [test["message"]] if test["message"] else []
    for divergence in test["divergences"]:
        lines.append(
            f"divergence {divergence.get('field')}: expected {divergence.get('expected')}, "
            f"actual {divergence.get('actual')} [{divergence.get('rule')}]"
            + (f" (explained: {divergence.get('reason') or 'yes'})"
               if divergence.get("explained") else ""))
    for row in test["diff"]:
        lines.append(f"{row.get('frame')}: {row.get('field')}: expected {row.get('expected')}, "
                     f"actual {row.get('actual')}")
    if test["rerun"]:
        lines.append(f"rerun: {test['rerun']}")
    return "\n".join(lines)


def _testcase(test: dict) -> ET.Element:
    classname, name = split_test_id(test["id"])
    case = ET.Element("testcase", {"classname": _clean(classname), "name": _clean(name),
                                   "time": _seconds(test["duration_s"])})
    if test["requirements"]:
        properties = ET.SubElement(case, "properties")
        for req in test["requirements"]:
            ET.SubElement(properties, "property", {"name": "requirement", "value": _clean(req)})
    outcome = test["outcome"]
    if failed_run(test):
        text = _clean(failure_text(test))
        first = text.splitlines()[0] if text else outcome
        element = ET.SubElement(case, "error" if outcome == "error" else "failure",
                                {"message": first[:MESSAGE_LIMIT], "type": outcome})
        element.text = text
    elif outcome in ("skipped", "xfailed"):
        reason = test["xfail_reason"] if outcome == "xfailed" else None
        reason = reason or test["message"] or outcome
        xfail = outcome == "xfailed"
        message = f"expected failure: {reason}" if xfail else reason
        ET.SubElement(case, "skipped", {"message": _clean(message)[:MESSAGE_LIMIT],
                                        "type": "pytest.xfail" if xfail else "pytest.skip"})
    if test["pcap"]:
        ET.SubElement(case, "system-out").text = _clean(f"pcap: {test['pcap']}")
    return case


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)
