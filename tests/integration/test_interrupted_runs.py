"""Interrupted and killed runs (issue 17, item 6): SIGINT works even when the run was started
with SIGINT ignored (a shell's ``cmd &``); results.json says ``complete: false`` and why; the
report shows a banner; ``gate`` refuses the run; xdist workers die with a killed controller;
``targets`` and ``replay`` reap what a killed run left; a rerun into an old --out never mixes
the old run's pcaps with its own."""

import os
import secrets
import signal
import subprocess
import sys
import time

import pytest

from tests.timing import bound

from .runner import (
    PROCESS_MARGIN,
    REPO,
    RUN_UP_IDLE_S,
    STOP_IDLE_S,
    nc_namespaces,
    netconform,
    results,
    write_suite,
)

# test_a passes at once; test_b reports its PID through a file, then hangs.
HANGING_SUITE = '''
import os, time

def test_a(ex):
    ex.expect_nothing()

def test_b(ex):
    with open(os.environ["NC_TEST_MARK"], "a") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(120)
'''
WORKER_DEATH_IDLE_S = 1.0
QUICK_SUITE = '''
def test_quick(ex):
    ex.expect_nothing()
'''


def ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `cmd &` in a script does


def start_hanging_run(tmp_path, *extra, sigint_ignored=False):
    """A run whose test_b hangs; returns (process, run id, test_b's pids) once it hangs."""
    suite = write_suite(tmp_path / "suite", HANGING_SUITE)
    mark = tmp_path / "mark"
    run_id = secrets.token_hex(2)
    env = dict(os.environ, NETCONFORM_RUN_ID=run_id, NC_TEST_MARK=str(mark))
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli.main", "run", "--suite", str(suite),
         "--out", str(tmp_path / "out"), *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env=env, preexec_fn=ignore_sigint if sigint_ignored else None, text=True)
    deadline = time.monotonic() + bound(RUN_UP_IDLE_S, PROCESS_MARGIN)
    while time.monotonic() < deadline and proc.poll() is None:
        if mark.exists() and mark.read_text().strip():
            return proc, run_id, [int(p) for p in mark.read_text().split()]
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"the run never reached its hanging test: {proc.communicate()[0][-2000:]}")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_run_is_marked_incomplete_even_with_sigint_ignored(tmp_path, sig):
    proc, run_id, _ = start_hanging_run(tmp_path, sigint_ignored=True)
    os.kill(proc.pid, sig)
    output, _ = proc.communicate(timeout=bound(STOP_IDLE_S, PROCESS_MARGIN))
    name = signal.Signals(sig).name
    assert proc.returncode == 2, output
    assert "incomplete" in output and name in output
    doc = results(tmp_path / "out")
    assert doc["complete"] is False and doc["incomplete_reason"] == f"stopped by {name}"
    assert doc["summary"]["passed"] == 1 and doc["summary"]["error"] == 1
    (hung,) = [t for t in doc["tests"] if t["id"].endswith("test_b")]
    assert hung["outcome"] == "error" and "during this test" in hung["message"]
    html = (tmp_path / "out" / "index.html").read_text()
    assert 'class="banner"' in html and f"incomplete run (stopped by {name})" in html
    assert nc_namespaces(run_id) == []
    gate = netconform("gate", "--baseline", str(tmp_path / "out" / "results.json"),
                      str(tmp_path / "out" / "results.json"))
    assert gate.returncode == 2 and "incomplete run" in gate.stderr, gate.stdout + gate.stderr
    assert gate.stderr.count("\n") == 1


def test_a_complete_run_says_so(tmp_path):
    suite = write_suite(tmp_path / "suite", QUICK_SUITE)
    proc = netconform("run", "--suite", str(suite), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = results(tmp_path / "out")
    assert doc["complete"] is True and doc["incomplete_reason"] is None


def test_workers_die_with_a_killed_controller(tmp_path):
    proc, run_id, worker_pids = start_hanging_run(tmp_path, "-n", "2")
    assert worker_pids and proc.pid not in worker_pids
    os.kill(proc.pid, signal.SIGKILL)  # the controller only, not its process group
    proc.wait(timeout=30)
    # Measured on an idle 2-CPU machine: gone 1.0 s after the kill with PR_SET_PDEATHSIG
    # (the SIGTERM tears the test down), 6.5 s without (execnet notices the lost channel);
    # the bound is four times the first, scaled by the slowdown measured now.
    deadline = time.monotonic() + bound(WORKER_DEATH_IDLE_S)
    while time.monotonic() < deadline and any(alive(p) for p in worker_pids):
        time.sleep(0.05)
    survivors = [p for p in worker_pids if alive(p)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], "an xdist worker outlived its controller"


@pytest.mark.parametrize("verb", [["targets"], ["replay", "/nonexistent/finding"]])
def test_every_verb_reaps_what_a_killed_run_left(tmp_path, verb):
    proc, run_id, _ = start_hanging_run(tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert nc_namespaces(run_id), "kill -9 should leave the namespaces behind"
    netconform(*verb)
    assert nc_namespaces(run_id) == []


def test_a_rerun_into_an_old_out_keeps_only_its_own_files(tmp_path):
    out = tmp_path / "out"
    first = write_suite(tmp_path / "first", QUICK_SUITE.replace("test_quick", "test_old"))
    second = write_suite(tmp_path / "second", QUICK_SUITE)
    assert netconform("run", "--suite", str(first), "--out", str(out)).returncode == 0
    assert any("test_old" in p for p in os.listdir(out / "pcaps"))
    proc = netconform("run", "--suite", str(second), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pcaps = os.listdir(out / "pcaps")
    assert pcaps and all("test_quick" in p for p in pcaps), pcaps
    assert [t["id"].rsplit("::")[-1] for t in results(out)["tests"]] == ["test_quick"]


def test_an_out_folder_with_foreign_files_is_refused_without_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    suite = write_suite(tmp_path / "suite", QUICK_SUITE)
    proc = netconform("run", "--suite", str(suite), "--out", str(out))
    assert proc.returncode == 2 and "notes.txt" in proc.stderr, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1
    forced = netconform("run", "--suite", str(suite), "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert (out / "notes.txt").read_text() == "mine" and (out / "results.json").exists()
