"""Why a test failed, as the report shows it: reasons, expected/actual tables, the frames the
expectation blamed and judged, and frames decoded for the ladder (issue 17, item 7)."""

import subprocess
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    IPv6,
)
from scapy.layers.l2 import Ether

from reports.anchors import anchor_of, anchors_for
from reports.decode import decode
from reports.failures import BARRIER_HEX, explain
from reports.ladder import build_ladder
from reports.model import validate_results
from tests.reports import sample

MAC = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
TESTER, DUT = "2001:db8::1", "2001:db8::2"


def row(frame: bytes, direction: str, t: float, summary: str = "") -> dict:
    return {"t": t, "dir": direction, "summary": summary or f"Ethernet type 0x{frame[12:14].hex()}",
            "proto": "", "flags": "", "seq": None, "ack": None, "len": 0, "hex": frame.hex()}


def failed(message: str, **fields) -> dict:
    test = sample.make_test("a.py::test_x", "failed", message=message, divergences=[], diff=[])
    test.update(fields)
    return validate_results(sample.make_results([test]))["tests"][0]


def pytest_failure_text(tmp_path, body: str) -> str:
    """The failure text pytest itself prints for a test (what results.json's message holds)."""
    test_file = tmp_path / "test_plain.py"
    test_file.write_text(body)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:xdist", str(test_file)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 1, done.stdout
    return done.stdout


def test_a_plain_assertion_on_bytes_gets_an_expected_actual_table(tmp_path):
    message = pytest_failure_text(
        tmp_path, "def test_bytes():\n    got = bytes.fromhex('450000280001')\n"
                  "    assert got == bytes.fromhex('450000280002')\n")
    failure = explain(failed(message))
    assert failure.kind == "assertion"
    value, offset = failure.rows
    assert value.expected == "6 bytes: 45 00 00 28 00 02"
    assert value.actual == "6 bytes: 45 00 00 28 00 01"
    assert (offset.expected, offset.actual) == ("offset 5: 02", "offset 5: 01")
    assert failure.reason.startswith("assert b'E\\x00")


def test_a_plain_comparison_of_numbers_is_a_table_too(tmp_path):
    message = pytest_failure_text(tmp_path, "def test_n():\n    window = 512\n"
                                            "    assert window >= 1024\n")
    failure = explain(failed(message))
    assert [(r.what, r.expected, r.actual) for r in failure.rows] == [("value", ">= 1024", "512")]


def test_an_error_and_an_exception_say_what_should_have_happened():
    error = explain(sample.make_test("a.py::t", "error", divergences=[],
                                     message="error in setup: Traceback (most recent call last):\n"
                                             "E   OSError: netns gone\n"))
    assert error.kind == "error" and error.rows[0].expected == "setup completes"
    assert error.rows[0].actual == "OSError: netns gone"
    other = explain(failed("Traceback...\nE   KeyError: 'mss'\n"))
    assert (other.kind, other.reason) == ("other", "KeyError: 'mss'")


def test_a_missing_reply_blames_its_near_miss_and_the_window_it_judged():
    syn = bytes(Ether(**MAC) / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(flags="S", seq=100))
    rst = bytes(Ether(**MAC) / IP(src="198.18.0.2", dst="198.18.0.1")
                / TCP(flags="R", seq=0, ack=0))
    earlier = bytes(Ether(**MAC) / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(flags="A"))
    frames = [row(earlier, "out", 0.0), row(syn, "out", 0.1),
              row(rst, "in", 0.2, "TCP 80 > 40000 [R]"), row(rst, "in", 0.3, "other")]
    # as pytest reports conformance.author.exchange's ExpectationFailed (a real run's layout)
    message = ("suites/tcp/test_x.py:12: in test_x\n    ex.expect(TCP(flags='RA'))\n"
               "E   conformance.author.exchange.ExpectationFailed: expected TCP(flags=RA) "
               "within 1 s;\n"
               "E   near miss 1: TCP 80 > 40000 [R]\nE       tcp.flags: expected RA, got R")
    failure = explain(failed(message, frames=frames,
                             diff=[{"frame": "near miss 1", "field": "tcp.flags",
                                    "expected": "RA", "actual": "R"}]))
    assert failure.kind == "missing-reply"
    assert failure.offending == {2} and failure.window == (1, 3)
    assert failure.reason == ("expected TCP(flags=RA) within 1 s: near miss tcp.flags "
                              "expected RA, got R")
    ladder = build_ladder(frames, "linux", failure.offending, failure.window)
    assert [a.offending for a in ladder.arrows] == [False, False, True, False]
    assert ladder.window.y < ladder.arrows[1].y < ladder.arrows[3].y < (
        ladder.window.y + ladder.window.height)
    assert ladder.window.y > ladder.arrows[0].y


def test_an_unwanted_reply_blames_it_and_the_barrier_closes_the_window():
    barrier = row(b"\x00" * 14, "out", 0.3)
    barrier["hex"] += BARRIER_HEX
    frames = [row(b"\x00" * 14, "out", 0.1), row(b"\x00" * 14, "in", 0.2, "ICMP port unreach"),
              barrier, row(b"\x00" * 14, "in", 0.4, "ICMP echo reply"),
              row(b"\x00" * 14, "out", 0.5)]
    message = "expected no reply, but the target sent 1 frame(s):\n  ICMP port unreach"
    failure = explain(failed(message, frames=frames))
    assert failure.kind == "unwanted-reply"
    assert [(r.expected, r.actual) for r in failure.rows] == [("no reply", "ICMP port unreach")]
    assert failure.offending == {1} and failure.window == (0, 3)


def test_a_divergence_blames_the_frames_the_oracle_named():
    frames = [row(b"\x00" * 14, "out", 0.0), row(b"\x00" * 14, "in", 0.1, "E | IP | TCP [S.]")]
    message = ("[gw1] linux -- Python 3.11.7\n"
               "E   AssertionError: the target diverged from the oracle (unexplained):\n"
               "E     tcp.opt.wscale: oracle expected 10, target did None [R]\n"
               "E       frame: E | IP | TCP [S.]\n")
    test = failed(message, frames=frames, divergences=[
        {"field": "tcp.opt.wscale", "expected": "10", "actual": "None", "rule": "R",
         "explained": False},
        {"field": "ip.id", "expected": "*", "actual": "0", "rule": "R", "explained": True}])
    failure = explain(test)
    assert failure.kind == "divergence" and failure.offending == {1}
    assert failure.reason == "oracle divergence: tcp.opt.wscale: expected 10, actual None"
    assert [(r.what, r.expected, r.actual) for r in failure.rows] == [
        ("tcp.opt.wscale", "10", "None")]


def test_a_passing_test_has_no_failure():
    assert explain(sample.make_test("a.py::t")) is None


def test_ipv6_icmpv6_and_ndp_are_decoded_for_the_ladder():
    ns = bytes(Ether(**MAC) / IPv6(src=TESTER, dst="ff02::1:ff00:2")
               / ICMPv6ND_NS(tgt=DUT))
    na = bytes(Ether(**MAC) / IPv6(src=DUT, dst=TESTER) / ICMPv6ND_NA(tgt=DUT, R=0, S=1, O=1))
    echo = bytes(Ether(**MAC) / IPv6(src=TESTER, dst=DUT) / ICMPv6EchoRequest(id=7, seq=3))
    syn6 = bytes(Ether(**MAC) / IPv6(src=TESTER, dst=DUT)
                 / TCP(sport=40000, dport=80, flags="S", seq=1000,
                       options=[("MSS", 1440), ("SAckOK", b""), ("WScale", 7)]))
    assert decode(ns).detail == f"NDP NS target {DUT}"
    assert decode(na).detail == f"NDP NA target {DUT} [SO]"
    assert decode(echo).detail == "echo-request id=7 seq=3"
    mld = bytes(Ether(**MAC) / IPv6(src=TESTER, dst="ff02::16") / ICMPv6MLReport2())
    assert decode(mld).detail == "MLDv2 report"
    tcp = decode(syn6)
    assert (tcp.network, tcp.src, tcp.proto, tcp.flags, tcp.seq) == ("IPv6", TESTER, "TCP", "S",
                                                                      1000)
    assert tcp.options == ("mss=1440", "sackOK", "ws=7")
    ladder = build_ladder([row(ns, "out", 0.0), row(na, "in", 0.001), row(syn6, "out", 0.002)],
                          "linux")
    assert [a.label for a in ladder.arrows] == [
        f"ICMPv6 NDP NS target {DUT}", f"ICMPv6 NDP NA target {DUT} [SO]",
        "TCP/IPv6 40000\u219280 [S] seq=0 len=0"]
    assert ladder.arrows[2].options == "mss=1440 sackOK ws=7"


def test_arrows_show_flags_relative_numbers_and_options():
    a, b = "198.18.0.1", "198.18.0.2"
    frames = [
        Ether(**MAC) / IP(src=a, dst=b) / TCP(sport=40000, dport=80, flags="S", seq=1000,
                                              options=[("MSS", 1460), ("Timestamp", (5, 0))]),
        Ether(**MAC) / IP(src=b, dst=a) / TCP(sport=80, dport=40000, flags="SA", seq=777000,
                                              ack=1001, options=[("MSS", 1460)]),
        Ether(**MAC) / IP(src=a, dst=b) / TCP(sport=40000, dport=80, flags="PA", seq=1001,
                                              ack=777001) / b"hello",
    ]
    rows = [row(bytes(f), "out" if i != 1 else "in", i / 1000) for i, f in enumerate(frames)]
    arrows = build_ladder(rows, "linux").arrows
    assert [x.label for x in arrows] == [
        "TCP 40000\u219280 [S] seq=0 len=0",
        "TCP 80\u219240000 [SA] seq=0 ack=1 len=0",
        "TCP 40000\u219280 [PA] seq=1 ack=1 len=5"]
    assert [x.options for x in arrows] == ["mss=1460 ts=5/0", "mss=1460", ""]
    assert "seq=777000 ack=1001" in arrows[1].title


def test_anchors_are_stable_valid_and_unique():
    ids = ["suites/a.py::test_x[1]", "suites/a.py::test_x[1 ]", "suites/a.py::test_x-1-"]
    anchors = anchors_for([("linux", ids), ("linux (rerun)", ids[:1])])
    flat = [a for column in anchors for a in column]
    assert len(set(flat)) == 4
    assert all(a.startswith("t-") and all(c.isalnum() or c in "_-" for c in a) for a in flat)
    assert anchors[0][0] == anchor_of("linux", ids[0])  # by id, not by position
    assert anchors_for([("linux", ids[::-1])])[0][::-1] == anchors[0]
