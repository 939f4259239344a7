"""Writes a run's outputs into --out: results.json, junit.xml and the HTML report."""

from __future__ import annotations

import os
from typing import Any

from conformance.catalogue import Requirement


def catalogue_json(catalogue: dict[str, Requirement]) -> dict[str, dict[str, str]]:
    return {rid: {k: v for k, v in req.to_dict().items() if k != "id"}
            for rid, req in catalogue.items()}


def write_outputs(state: Any, config: Any) -> dict[str, Any]:
    out = state.out_dir
    results = state.collector.write(os.path.join(out, "results.json"),
                                    catalogue_json(state.catalogue))
    from reports.junit import write_junit

    write_junit(results, os.path.join(out, "junit.xml"))
    try:
        from reports.html import render_report
    except ImportError:  # the HTML renderer is optional for a results-only run
        return results
    render_report([results], out)
    return results
