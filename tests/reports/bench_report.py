"""Benchmark of the HTML report with 10,000 tests, printed as JSON lines.

Run from the repository root: ``python -m tests.reports.bench_report [--tests N]``.
Targets: render under 5 s, page load (to the load event) under 3 s. The browser figures need
Chromium (/usr/bin/chromium) and are left out, with a note on stderr, without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from reports.gate import gate
from reports.html import render_report
from reports.junit import write_junit
from reports.model import validate_results
from tests.reports import sample
from tests.reports.browser import Browser, chromium_path


def emit(name: str, value: float, unit: str = "s", **extra) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, **extra}),
          flush=True)


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def bench_page(browser: Browser, index: Path, label: str) -> None:
    emit(f"report_open_{label}_s", browser.open(index), note="navigation to load event, cold")
    emit(f"report_open_{label}_again_s", browser.open(index), note="second load")
    timing = browser.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
    emit(f"report_parsed_{label}_s", timing["domInteractive"] / 1000,
         note="navigation timing: file read and HTML parsed (second load)")
    first_lazy = browser.evaluate(
        "(() => { const d = document.querySelector('details.test.lazy');"
        " return d ? d.id : ''; })()")
    if first_lazy:
        start = time.perf_counter()
        browser.click(f"#{first_lazy} > summary")
        browser.wait_for(f"document.querySelector('#{first_lazy} svg.ladder') !== null", 30)
        emit(f"report_first_details_{label}_s", time.perf_counter() - start,
             note="click on a passing test until its ladder is drawn (decompresses all)")
    start = time.perf_counter()
    browser.click("#f-outcome input[value='passed']")
    browser.evaluate("document.getElementById('f-count').value")
    emit(f"report_filter_{label}_s", time.perf_counter() - start,
         note="uncheck 'passed' until the count is updated")
    if browser.console_errors:
        print(f"console errors: {browser.console_errors}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10_000)
    args = parser.parse_args()
    count = args.tests
    label = f"{count // 1000}k" if count % 1000 == 0 else str(count)
    mostly_passing = sample.big_results(count, fail_every=50)
    all_failing = sample.big_results(count, fail_every=1)
    with tempfile.TemporaryDirectory(prefix="nc-bench-") as tmp:
        out = Path(tmp)
        seconds, index = timed(render_report, [mostly_passing], out / "mostly")
        emit(f"report_render_{label}_s", seconds, note="2% failing")
        emit(f"report_html_{label}_bytes", index.stat().st_size, unit="bytes")
        seconds, worst = timed(render_report, [all_failing], out / "failing")
        emit(f"report_render_{label}_all_failed_s", seconds, note="every test eager")
        emit(f"report_html_{label}_all_failed_bytes", worst.stat().st_size, unit="bytes")
        seconds, _ = timed(write_junit, mostly_passing, out / "junit.xml")
        emit(f"junit_write_{label}_s", seconds)
        baseline, new = validate_results(mostly_passing), validate_results(all_failing)
        seconds, _ = timed(gate, baseline, new)
        emit(f"gate_{label}_s", seconds)
        executable = chromium_path()
        if executable is None:
            print("chromium not found: browser figures skipped", file=sys.stderr)
            return 0
        with Browser(executable) as browser:
            bench_page(browser, index, label)
            bench_page(browser, worst, f"{label}_all_failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
