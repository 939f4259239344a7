"""The HTML report as text: structure, escaping and the lazily loaded details."""

import base64
import gzip
import json
import re
from html.parser import HTMLParser

import pytest

from reports.anchors import anchor_of
from reports.html import render_report
from reports.ladder import MAX_FRAMES, build_ladder, frame_label
from reports.links import safe_href
from reports.model import ResultsError
from reports.requirements import describe
from tests.reports import sample


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_no_injected_markup(html: str) -> None:
    tags = TagCollector(html).tags
    assert not [tag for tag, _ in tags if tag in ("img", "iframe", "object", "embed")]
    handlers = [(tag, name) for tag, attrs in tags for name in attrs if name.startswith("on")]
    assert handlers == []
    links = [attrs["href"] for tag, attrs in tags if "href" in attrs]
    assert not [href for href in links if href.lower().startswith("javascript:")]


def lazy_bodies(html: str) -> dict:
    packed = re.search(r'<script id="lazy-bodies"[^>]*>([^<]*)</script>', html).group(1)
    return json.loads(gzip.decompress(base64.b64decode(packed)))


@pytest.fixture
def page(tmp_path):
    path = render_report([sample.standard_results("linux"), sample.standard_results("reference")],
                         tmp_path / "out")
    return path.read_text()


def test_report_is_self_contained(page):
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=', page)
    assert "http://" not in page and "https://" not in page.replace("https://bugs.example.org", "")
    assert "default-src 'none'" in page


def test_matrix_has_one_row_per_requirement_and_one_column_per_target(page):
    matrix = page[page.index('<table class="matrix">'):page.index("</table>",
                                                                  page.index('class="matrix"'))]
    headers = re.findall(r'<th class="target" data-target="[^"]*">([^<]*)</th>', matrix)
    assert headers == ["linux", "reference"]
    rows = re.findall(r'<tr class="req"[^>]*>\s*<td><code>([^<]*)</code>', matrix)
    assert rows == [sample.CSUM_DROP, sample.RTO_INIT, sample.RST_CLOSED, sample.FIRST_CHECK]
    states = re.findall(r'data-target="linux" data-state="(\w+)"', matrix)
    assert states == ["failed", "xfail", "passed", "failed"]


def test_failing_tests_are_in_the_page_and_passing_ones_are_lazy(page):
    ids = [t["id"] for t in sample.standard_tests()]
    anchor = {(target, i): anchor_of(target, ids[i]) for target in ("linux", "reference")
              for i in range(len(ids))}
    start = page.index(f'id="{anchor["linux", 1]}"')
    failed = page[start:page.index("</details>", start)]
    assert '<svg class="ladder"' in failed and "near-miss 1" in failed
    start = page.index(f'id="{anchor["linux", 0]}"')
    passed = page[start:page.index("</details>", start)]
    assert "<svg" not in passed and "class=\"body\"" not in passed
    assert re.search(f'<details class="test o-passed lazy" id="{anchor["linux", 0]}"', page)
    bodies = lazy_bodies(page)
    assert set(bodies) == {anchor[t, i] for t in ("linux", "reference") for i in (0, 2, 3)}
    assert '<svg class="ladder"' in bodies[anchor["linux", 0]]
    assert "InSegs" in bodies[anchor["linux", 0]] and "NO_SOCKET" in bodies[anchor["linux", 0]]


def test_environment_and_rerun_are_shown(page):
    assert "net.ipv4.icmp_ratelimit" in page and "nft add table inet t" in page
    assert "6.18.44" in page and "0.1.0" in page
    assert "netconform run --target linux -k &#39;test_old_seq&#39;" in page


def test_the_commit_of_each_run_is_shown(tmp_path):
    unknown = sample.standard_results("reference")
    del unknown["checkout"]  # not run from a git checkout (or written before the field)
    dirty = sample.standard_results("linux")
    dirty["checkout"]["dirty"] = True
    page = render_report([dirty, unknown], tmp_path).read_text()
    header = page[page.index("<header>"):page.index("</header>")]
    assert f'<span class="commit" title="{sample.COMMIT}">at <code>1977481c0ffe+dirty</code>' \
        in header
    assert header.count('class="commit"') == 1
    env = page[page.index('<table class="kv env">'):]
    assert f"<code>{sample.COMMIT}</code> with uncommitted changes" in env
    assert "unknown (not run from a git checkout)" in env


def test_hostile_strings_are_escaped_everywhere(tmp_path):
    page = render_report([sample.hostile_results()], tmp_path).read_text()
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts[0] == '<script id="lazy-bodies" type="application/octet-stream">'
    assert len(scripts) == 2 and re.fullmatch(r'<script nonce="[\w-]{20,}">', scripts[1])
    assert re.search(r"script-src 'nonce-[\w-]{20,}'", page)
    assert_no_injected_markup(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    for body in lazy_bodies(page).values():
        assert "<script" not in body
        assert_no_injected_markup(body)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_invalid_results_raise_results_error(tmp_path):
    doc = sample.standard_results()
    doc["tests"][0]["outcome"] = "maybe"
    with pytest.raises(ResultsError, match="outcome 'maybe'"):
        render_report([doc], tmp_path)


def test_findings_section_only_when_there_are_findings(tmp_path):
    plain = render_report([sample.standard_results()], tmp_path / "a").read_text()
    assert 'id="findings"' not in plain
    doc = sample.standard_results()
    doc["findings"] = [{"title": "crash <b>", "seed": 1}]
    page = render_report([doc], tmp_path / "b").read_text()
    assert 'id="findings"' in page and "crash &lt;b&gt;" in page


@pytest.mark.parametrize("href, allowed", [
    ("pcaps/a.pcap", True), ("https://bugs.example.org/1", True), ("javascript:alert(1)", False),
    ("JavaScript:alert(1)", False), ("data:text/html,x", False), ("//evil.example/x", False),
    ("java\nscript:alert(1)", False), ("", False), (None, False),
])
def test_safe_href(href, allowed):
    assert (safe_href(href) is not None) is allowed


def test_requirement_fields_from_catalogue_or_id():
    from_catalogue = describe(sample.RST_CLOSED, sample.CATALOGUE)
    assert (from_catalogue.rfc, from_catalogue.section, from_catalogue.level) == (
        "RFC 9293", "3.10.7.1", "MUST")
    parsed = describe("RFC1122-4.2.2.13-SHOULD_NOT-linger", {})
    assert (parsed.rfc, parsed.section, parsed.level, parsed.text) == (
        "RFC 1122", "4.2.2.13", "SHOULD NOT", "")
    assert describe("odd-id", {}).rfc == "unknown"


def test_ladder_directions_labels_and_times():
    ladder = build_ladder(sample.frames(), "linux")
    out, back = ladder.arrows
    assert (out.x1 < out.x2, back.x1 > back.x2) == (True, True)
    assert (out.label, back.label) == ("TCP [S] seq=0 len=0", "TCP [R] seq=0 len=0")
    assert (out.time, back.time) == ("+0.000 ms", "+0.333 ms")
    assert back.y > out.y


def test_ladder_cuts_long_exchanges_and_falls_back_to_summary():
    frames = [{"t": i, "dir": "out", "summary": f"frame {i}"} for i in range(MAX_FRAMES + 5)]
    ladder = build_ladder(frames, "linux")
    assert len(ladder.arrows) == MAX_FRAMES and ladder.omitted == 5
    assert frame_label({"summary": "ARP who-has 198.18.0.1"}) == "ARP who-has 198.18.0.1"


def test_eager_details_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr("reports.html.EAGER_LIMIT", 2)
    tests = [sample.make_test(f"a.py::test_{i}", "failed") for i in range(5)]
    page = render_report([sample.make_results(tests)], tmp_path).read_text()
    assert page.count('<svg class="ladder"') == 2
    assert set(lazy_bodies(page)) == {anchor_of("linux", f"a.py::test_{i}") for i in (2, 3, 4)}


def test_tests_without_requirements_are_filterable(tmp_path):
    test = sample.make_test("a.py::test_plain", requirements=[])
    page = render_report([sample.make_results([test])], tmp_path).read_text()
    assert 'data-rfc="no requirement" data-level="no requirement"' in page
    assert '<option value="no requirement">no requirement</option>' in page


def test_ladder_label_of_a_non_tcp_frame_is_its_innermost_layer():
    frame = {"proto": "ICMP", "flags": "", "seq": None, "len": 18,
             "summary": "Ether a > b | IP 198.18.1.2 > 198.18.1.1 | ICMP echo request id=1 len=18"}
    assert frame_label(frame) == "ICMP echo request id=1 len=18"
    assert frame_label({"proto": "TCP", "flags": "S", "seq": 1}) == "TCP [S] seq=0"


def test_two_runs_of_one_target_make_two_labelled_columns(tmp_path):
    first = sample.standard_results("linux")
    rerun = sample.make_results([sample.make_test("suites/tcp/test_first_check.py::test_old_seq",
                                                  "passed", [sample.FIRST_CHECK])])
    page = render_report([first, rerun, sample.standard_results("reference")], tmp_path,
                         source_dirs=[tmp_path / "nightly", tmp_path / "rerun", tmp_path / "ref"])
    html = page.read_text()
    headers = re.findall(r'<th class="target" data-target="[^"]*">([^<]*)</th>', html)
    assert headers == ["linux (nightly)", "linux (rerun)", "reference"]
    row = html[html.index(f'class="req" data-req="{sample.FIRST_CHECK}"'):]
    assert re.findall(r'data-state="(\w+)"', row)[:3] == ["failed", "passed", "failed"]


def test_a_requirement_row_lists_its_tests_and_the_oracle_rules_behind_it(page):
    start = page.index(f'class="req" data-req="{sample.FIRST_CHECK}"')
    row = page[start:page.index("</tr>", start)]
    assert "2 tests &middot; 2 oracle rules" in row  # one test, on two targets
    assert "suites/tcp/test_first_check.py::test_old_seq" in row
    test_id = "suites/tcp/test_first_check.py::test_old_seq"
    for target in ("linux", "reference"):
        assert f'href="#{anchor_of(target, test_id)}"' in row
    assert "<code>RFC9293-3.10.7.4-MUST-first-check</code>" in row
    assert "reference_stack.tcp.segment_arrival:synchronized" in row
    assert "<code>LINUX-tcp_data_queue-duplicate</code>" in row
    assert "linux refinement; modelled: tcp_data_queue()" in row
    assert "reference_stack.tcp.segment_arrival:_duplicate" in row
    other = page.index(f'class="req" data-req="{sample.RTO_INIT}"')
    assert "0 oracle rules" in page[other:page.index("</tr>", other)]


def test_malformed_rules_of_a_requirement_are_a_results_error(tmp_path):
    results = sample.standard_results()
    entry = results["requirements"][sample.FIRST_CHECK]  # shared with sample.CATALOGUE
    results["requirements"][sample.FIRST_CHECK] = dict(entry, rules=[{"id": 7, "sites": []}])
    with pytest.raises(ResultsError, match=r"rules\[0\]\.id"):
        render_report([results], tmp_path)


def test_failures_section_comes_first_and_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr("reports.html.FAILURES_LIMIT", 3)
    tests = [sample.make_test(f"a.py::test_{i}", "failed" if i % 2 else "passed")
             for i in range(10)]
    page = render_report([sample.make_results(tests)], tmp_path).read_text()
    assert page.index('<section id="failures">') < page.index('<section id="summary">')
    section = page[page.index('<section id="failures">'):page.index('<section id="summary">')]
    assert "Failures and errors <span class=\"meta\">(5)</span>" in section
    assert section.count('<li class="failure') == 3
    assert f'href="#{anchor_of("linux", "a.py::test_1")}"' in section
    assert "2 more not listed here" in section and 'href="#filter?outcome=failed"' in section


def test_a_run_without_failures_says_so(tmp_path):
    page = render_report([sample.make_results([sample.make_test("a.py::t")])], tmp_path)
    assert "No test failed or errored." in page.read_text()


def test_an_intermittent_pass_shows_as_intermittent(tmp_path):
    doc = sample.make_results([sample.make_test(
        "suites/tcp/test_a.py::test_a", "xpassed", xfail_reason="NON-CONFORMANCE: a race",
        xfail_intermittent="failed 7 of 12 runs")])
    page = render_report([doc], tmp_path).read_text()
    body = page + json.dumps(lazy_bodies(page))
    assert '<span class="badge o-xpassed">intermittent</span>' in page
    assert "<dt>intermittent</dt><dd>failed 7 of 12 runs</dd>" in body
    cell = re.search(r'data-state="(\w+)"', page[page.index('<table class="matrix">'):])
    assert cell.group(1) == "xfail"
