"""The ``gvisor`` target through the real ``netconform`` command: a smoke subset passes with a
fresh sandbox per test, netstack (not the DUT kernel) answers, and a sandbox killed or hung
mid-test fails that test (and only that test) with a clear message while the run goes on.

runsc must be installed by the environment (.ci/install-system-deps)."""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conformance.fabric.reaper import RUNSC_STATE_DIR

from .runner import REPO, nc_namespaces, netconform, results, write_suite

pytestmark = pytest.mark.skipif(
    shutil.which("runsc") is None or os.geteuid() != 0,
    reason="needs root and runsc (.ci/install-system-deps)")

SMOKE = [
    "suites/icmp/test_echo.py",
    "suites/udp/test_delivery.py",
    "suites/tcp/test_data_both_ways.py",
    "suites/ipv4/test_bad_version.py",  # netstack itself must see and drop these
]

FAULTS = '''
import os
import signal
import socket
import time

from conformance.author.templates import ICMPv4, Payload


def test_1_killed_then_called(dut, bed):
    # runsc run dies at once; its sandbox (which holds the agent's pipes) follows through
    # PR_SET_PDEATHSIG a few ms later: a call made in between may still be answered.
    os.kill(bed.evidence["gvisor"]["pid"], signal.SIGKILL)
    time.sleep(1.0)
    dut.socket(socket.AF_INET, socket.SOCK_DGRAM)


def test_2_killed_between_calls(bed):
    os.kill(bed.evidence["gvisor"]["pid"], signal.SIGKILL)


def test_3_next_test_gets_a_fresh_sandbox(ex):
    ex.send(ICMPv4(type=8, rest=0x00420001), Payload(b"alive"))
    ex.expect(ICMPv4(type=0, rest=0x00420001), Payload(b"alive"))
'''

SENTRY = '''
import socket
import subprocess


def test_netstack_has_the_address_and_the_kernel_none(dut, bed):
    fd = dut.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dut.bind(fd, (bed.endpoints.dut_ipv4, 0))  # netstack has the address
    ns = bed.handle.netns.name
    addrs = subprocess.run(["ip", "-n", ns, "-o", "addr"], capture_output=True, text=True)
    assert bed.endpoints.dut_ipv4 not in addrs.stdout, addrs.stdout
    assert bed.endpoints.dut_ipv6 not in addrs.stdout, addrs.stdout
    # The readiness echo reached netstack over the veth, and the namespace's kernel received
    # no IP packet of it (the veth is a port of a bridge that is down).
    snmp = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"],
                          capture_output=True, text=True).stdout.splitlines()
    ip_names, ip_values = (line.split() for line in snmp if line.startswith("Ip:"))
    assert dict(zip(ip_names, ip_values))["InReceives"] == "0", snmp
'''


def pid_alive(pid: int) -> bool:
    """Running, not a zombie: a SIGKILLed sandbox process stays a zombie until its new parent
    (init) collects it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def all_gone(pids: list[int], within_s: float = 10.0) -> bool:
    """SIGKILL is delivered at once but a ptrace sandbox takes a moment to die under load."""
    deadline = time.monotonic() + within_s
    while any(pid_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def state_roots() -> set[str]:
    return set(os.listdir(RUNSC_STATE_DIR)) if os.path.isdir(RUNSC_STATE_DIR) else set()


def test_smoke_subset_passes_with_a_sandbox_per_test(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--target", "gvisor", "--out", str(out)]
    for suite in SMOKE:
        args += ["--suite", suite]
    before = state_roots()  # (another run's, live beside this one, stay)
    proc = netconform(*args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = results(out)
    assert data["target"] == "gvisor"
    assert data["environment"]["runsc"]
    assert 0 < data["environment"]["gvisor_startup_s"] < 30
    outcomes = {t["id"]: t["outcome"] for t in data["tests"]}
    assert len(outcomes) >= 5 and set(outcomes.values()) == {"passed"}, outcomes
    pids = [t["gvisor"]["pid"] for t in data["tests"]]
    assert len(set(pids)) == len(pids), "each test has its own sandbox"
    assert not any(pid_alive(pid) for pid in pids), "a sandbox outlived the run"
    assert not state_roots() - before, "a worker's runsc state root outlived the run"
    bad_versions = [t for t in data["tests"] if "test_bad_version" in t["id"]]
    # (beside the barrier probes, ICMP echoes netstack counts as received too)
    assert bad_versions and all(
        t["gvisor"]["counter_deltas"].get("Ip.InReceives", 0)
        - t["gvisor"]["counter_deltas"].get("Icmp.InEchos", 0) == 1 for t in bad_versions
    ), "malformed datagrams must reach netstack (its own MIB counts them), not the DUT kernel"


def test_netstack_owns_the_link_and_the_dut_kernel_is_silent(tmp_path):
    """runsc took the addresses into netstack (a socket binds there), the DUT kernel has none
    left, and its ingress hook drops every frame on the veth."""
    suite = write_suite(tmp_path / "suite", SENTRY, name="test_gvisor_sentry.py")
    out = tmp_path / "out"
    proc = netconform("run", "--target", "gvisor", "--suite", str(suite), "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_sandbox_killed_mid_test_fails_only_that_test(tmp_path):
    suite = write_suite(tmp_path / "suite", FAULTS, name="test_gvisor_faults.py")
    out = tmp_path / "out"
    proc = netconform("run", "--target", "gvisor", "--suite", str(suite), "--out", str(out))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    tests = {t["id"].rsplit("::", 1)[1]: t for t in results(out)["tests"]}
    killed_in_call = tests["test_1_killed_then_called"]
    assert killed_in_call["outcome"] == "failed"
    assert "gVisor sandbox agent" in killed_in_call["message"]
    assert "killed by SIGKILL" in killed_in_call["message"]
    killed_between = tests["test_2_killed_between_calls"]
    assert killed_between["outcome"] == "error"
    assert "gVisor sandbox process ended during the test" in killed_between["message"]
    assert "killed by SIGKILL" in killed_between["message"]
    assert tests["test_3_next_test_gets_a_fresh_sandbox"]["outcome"] == "passed"
    assert not any(pid_alive(t["gvisor"]["pid"]) for t in tests.values() if "gvisor" in t)


def test_listed_as_available():
    proc = netconform("targets")
    assert proc.returncode == 0
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith("gvisor ")]
    assert "available" in line and "unavailable" not in line


SLOW = '''
import time


def test_slow(ex):
    time.sleep(60)
'''


def sandbox_pids(run_id: str) -> list[int]:
    """PIDs of the processes in this run's DUT namespaces (runsc, its gofer and sandbox)."""
    pids = []
    for ns in nc_namespaces(run_id):
        out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        pids += [int(p) for p in out.stdout.split()]
    return pids


def test_sandboxes_of_a_killed_run_are_reaped_by_the_next(tmp_path):
    """kill -9 of the harness (only its own PID) can leave its sandboxes running and always
    leaves their namespaces and runsc state; the next run's reaper kills what runs by PID and
    deletes the namespaces and the run's runsc state folder."""
    suite = write_suite(tmp_path / "slow", SLOW, name="test_gvisor_slow.py")
    run_id = secrets.token_hex(2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli.main", "run", "--target", "gvisor", "--suite",
         str(suite), "--out", str(tmp_path / "out-slow")],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env=dict(os.environ, NETCONFORM_RUN_ID=run_id))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not sandbox_pids(run_id):
        time.sleep(0.2)
    time.sleep(2)  # the test is running on its sandbox
    pids = sandbox_pids(run_id)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert pids, "the run had started its sandboxes"
    # Whether a sandbox outlives the kill depends on how far runsc got (a worker's death signal
    # may take it down first); whatever is left, the next run must remove it.
    states = [n for n in os.listdir(RUNSC_STATE_DIR) if n.startswith(f"nc-{run_id}-")]
    assert states, "the killed run's runsc state is left behind"
    quick = write_suite(tmp_path / "quick", "def test_quick(ex):\n    ex.expect_nothing()\n")
    done = netconform("run", "--suite", str(quick), "--out", str(tmp_path / "out-quick"))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert nc_namespaces(run_id) == []
    assert all_gone(pids), "the reaper kills the sandboxes"
    assert not [n for n in os.listdir(RUNSC_STATE_DIR) if n.startswith(f"nc-{run_id}-")]
