"""Writes a run's outputs into --out: results.json, junit.xml and the HTML report."""

from __future__ import annotations

import os
from typing import Any

from conformance.cli.results import ResultsCollector, command_line
from conformance.requirements.vocabulary import requirements_json
from reports.html import render_report
from reports.junit import write_junit


def write_fuzz_outputs(target: str, out: str, findings: list[dict[str, Any]],
                       harness_version: str, environment: dict[str, Any] | None = None) -> None:
    """A campaign's findings as results.json and an HTML report in its output directory;
    ``environment``: what the campaign's oracle used (profile, sysctls)."""
    collector = ResultsCollector(target, command_line(), harness_version)
    collector.environment.update(environment or {})
    results = collector.write(os.path.join(out, "results.json"), {}, findings)
    render_report([results], out)


def write_outputs(state: Any, config: Any) -> dict[str, Any]:
    out = state.out_dir
    # Each requirement with the oracle's rules behind it (module:function, refinements).
    requirements = state.requirements.result() if state.requirements else requirements_json()
    for rid, req in state.catalogue.items():  # a user's own (--requirements DIR)
        requirements.setdefault(rid, {"rfc": req.rfc, "section": req.section,
                                      "level": req.level, "text": req.text, "rules": []})
    results = state.collector.write(os.path.join(out, "results.json"), requirements)
    write_junit(results, os.path.join(out, "junit.xml"))
    render_report([results], out)
    return results
