"""`netconform fuzz` and `netconform replay` end to end against the running kernel: a short
campaign writes its findings (each replayable) and an HTML report that shows them."""

import json

from .runner import netconform


def test_short_campaign_writes_findings_and_report(tmp_path):
    out = tmp_path / "fuzz"
    proc = netconform("fuzz", "--budget", "4", "--seed", "1", "--out", str(out))
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    assert results["findings"] == json.loads((out / "findings.json").read_text())
    assert (out / "index.html").stat().st_size > 1000
    summary = json.loads((out / "fuzz-summary.json").read_text())
    assert summary  # cases and rates of the campaign
    if results["findings"]:
        finding_dir = out / results["findings"][0]["path"]
        assert (finding_dir / "test_replay.py").exists()
        replayed = netconform("replay", str(finding_dir))
        assert replayed.returncode in (0, 1), replayed.stderr[-2000:]


def test_bad_budget_and_bad_finding_are_usage_errors(tmp_path):
    assert netconform("fuzz", "--budget", "-1", "--out", str(tmp_path)).returncode == 2
    proc = netconform("replay", str(tmp_path / "nothing-here"))
    assert proc.returncode == 2 and proc.stderr.startswith("netconform: error:")


def test_a_campaign_records_the_oracle_it_judged_with(tmp_path):
    """The oracle follows the DUT's sysctls (--dut-sysctl, read back from the namespace) and
    the target's own profile; both land in the summary and in results.json."""
    out = tmp_path / "fz"
    proc = netconform("fuzz", "--budget", "3", "--seed", "2", "--out", str(out),
                      "--dut-sysctl", "net.ipv4.ip_default_ttl=44")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    oracle = json.loads((out / "fuzz-summary.json").read_text())["oracle"]
    assert oracle["profile"] == "linux"
    assert oracle["sysctls"]["net.ipv4.ip_default_ttl"] == "44"
    assert json.loads((out / "results.json").read_text())["environment"]["oracle"] == oracle


def test_a_pytcp_campaign_is_judged_with_the_pytcp_profile(tmp_path):
    from conformance.targets.pytcp import PytcpTarget

    if PytcpTarget.unavailable_reason() is not None:
        import pytest

        pytest.skip(PytcpTarget.unavailable_reason())
    out = tmp_path / "py"
    proc = netconform("fuzz", "--target", "pytcp", "--budget", "3", "--out", str(out))
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    oracle = json.loads((out / "fuzz-summary.json").read_text())["oracle"]
    assert oracle == {"profile": "pytcp", "sysctls": {}}


def test_ipv6_campaigns_draw_ipv6_frames_and_judge_them(tmp_path):
    """`--family ipv6` (issue 13): the hypothesis and boofuzz engines draw IPv6 header chains,
    ICMPv6 and NDP (fuzz/strategies_ipv6.py, boofuzz_ipv6.py), the stateful engine runs its
    connection over IPv6 (TCP segments only), and the oracle judges them."""
    for engine in ("hypothesis", "boofuzz", "stateful"):
        out = tmp_path / engine
        proc = netconform("fuzz", "--family", "ipv6", "--engine", engine, "--budget", "3",
                          "--seed", "1", "--out", str(out))
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        kinds = {kind for _, kind in json.loads((out / "campaign.json").read_text())["cells"]}
        assert any(k.startswith(("icmpv6", "ipv6", "tcp6", "udp6")) for k in kinds), kinds
        assert not any(k.startswith(("icmp:", "tcp:")) or k == "udp" for k in kinds), kinds
        assert json.loads((out / "fuzz-summary.json").read_text())["cases"] > 0
        if engine == "stateful":
            assert kinds - {"none"} and all(k.startswith("tcp6") for k in kinds - {"none"})
