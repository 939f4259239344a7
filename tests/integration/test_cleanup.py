"""Everything a run creates goes away: on SIGTERM and Ctrl-C at once, and after kill -9 by the
reaper of the next run."""

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
    write_suite,
)

SLOW_SUITE = '''
import time

def test_slow(ex):
    time.sleep(60)
'''

QUICK_SUITE = '''
def test_quick(ex):
    ex.expect_nothing()
'''


def start_slow_run(tmp_path):
    """A run stuck in its first test; returns (process, run id) once its DUT namespace exists."""
    suite = write_suite(tmp_path / "slow", SLOW_SUITE)
    run_id = secrets.token_hex(2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli.main", "run", "--suite", str(suite),
         "--out", str(tmp_path / "out-slow")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env=dict(os.environ, NETCONFORM_RUN_ID=run_id),
    )
    deadline = time.monotonic() + bound(RUN_UP_IDLE_S, PROCESS_MARGIN)
    while time.monotonic() < deadline:
        if any("-d" in name for name in nc_namespaces(run_id)):
            return proc, run_id
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the slow run never created its namespaces")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_tears_everything_down(tmp_path, sig):
    proc, run_id = start_slow_run(tmp_path)
    os.kill(proc.pid, sig)
    proc.wait(timeout=bound(STOP_IDLE_S, PROCESS_MARGIN))
    assert nc_namespaces(run_id) == []


def test_kill_9_leftovers_are_reaped_by_the_next_run(tmp_path):
    proc, run_id = start_slow_run(tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=bound(STOP_IDLE_S, PROCESS_MARGIN))
    assert nc_namespaces(run_id), "kill -9 should leave the namespaces behind"
    quick = write_suite(tmp_path / "quick", QUICK_SUITE)
    done = netconform("run", "--suite", str(quick), "--out", str(tmp_path / "out-quick"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert nc_namespaces(run_id) == []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f"nc-{run_id}-" not in links
