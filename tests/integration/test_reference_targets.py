"""The reference stack as a target: live on a veth and in-process. Every suite test that
passes against Linux also passes against the reference (issue: the oracle must be at least as
conformant as the stack it judges), and its results carry the oracle's decision records."""

import time

import pytest

from .runner import netconform, results


def outcomes(out):
    return {t["id"]: t["outcome"] for t in results(out)["tests"]}


@pytest.fixture(scope="module")
def linux_run(tmp_path_factory):
    """The suite's outcomes against Linux and how long the run took on this machine now."""
    out = tmp_path_factory.mktemp("linux")
    started = time.monotonic()
    proc = netconform("run", "--target", "linux", "--out", str(out), timeout=1800)
    assert proc.returncode in (0, 1), proc.stderr
    return outcomes(out), time.monotonic() - started


@pytest.mark.parametrize("target", ["reference", "reference-inproc"])
def test_reference_passes_what_linux_passes(tmp_path, linux_run, target):
    linux_outcomes, linux_seconds = linux_run
    # The same suite against the reference takes about as long as against Linux: the
    # deadline follows the Linux run measured beside it (a loaded machine slows both),
    # not a fixed figure.
    proc = netconform("run", "--target", target, "--out", str(tmp_path),
                      timeout=max(300.0, 3 * linux_seconds))
    assert proc.returncode in (0, 1), proc.stderr
    ref = {t["id"]: t for t in results(tmp_path)["tests"]}
    passed_on_linux = {t for t, o in linux_outcomes.items() if o == "passed"}
    assert len(passed_on_linux) >= 12
    # (with each one's message: a failure seen only in this whole run must explain itself)
    not_passing = {t: (ref[t]["outcome"], ref[t].get("message", "")[-1500:]) if t in ref
                   else ("missing", "") for t in passed_on_linux
                   if t not in ref or ref[t]["outcome"] != "passed"}
    assert not not_passing, not_passing
    closed = next(t for t in results(tmp_path)["tests"] if "closed_port_gets_rst" in t["id"])
    assert any(row["rule"].startswith("RFC9293-3.10.7.1") for row in closed["oracle"])
