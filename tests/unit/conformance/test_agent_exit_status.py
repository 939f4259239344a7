"""A DUT process killed just before its test ends is seen as ended (issue 16: a killed target
fails that test): exit_status() waits for one with a SIGKILL pending instead of taking it for
alive while it is still dying (a many-threaded runsc under load takes milliseconds)."""

import os
import signal
import subprocess
import sys

from conformance.dut.agent import exit_status, fatal_signal_pending

# many threads, each of which must be scheduled to die: exit takes a moment after the signal
THREADED = ("import threading, time\n"
            "for _ in range(64):\n"
            "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n")


def start() -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", THREADED], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


def test_a_running_process_has_no_exit_status():
    process = start()
    try:
        assert not fatal_signal_pending(process.pid)
        assert exit_status(process) is None
    finally:
        process.kill()
        process.wait()


def test_a_process_killed_a_moment_ago_is_seen_as_killed():
    for _ in range(20):  # (without the pending-signal check, poll() often says "running")
        process = start()
        os.kill(process.pid, signal.SIGKILL)
        assert exit_status(process) == -signal.SIGKILL


def test_no_such_process_has_nothing_pending():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert not fatal_signal_pending(process.pid)
