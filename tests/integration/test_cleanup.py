"""Everything a run creates goes away: on SIGTERM and Ctrl-C at once, and after kill -9 by the
reaper of the next run."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from .runner import REPO, nc_namespaces, netconform, write_suite

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
    suite = write_suite(tmp_path / "slow", SLOW_SUITE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", "--suite", str(suite),
         "--out", str(tmp_path / "out-slow")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    before = set(nc_namespaces())
    while time.monotonic() < deadline:
        new = [n for n in nc_namespaces() if n not in before and n.endswith("-t")]
        if new:
            run_id = re.match(r"nc-([0-9a-f]{4})-", new[0]).group(1)
            # wait until the DUT namespace of the test exists too
            while len(nc_namespaces(run_id)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            return proc, run_id
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the slow run never created its namespaces")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_tears_everything_down(tmp_path, sig):
    proc, run_id = start_slow_run(tmp_path)
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    assert nc_namespaces(run_id) == []


def test_kill_9_leftovers_are_reaped_by_the_next_run(tmp_path):
    proc, run_id = start_slow_run(tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert nc_namespaces(run_id), "kill -9 should leave the namespaces behind"
    quick = write_suite(tmp_path / "quick", QUICK_SUITE)
    done = netconform("run", "--suite", str(quick), "--out", str(tmp_path / "out-quick"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert nc_namespaces(run_id) == []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f"nc-{run_id}-" not in links
