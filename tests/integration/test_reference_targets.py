"""The reference stack as a target: live on a veth and in-process. Every suite test that
passes against Linux also passes against the reference (issue: the oracle must be at least as
conformant as the stack it judges), and its results carry the oracle's decision records.

The whole runs are shared with the vocabulary check (tests/integration/whole_runs.py)."""

import pytest

from .whole_runs import whole_run

LINUX_TIMEOUT_S = 1800


@pytest.fixture(scope="module")
def linux_run(tmp_path_factory):
    """The suite against Linux (its outcomes, and how long it took on this machine now)."""
    run = whole_run(tmp_path_factory, "linux", LINUX_TIMEOUT_S)
    assert run.returncode in (0, 1), run.stderr_tail
    return run


@pytest.mark.parametrize("target", ["reference", "reference-inproc"])
def test_reference_passes_what_linux_passes(tmp_path_factory, linux_run, target):
    # The same suite against the reference takes about as long as against Linux: the
    # deadline follows the Linux run measured beside it (a loaded machine slows both),
    # not a fixed figure.
    run = whole_run(tmp_path_factory, target, timeout=max(300.0, 3 * linux_run.seconds))
    assert run.returncode in (0, 1), run.stderr_tail
    ref = {t["id"]: t for t in run.results()["tests"]}
    passed_on_linux = {t for t, o in linux_run.outcomes().items() if o == "passed"}
    assert len(passed_on_linux) >= 12
    not_passing = sorted(t for t in passed_on_linux
                         if t not in ref or ref[t]["outcome"] != "passed")
    if not_passing:
        # each with its whole message: a failure seen only in a whole run must explain itself
        pytest.fail("\n\n".join(
            f"{t}: {ref[t]['outcome']}\n{ref[t].get('message', '')}" if t in ref
            else f"{t}: missing" for t in not_passing), pytrace=False)
    closed = next(t for t in ref.values() if "closed_port_gets_rst" in t["id"])
    assert any(row["rule"].startswith("RFC9293-3.10.7.1") for row in closed["oracle"])
