"""Render a self-contained HTML conformance report (one index.html, inline CSS and JS)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from reports.anchors import anchors_for
from reports.banners import banners
from reports.behaviour import report_sections
from reports.failures import Failure, explain
from reports.ladder import Ladder, build_ladder
from reports.links import rebase_pcaps, safe_href
from reports.matrix import build_matrix
from reports.model import checkout_label, label_columns, validate_results
from reports.outcomes import CELL_LABELS, FAILING, OUTCOMES, failed_run, outcome_label
from reports.requirements import Requirement, describe, merged_catalogue
from reports.summary import NO_REQUIREMENT, build_summary

PACKAGE_DIR = Path(__file__).parent
# Tests whose details are in the page's DOM from the start. The others' details, rendered by
# the same template macro, travel in one gzip-compressed JSON object (anchor -> HTML) that the
# page's script decompresses and inserts when such a test is opened: with 10,000 tests the
# page stays a few megabytes and the browser builds no DOM for evidence nobody looks at.
EAGER_OUTCOMES = FAILING | {"xpassed"}
EAGER_LIMIT = 300  # at most this many eager tests, so a run where everything fails stays light
OPEN_LIMIT = 10  # failing tests shown unfolded when there are at most this many
FAILURES_LIMIT = 300  # entries of the failures section; the others are a filter link away


@dataclass(frozen=True)
class CaseView:
    anchor: str
    target: str  # the column label: the target, or "target (run)" for two runs of one target
    test: dict
    requirements: tuple[Requirement, ...]
    ladder: Ladder | None
    eager: bool
    failure: Failure | None  # set for a test the run counted as failed

    @property
    def rfcs(self) -> str:
        return "|".join(sorted({req.rfc for req in self.requirements})) or NO_REQUIREMENT

    @property
    def levels(self) -> str:
        return "|".join(sorted({req.level for req in self.requirements})) or NO_REQUIREMENT

    @property
    def req_ids(self) -> str:
        return " ".join(self.test["requirements"])


def render_report(results: list[dict], out_dir: str | Path,
                  source_dirs: list[str | Path] | None = None) -> Path:
    """Validate results documents, write ``out_dir/index.html``, return its path.

    One matrix column per document; two documents of one target are two labelled columns
    (``model.label_columns``), never merged. ``source_dirs[i]``, if given, is the folder
    results[i] was read from: it labels the column, and its relative pcap paths are
    rewritten to stay valid from ``out_dir``.
    Raises ``model.ResultsError`` for a malformed document, ``OSError`` if out_dir is
    not writable.
    """
    out = Path(out_dir)
    documents = [validate_results(run) for run in results]
    for document, source in zip(documents, source_dirs or [], strict=False):
        rebase_pcaps(document, Path(source), out)
    targets = label_columns(documents, [str(d) for d in source_dirs or []])
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(render_html(targets), encoding="utf-8")
    return path


def render_html(targets: list[dict]) -> str:
    """The report page for labelled, validated documents (one column each)."""
    catalogue = merged_catalogue(targets)
    cache: dict[str, Requirement] = {}

    def lookup(req_id: str) -> Requirement:
        if req_id not in cache:
            cache[req_id] = describe(req_id, catalogue)
        return cache[req_id]

    anchors = anchors_for([(run["label"], [t["id"] for t in run["tests"]]) for run in targets])
    eager_left = EAGER_LIMIT
    views = []
    for run, run_anchors in zip(targets, anchors, strict=True):
        target_views = []
        # Tests the run failed first (in run order), then the others: failures are never
        # behind a long list of passes.
        order = sorted(range(len(run["tests"])), key=lambda j: not failed_run(run["tests"][j]))
        for tj in order:
            test = run["tests"][tj]
            eager = eager_left > 0 and test["outcome"] in EAGER_OUTCOMES
            eager_left -= eager
            target_views.append(_test_view(run_anchors[tj], run["label"], test, lookup, eager))
        views.append(target_views)
    failures = [view for target_views in views for view in target_views if view.failure]
    matrix = build_matrix(targets, anchors, lookup)
    summary = build_summary(targets, lookup)
    rfcs = [row.name for row in summary.by_rfc]
    levels = [row.name for row in summary.by_level]
    env = _environment()
    test_body = env.get_template("_test.html.j2").module.test_body
    lazy = {
        view.anchor: str(test_body(view, run))
        for run, target_views in zip(targets, views, strict=True)
        for view in target_views if not view.eager
    }
    return env.get_template("index.html.j2").render(
        targets=targets,
        banners=banners(targets),
        views=views,
        failures=failures[:FAILURES_LIMIT],
        failures_total=len(failures),
        open_failures=len(failures) <= OPEN_LIMIT,
        matrix=matrix,
        behaviour=report_sections(targets, anchors),
        summary=summary,
        outcomes=OUTCOMES,
        rfcs=rfcs,
        levels=levels,
        cell_labels=CELL_LABELS,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        css=Markup(_static("report.css")),
        js=Markup(_static("report.js")),
        lazy_bodies=pack_bodies(lazy),
        # Only the report's own script may run, even if some text escaped escaping.
        script_nonce=secrets.token_urlsafe(16),
    )


def pack_bodies(bodies: dict[str, str]) -> str:
    """gzip + base64 of a JSON object; base64 has no character HTML would interpret."""
    raw = json.dumps(bodies, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def _test_view(anchor: str, label: str, test: dict, lookup, eager: bool) -> CaseView:
    failure = explain(test)
    ladder = None
    if test["frames"]:
        ladder = build_ladder(test["frames"], label,
                              failure.offending if failure else frozenset(),
                              failure.window if failure else None)
    return CaseView(
        anchor=anchor,
        target=label,
        test=test,
        requirements=tuple(lookup(req_id) for req_id in test["requirements"]),
        ladder=ladder,
        eager=eager,
        failure=failure,
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_href"] = safe_href
    env.filters["outcome_label"] = outcome_label
    env.filters["checkout_label"] = checkout_label
    env.filters["pretty_json"] = lambda value: json.dumps(value, indent=1, sort_keys=True,
                                                          ensure_ascii=False, default=str)
    return env


def _static(name: str) -> str:
    return (PACKAGE_DIR / "static" / name).read_text(encoding="utf-8")
