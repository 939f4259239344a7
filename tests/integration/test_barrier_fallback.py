"""A DUT that ignores ICMP echo (issue 17, item 5): bed set-up finds the echo barrier probe
unanswered and falls back to a probe the target does answer (a UDP datagram to a closed port:
ICMP port unreachable), says so once, and "expect nothing" costs what it costs with the echo
instead of a barrier timeout per test. The fallback probe is on the timeline like any frame:
the lockstep oracle predicts its answer (no divergence under enforce). The fuzz engines use
the same probes and choice."""

import json

import pytest

from .runner import netconform, results, write_suite

SUITE = '''
from conformance.author.templates import TCP, UDP, Payload

def test_a_bare_rst_is_not_answered(ex):
    ex.send(TCP(dst_port=9, flags="R", seq=1))
    ex.expect_nothing()

def test_udp_to_a_closed_port_and_nothing_more(ex):
    ex.send(UDP(dst_port=7), Payload(b"x"))
    ex.settle()
    ex.expect_nothing()

def test_syn_to_a_closed_port_gets_rst(ex):
    conn = ex.tcp(dut_port=9)
    conn.send(flags="S")
    conn.expect(flags="RA", seq=0, ack=conn.isn + 1)
    ex.expect_nothing()
'''
IGNORE_ECHO = ("--dut-sysctl", "net.ipv4.icmp_echo_ignore_all=1")


def test_echo_ignored_falls_back_to_a_probe_the_target_answers(tmp_path):
    suite = write_suite(tmp_path / "suite", SUITE)
    out = tmp_path / "out"
    proc = netconform("run", "--suite", str(suite), "--out", str(out), *IGNORE_ECHO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = results(out)
    assert [t["outcome"] for t in doc["tests"]] == ["passed"] * 3
    assert all(t["divergences"] == [] for t in doc["tests"])  # the oracle predicted the probes
    notes = [line for line in proc.stdout.splitlines() if "does not answer ICMP echo" in line]
    assert len(notes) == 1 and "UDP datagram to a closed port" in notes[0], proc.stdout
    (note,) = [n for n in doc["environment"]["unavailable"] if "ICMP echo" in n]
    assert "does not answer ICMP echo" in (out / "index.html").read_text()


def test_an_answering_dut_keeps_the_echo_and_says_nothing(tmp_path):
    suite = write_suite(tmp_path / "suite", SUITE)
    proc = netconform("run", "--suite", str(suite), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "ICMP echo" not in proc.stdout
    assert not results(tmp_path / "out")["environment"].get("unavailable")


@pytest.mark.parametrize("engine", ["hypothesis", "stateful", "boofuzz"])
def test_a_fuzz_campaign_against_a_dut_ignoring_echo_runs_on_the_fallback(tmp_path, engine):
    """The fuzzers' barrier is the suites' (conformance.author.barriers): with echo ignored a
    campaign chooses the UDP probe once, says so once (terminal, results.json, report), and
    runs its cases with no finding, where the echo barrier went unanswered on every case."""
    out = tmp_path / "fz"
    proc = netconform("fuzz", "--engine", engine, "--budget", "8", "--out", str(out),
                      *IGNORE_ECHO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "fuzz-summary.json").read_text())
    assert summary["barrier"] == "udp"
    assert summary["cases"] >= 20 and summary["unique_findings"] == 0, summary
    notes = [line for line in proc.stderr.splitlines() if "does not answer ICMP echo" in line]
    assert len(notes) == 1 and "UDP datagram to a closed port" in notes[0], proc.stderr
    assert any("ICMP echo" in n for n in results(out)["environment"]["unavailable"])
    assert "does not answer ICMP echo" in (out / "index.html").read_text()


def test_a_fuzz_campaign_against_an_answering_dut_keeps_the_echo(tmp_path):
    out = tmp_path / "fz"
    proc = netconform("fuzz", "--engine", "boofuzz", "--budget", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads((out / "fuzz-summary.json").read_text())["barrier"] == "echo"
    assert "ICMP echo" not in proc.stderr
    assert not results(out)["environment"].get("unavailable")
