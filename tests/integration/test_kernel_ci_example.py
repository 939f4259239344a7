"""The kernel CI job of examples/kernel-ci/ as a kernel tree runs it: its script runs the
baseline and the candidate, gates on verdicts and behaviour, writes JUnit and one report; here
the two "kernels" are the running one, the candidate with another default TTL (the vm target
takes the images in CI). Its CI files parse, and its accept file is one the gate reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports.behaviour import load_accept
from tests.integration.runner import REPO

EXAMPLES = REPO / "examples" / "kernel-ci"
SCRIPT = EXAMPLES / "netconform-gate.sh"


def gate_script(out: Path, cand_args: str, accept: str = "") -> subprocess.CompletedProcess:
    netconform = Path(sys.executable).parent / "netconform"
    env = dict(os.environ, NETCONFORM=str(netconform), OUT=str(out), JOBS="0",
               BASE_ARGS="-k test_handshake_completes_and_accept_returns",
               CAND_ARGS=f"-k test_handshake_completes_and_accept_returns {cand_args}",
               ACCEPT=accept)
    return subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
def test_the_example_job_fails_on_an_unaccepted_behaviour_change(tmp_path):
    """A candidate with another default TTL and no window scaling, the TTL accepted: the job
    fails naming the window scale, lists the TTL as accepted, and leaves JUnit and one
    report with both runs and the behaviour section."""
    accept = tmp_path / "accept.toml"
    accept.write_text('[[accept]]\ntest = "*"\nfield = "ipv4.ttl"\nreason = "new TTL"\n')
    proc = gate_script(tmp_path / "ci", "--dut-sysctl net.ipv4.ip_default_ttl=100 "
                       "--dut-sysctl net.ipv4.tcp_window_scaling=0", str(accept))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gate: ok, no regression" in proc.stdout  # both runs pass
    refused = [line for line in proc.stdout.splitlines() if "behaviour-changed:" in line]
    assert any("tcp.opt.wscale: 10 -> none" in line for line in refused), proc.stdout
    assert not any("ipv4.ttl" in line for line in refused)
    assert "accepted: suites/tcp/test_handshake_accept.py" in proc.stdout
    assert "ipv4.ttl: 64 -> 100" in proc.stdout and "[new TTL]" in proc.stdout
    for run in ("base", "candidate"):
        assert (tmp_path / "ci" / run / "junit.xml").read_text().startswith("<?xml")
    html = (tmp_path / "ci" / "report" / "index.html").read_text()
    assert 'id="behaviour"' in html and "linux (base)" in html and "linux (candidate)" in html


def test_the_ci_files_parse_and_call_the_script():
    yaml = pytest.importorskip("yaml")
    github = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    steps = github["jobs"]["netconform-gate"]["steps"]
    assert any("netconform-gate.sh" in step.get("run", "") for step in steps)
    assert any("junit.xml" in str(step.get("with", {})) for step in steps)
    gitlab = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    job = gitlab["netconform-gate"]
    assert any("netconform-gate.sh" in line for line in job["script"])
    assert job["artifacts"]["reports"]["junit"] == "netconform-ci/candidate/junit.xml"
    assert load_accept(str(EXAMPLES / "accepted-behaviour.toml")) == ()
