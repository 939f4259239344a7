"""Writes a run's outputs into --out: results.json, junit.xml and the HTML report."""

from __future__ import annotations

import os
from typing import Any

from conformance.results import ResultsCollector, command_line
from reports.html import render_report
from reports.junit import write_junit
from reports.requirements import Requirement


def catalogue_json(catalogue: dict[str, Requirement]) -> dict[str, dict[str, str]]:
    return {rid: {"rfc": req.rfc, "section": req.section, "level": req.level, "text": req.text}
            for rid, req in catalogue.items()}


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
    results = state.collector.write(os.path.join(out, "results.json"),
                                    catalogue_json(state.catalogue))
    write_junit(results, os.path.join(out, "junit.xml"))
    render_report([results], out)
    return results
