"""The report as a person sees it, in headless Chromium (Debian package ``chromium``)."""

import json
import os
import shutil

import pytest

from reports.anchors import anchor_of
from reports.html import render_report
from tests.reports import sample
from tests.reports.browser import Browser, chromium_path

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="needs headless Chromium at /usr/bin/chromium (Debian: apt-get install chromium)",
)

TARGETS = ("linux", "reference", "pytcp")
OLD_SEQ = "suites/tcp/test_first_check.py::test_old_seq"
CLOSED_PORT = "suites/tcp/test_closed_port.py::test_syn_to_closed_port[case1]"
FAILED = anchor_of("linux", OLD_SEQ)  # a failed test, eager
PASSED = anchor_of("reference", CLOSED_PORT)  # a passing test, lazy
VISIBLE_TESTS = (
    "Array.from(document.querySelectorAll('details.test'))"
    ".filter(d => d.checkVisibility()).map(d => d.dataset.target + ' ' + d.dataset.outcome)"
)


@pytest.fixture(scope="module")
def browser():
    with Browser(chromium_path()) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return render_report([sample.standard_results(target) for target in TARGETS], out)


@pytest.fixture
def page(browser, report):
    browser.open(report)
    browser.wait_for("document.documentElement.dataset.ready === '1'")
    yield browser
    assert browser.console_errors == []
    assert browser.dialogs == []


def text_of(browser, selector):
    return browser.evaluate(
        f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
        ".map(e => e.textContent.trim())")


def test_matrix_has_a_row_per_requirement_and_a_column_per_target(page):
    assert text_of(page, "table.matrix thead th") == ["Requirement", "Level", *TARGETS]
    rows = page.evaluate("Array.from(document.querySelectorAll('tr.req')).map(r => r.dataset.req)")
    assert rows == [sample.CSUM_DROP, sample.RTO_INIT, sample.RST_CLOSED, sample.FIRST_CHECK]
    assert text_of(page, "tr.group th") == [
        "RFC 791 §\u00a03.2", "RFC 9293 §\u00a03.8.1", "RFC 9293 §\u00a03.10.7.1",
        "RFC 9293 §\u00a03.10.7.4"]
    linux_cells = text_of(page, "td.cell[data-target='linux']")
    assert linux_cells == ["failed 2 tests", "expected failure", "passed", "failed"]


def test_failed_cell_leads_to_the_failed_test_with_diff_and_ladder(page, tmp_path):
    page.click(f"tr[data-req='{sample.FIRST_CHECK}'] td.cell[data-target='linux'] a")
    page.wait_for(f"document.getElementById('{FAILED}').open")
    assert page.evaluate("location.hash") == f"#{FAILED}"
    diff = text_of(page, f"#{FAILED} table.fields td")
    assert diff == ["near-miss 1", "tcp.flags", "R.", "R"]
    assert page.evaluate(f"document.querySelector('#{FAILED} table.fields').checkVisibility()")
    ladder = page.evaluate(
        f"(() => {{ const s = document.querySelector('#{FAILED} svg.ladder');"
        " const r = s.getBoundingClientRect();"
        " return {w: r.width, h: r.height, who: Array.from(s.querySelectorAll('.who'))"
        ".map(t => t.textContent), labels: Array.from(s.querySelectorAll('.lbl'))"
        ".map(t => t.textContent), dirs: Array.from(s.querySelectorAll('g'))"
        ".map(g => g.getAttribute('class'))}; })()")
    assert ladder["w"] > 300 and ladder["h"] > 80
    assert ladder["who"] == ["tester", "linux"]
    assert ladder["labels"] == ["TCP [S] seq=0 len=0", "TCP [R] seq=0 len=0"]
    assert ladder["dirs"] == ["out", "in"]
    assert "RFC9293-3.10.7.1-MUST-rst-closed" in text_of(page, f"#{FAILED} ol.oracle")[0]
    page.screenshot(tmp_path / "failed-test.png")


def test_cell_with_several_tests_filters_to_them(page):
    page.click(f"tr[data-req='{sample.CSUM_DROP}'] td.cell[data-target='reference'] a.more")
    page.wait_for("document.getElementById('f-count').value === '2 of 15 tests shown'")
    assert page.evaluate("document.getElementById('f-text').value") == sample.CSUM_DROP
    assert page.evaluate(VISIBLE_TESTS) == ["reference error", "reference skipped"]


def test_opening_a_passing_test_loads_its_details(page):
    assert page.evaluate(f"document.querySelector('#{PASSED} svg.ladder')") is None
    page.click(f"#{PASSED} > summary")
    page.wait_for(f"document.querySelector('#{PASSED} svg.ladder') !== null")
    body = text_of(page, f"#{PASSED} .body")[0]
    assert "MIB counter deltas" in body and "NO_SOCKET" in body
    assert "netconform run --target linux -k 'test_syn_to_closed_port[case1]'" in body


def test_filters_change_what_is_shown(page):
    assert page.evaluate("document.getElementById('f-count').value") == "15 of 15 tests shown"
    page.click("#f-outcome input[value='passed']")
    shown = page.evaluate(VISIBLE_TESTS)
    assert len(shown) == 12 and not [t for t in shown if t.endswith(" passed")]

    page.evaluate("(() => { const s = document.getElementById('f-rfc'); s.value = 'RFC 791';"
                  " s.dispatchEvent(new Event('change')); })()")
    assert sorted(page.evaluate(VISIBLE_TESTS)) == sorted(
        f"{t} {o}" for t in TARGETS for o in ("skipped", "error"))
    rows = page.evaluate("Array.from(document.querySelectorAll('tr.req'))"
                         ".filter(r => r.checkVisibility()).map(r => r.dataset.req)")
    assert rows == [sample.CSUM_DROP]

    page.click("#f-reset")
    page.type_text("#f-text", "first_check")
    page.wait_for("document.getElementById('f-count').value === '3 of 15 tests shown'")
    assert page.evaluate(VISIBLE_TESTS) == [f"{t} failed" for t in TARGETS]

    page.evaluate("(() => { const s = document.getElementById('f-target'); s.value = 'pytcp';"
                  " s.dispatchEvent(new Event('change')); })()")
    assert page.evaluate(VISIBLE_TESTS) == ["pytcp failed"]


def test_hostile_strings_render_as_text_and_run_nothing(browser, tmp_path):
    index = render_report([sample.hostile_results()], tmp_path)
    browser.open(index)
    browser.wait_for("document.documentElement.dataset.ready === '1'")
    browser.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    browser.wait_for("document.querySelectorAll('details.test .body svg.ladder').length === 2")
    browser.pump(0.5)
    assert browser.dialogs == []
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('img, iframe').length") == 0
    assert browser.evaluate("document.querySelectorAll('script').length") == 2
    text = browser.evaluate("document.body.innerText")
    for payload in (sample.SCRIPT_PAYLOAD, sample.ATTR_PAYLOAD, *sample.FLAG_PAYLOADS):
        assert payload in text
    assert browser.evaluate(
        "Array.from(document.querySelectorAll('svg.ladder text'))"
        ".some(t => t.textContent === '<script>alert(1)</script>')") is False
    labels = browser.evaluate("Array.from(document.querySelectorAll('svg.ladder title'))"
                              ".map(t => t.textContent)")
    assert sample.SCRIPT_PAYLOAD in labels
    assert browser.console_errors == []


def test_screenshot_of_the_report_is_kept(page, tmp_path):
    shot = page.screenshot(tmp_path / "report.png", full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    artifacts = os.environ.get("NETCONFORM_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        shutil.copy(shot, os.path.join(artifacts, "reports-browser-report.png"))


def test_a_requirement_unfolds_into_its_tests_and_oracle_rules(page):
    row = f"tr[data-req='{sample.FIRST_CHECK}']"
    site = "reference_stack.tcp.segment_arrival:synchronized"
    assert not page.evaluate(f"document.querySelector(\"{row} .why-rules\").checkVisibility()")
    page.click(f"{row} details.why summary")
    page.wait_for(f"document.querySelector(\"{row} .why-rules\").checkVisibility()")
    rules = text_of(page, f"{row} .why-rules li code")
    assert rules[:2] == [sample.FIRST_CHECK, site]
    assert "LINUX-tcp_data_queue-duplicate" in rules
    tests = text_of(page, f"{row} .why-tests li a")
    assert tests == ["suites/tcp/test_first_check.py::test_old_seq"] * len(TARGETS)
    page.click(f"{row} .why-tests li a")
    page.wait_for(f"document.getElementById('{FAILED}').open")


def test_the_page_leads_with_failures_each_linking_to_its_test(page):
    sections = page.evaluate("Array.from(document.querySelectorAll('body > section'))"
                             ".map(s => s.id)")
    assert sections[:2] == ["failures", "summary"]
    assert sections.index("tests") < sections.index("matrix")
    items = page.evaluate(
        "Array.from(document.querySelectorAll('#failures li.failure')).map(li => ["
        "li.querySelector('a.tid').textContent, li.querySelector('.freqs code').textContent,"
        " li.querySelector('.reason').textContent])")
    assert len(items) == 2 * len(TARGETS)  # one failed and one error test per target
    assert items[0] == [OLD_SEQ, sample.FIRST_CHECK, "oracle divergence: tcp.flags: expected R., "
                                                     "actual R"]
    page.click("#failures li.failure a.tid")
    page.wait_for(f"document.getElementById('{FAILED}').open")
    assert page.evaluate("location.hash") == f"#{FAILED}"
    rows = text_of(page, f"#{FAILED} table.expected-actual td")
    assert rows == ["tcp.flags", "R.", "R"]


def test_failed_tests_come_first_in_each_target(page):
    outcomes = page.evaluate(
        "Array.from(document.querySelectorAll('details.test[data-target=\"linux\"]'))"
        ".map(d => d.dataset.outcome)")
    assert outcomes[:2] == ["failed", "error"] and sorted(outcomes[2:]) == [
        "passed", "skipped", "xfailed"]


def test_a_summary_count_filters_the_tests_to_what_it_counts(page):
    page.click("table.counts tbody tr:nth-child(2) td.o-failed a.count")  # reference, failed
    page.wait_for("document.getElementById('f-count').value === '1 of 15 tests shown'")
    assert page.evaluate(VISIBLE_TESTS) == ["reference failed"]
    page.click("table.counts tfoot td:nth-child(7) a.count")  # error, every target
    page.wait_for("document.getElementById('f-count').value === '3 of 15 tests shown'")
    assert page.evaluate(VISIBLE_TESTS) == [f"{t} error" for t in TARGETS]


def test_the_ladder_highlights_the_near_miss_and_shows_numbers_on_the_arrows(browser, tmp_path):
    index = render_report([sample.wire_failure_results()], tmp_path)
    browser.open(index)
    browser.wait_for("document.documentElement.dataset.ready === '1'")
    failing = anchor_of("linux", "suites/tcp/test_old_ack.py::test_old_seq_is_challenged")
    ladder = f"#{failing} svg.ladder"
    assert browser.evaluate(f"document.getElementById('{failing}').open") is True
    labels = text_of(browser, f"{ladder} g .lbl")
    assert labels == [
        "ICMPv6 NDP NS target 2001:db8::2", "ICMPv6 NDP NA target 2001:db8::2 [SO]",
        "TCP 40000\u219280 [S] seq=0 len=0", "TCP 80\u219240000 [SA] seq=0 ack=1 len=0",
        "TCP 40000\u219280 [A] seq=1 ack=1 len=0",
        "TCP 80\u219240000 [A] seq=1 ack=1 len=0"]
    assert text_of(browser, f"{ladder} g .opts") == ["mss=1460", "mss=1460 ws=7"]
    offending = browser.evaluate(
        f"Array.from(document.querySelectorAll('{ladder} g')).map(g => g.classList"
        ".contains('offending'))")
    assert offending == [False] * 5 + [True]
    band = browser.evaluate(
        f"(() => {{ const r = document.querySelector('{ladder} rect.window')"
        ".getBoundingClientRect(); const g = Array.from(document.querySelectorAll("
        f"'{ladder} g line')).map(l => l.getBoundingClientRect().y);"
        " return [r.top, r.bottom, g]; })()")
    top, bottom, arrows = band
    assert top < arrows[4] < arrows[5] < bottom and arrows[3] < top  # stimulus to the end
    assert browser.evaluate(f"getComputedStyle(document.querySelector('{ladder} g.offending "
                            "line')).stroke") == "rgb(207, 34, 46)"
    assert text_of(browser, f"#{failing} table.expected-actual td") == ["tcp.ack", "1005",
                                                                        "1001"]
    shot = browser.screenshot_of(f"#{failing}", tmp_path / "failing-test.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    artifacts = os.environ.get("NETCONFORM_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        shutil.copy(shot, os.path.join(artifacts, "reports-browser-failing-test.png"))
    assert browser.console_errors == []
