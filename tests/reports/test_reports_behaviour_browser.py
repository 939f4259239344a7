"""The behaviour diff as a section of the report, in headless Chromium: two runs of one target
(a baseline kernel and a candidate) are two labelled columns of one matrix, and the section
lists each changed choice with both values and leads to the candidate's test."""

import json

import pytest

from reports.anchors import anchor_of
from reports.html import render_report
from tests.reports import sample
from tests.reports.browser import Browser, chromium_path
from tests.reports.test_reports_behaviour import run

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="needs headless Chromium at /usr/bin/chromium (Debian: apt-get install chromium)",
)

TEST_A = "suites/tcp/test_a.py::test_a"


@pytest.fixture(scope="module")
def browser():
    with Browser(chromium_path()) as chromium:
        yield chromium


def render(tmp_path, *docs):
    sources = []
    for name, doc in docs:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "results.json").write_text(json.dumps(doc))
        sources.append(folder)
    return render_report([doc for _, doc in docs], tmp_path / "report", source_dirs=sources)


def open_page(browser, path):
    browser.open(path)
    browser.wait_for("document.documentElement.dataset.ready === '1'")
    return browser


def text_of(browser, selector):
    return browser.evaluate(
        f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
        ".map(e => e.textContent.trim())")


def test_two_kernels_give_two_columns_and_the_behaviour_diff_between_them(browser, tmp_path):
    path = render(tmp_path, ("host", run(kernel="6.18")), ("candidate", run(ttl=128)))
    page = open_page(browser, path)
    assert text_of(page, "table.matrix thead th")[2:] == ["linux (host)", "linux (candidate)"]
    assert "Behaviour changes" in text_of(page, "header nav a")
    assert text_of(page, "#behaviour h3")[0].startswith("linux (host) → linux (candidate)")
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('table.behaviour tbody tr')).map(r =>"
        " [...Array.from(r.cells).slice(0, 4).map(c => c.textContent.trim()),"
        " r.cells[4].querySelector('code').textContent, r.cells[4].textContent.includes("
        "'ttl 128')])")
    assert rows == [["suites/ipv4/test_b.py::test_b", "ipv4.ttl", "64", "128", "icmp:0", True],
                    [TEST_A, "ipv4.ttl", "64", "128", "tcp:S.", True]]
    assert text_of(page, "table.behaviour thead th")[2:4] == ["linux (host)",
                                                               "linux (candidate)"]
    assert "RFC 1122 3.2.1.7" in text_of(page, "table.behaviour td.para")[0]
    assert page.evaluate("document.querySelector('#behaviour').checkVisibility()")
    page.click(f"table.behaviour tr[data-test='{TEST_A}'] a")
    anchor = anchor_of("linux (candidate)", TEST_A)
    page.wait_for(f"document.getElementById('{anchor}').open")
    assert page.evaluate("location.hash") == f"#{anchor}"
    assert page.console_errors == [] and page.dialogs == []


def test_the_same_choices_say_no_change_and_runs_without_fingerprint_have_no_section(
        browser, tmp_path):
    page = open_page(browser, render(tmp_path, ("a", run()), ("b", run())))
    assert text_of(page, "#behaviour p.none") == [
        "No behaviour change: every choice in the tests both runs ran is the same."]
    bare = tmp_path / "bare"
    bare.mkdir()
    page = open_page(browser, render(bare, ("a", sample.standard_results()),
                                     ("b", sample.standard_results())))
    assert page.evaluate("document.getElementById('behaviour')") is None
    assert page.console_errors == [] and page.dialogs == []
