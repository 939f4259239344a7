"""The behaviour gate against the running kernel, as a kernel CI job uses it: two runs of the
same kernel have an empty behaviour diff and pass ``gate --behaviour``; a candidate whose
default TTL, initial window or window scale changed (``--dut-sysctl``, ``--dut-setup``) passes
the ordinary gate (the oracle follows its configuration) and fails ``gate --behaviour``, which
names the change. A small ``-k`` subset keeps each run a few seconds (CI has 2 CPUs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integration.runner import netconform

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")

SUBSET = ("test_handshake_completes_and_accept_returns or initial_window "
          "or test_datagram_with_low_ttl_is_accepted or test_data_is_acknowledged_within")
INITCWND_4 = "ip route change $(ip -4 route show | head -n1) initcwnd 4"


def run(out: Path, *extra: str) -> str:
    proc = netconform("run", "-k", SUBSET, "--out", str(out), *extra)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return str(out / "results.json")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> str:
    return run(tmp_path_factory.mktemp("behaviour") / "base")


def test_the_same_kernel_twice_has_an_empty_diff_and_passes(baseline, tmp_path):
    again = run(tmp_path / "again")
    diff = netconform("diff", baseline, again)
    assert diff.returncode == 0, diff.stderr
    compared = len(json.loads(Path(baseline).read_text())["tests"])  # (ipv4 and ipv6 runs)
    assert compared >= 5
    assert f"diff: 0 behaviour change(s) in 0 test(s), {compared} test(s) compared" in diff.stdout
    gate = netconform("gate", "--behaviour", "--baseline", baseline, again)
    assert gate.returncode == 0, gate.stdout
    assert "gate --behaviour: ok" in gate.stdout


@pytest.mark.parametrize(("config", "change"), [
    (("--dut-sysctl", "net.ipv4.ip_default_ttl=100"), "ipv4.ttl: 64 -> 100"),
    (("--dut-setup", INITCWND_4), "tcp.initial_window: 10 -> 4"),
    (("--dut-sysctl", "net.ipv4.tcp_rmem=4096 65536 262144"), "tcp.opt.wscale: 10 -> 7"),
], ids=["default-ttl", "initcwnd", "window-scale"])
def test_a_changed_choice_passes_the_gate_and_fails_the_behaviour_gate(baseline, tmp_path,
                                                                       config, change):
    candidate = run(tmp_path / "cand", *config)
    verdicts = netconform("gate", "--baseline", baseline, candidate)
    assert verdicts.returncode == 0, verdicts.stdout  # both runs pass: no verdict changed
    gate = netconform("gate", "--behaviour", "--baseline", baseline, candidate)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    named = [line for line in gate.stdout.splitlines() if "behaviour-changed:" in line]
    assert any(change in line for line in named), gate.stdout
    field = change.split(":")[0]
    accept = tmp_path / "accept.toml"
    accept.write_text(f'[[accept]]\ntest = "suites/*"\nfield = "{field}"\n'
                      'reason = "the candidate\'s new configuration"\n')
    rest = netconform("gate", "--behaviour", "--accept", str(accept), "--baseline", baseline,
                      candidate)
    assert f"{field}:" not in "\n".join(line for line in rest.stdout.splitlines()
                                         if "behaviour-changed:" in line)
