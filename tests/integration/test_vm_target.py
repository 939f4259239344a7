"""The ``vm`` target through the real ``netconform`` command, with as few boots as possible (TCG
emulation is heavy: each boot costs seconds of both CPUs).

One run boots a user's kernel (``--kernel`` pointing at a copy of Debian's image, ``--modules``
at its modules), checks that one VM serves several tests (one boot per worker, a fresh
namespace per test, evidence from inside the VM), then kills the VM in the middle of a test:
that test fails saying so, and the next test gets a new VM. Another run is killed with
SIGKILL: the next run's reaper removes its qemu, TAP and namespaces. Needs what
``.ci/install-system-deps`` installs (qemu, busybox-static, Debian's kernel unpacked)."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conformance.fabric import reaper
from conformance.targets.vm import VmTarget
from conformance.targets.vm_kernel import default_kernel

from .runner import REPO, nc_namespaces, netconform, results, write_suite

pytestmark = pytest.mark.skipif(VmTarget.unavailable_reason() is not None,
                                reason=f"vm target: {VmTarget.unavailable_reason()}")

VM_SUITE = '''
import os
import signal
import socket

from conformance.author.templates import ICMPv4, Payload


def test_1_echo(ex, bed):
    ex.send(ICMPv4(type=8, rest=0x00420001), Payload(b"first"))
    ex.expect(ICMPv4(type=0, rest=0x00420001), Payload(b"first"))


def test_2_same_vm_fresh_namespace(ex, dut):
    fd = dut.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dut.bind(fd, ("0.0.0.0", 7000))
    ex.send(ICMPv4(type=8, rest=0x00420002), Payload(b"second"))
    ex.expect(ICMPv4(type=0, rest=0x00420002), Payload(b"second"))


def test_3_vm_killed_during_a_call(dut, bed):
    os.kill(bed.evidence["vm"]["pid"], signal.SIGKILL)
    dut.socket(socket.AF_INET, socket.SOCK_DGRAM)


def test_4_next_test_gets_a_new_vm(ex):
    ex.send(ICMPv4(type=8, rest=0x00420004), Payload(b"alive"))
    ex.expect(ICMPv4(type=0, rest=0x00420004), Payload(b"alive"))
'''

SLOW_SUITE = '''
import time


def test_slow(ex):
    time.sleep(600)
'''


def pid_alive(pid: int) -> bool:
    """Running (a zombie whose parent died is not: only PID 1 can reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_user_kernel_serves_tests_and_a_killed_vm_fails_only_its_test(tmp_path):
    kernel = default_kernel()
    assert kernel is not None and kernel.modules is not None
    image = tmp_path / "bzImage"
    shutil.copyfile(kernel.image, image)
    suite = write_suite(tmp_path / "suite", VM_SUITE, name="test_vm_faults.py")
    out = tmp_path / "out"
    proc = netconform("run", "--target", "vm", "--kernel", str(image), "--modules",
                      str(kernel.modules), "--suite", str(suite), "--out", str(out), timeout=900)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = results(out)
    env = data["environment"]
    assert env["kernel_image"] == str(image)
    assert env["kernel"] == kernel.version  # the VM's own uname, not the host's
    assert 0 < env["vm_boot_s"] < 300
    tests = {t["id"].rsplit("::", 1)[1]: t for t in data["tests"]}
    first, second = tests["test_1_echo"], tests["test_2_same_vm_fresh_namespace"]
    assert first["outcome"] == second["outcome"] == "passed", (first, second)
    assert first["vm"]["pid"] == second["vm"]["pid"], "one boot serves both tests"
    assert first["vm"]["netns"] != second["vm"]["netns"], "each test has a fresh namespace"
    icmp = first["mib_deltas"]["Icmp"]  # counted inside the VM's namespace (the test's echo
    assert icmp["InEchos"] >= 1 and icmp["OutEchoReps"] == icmp["InEchos"]  # and a barrier's)
    killed = tests["test_3_vm_killed_during_a_call"]
    assert killed["outcome"] == "failed"
    assert "killed by SIGKILL" in killed["message"], killed["message"]
    after = tests["test_4_next_test_gets_a_new_vm"]
    assert after["outcome"] == "passed", after.get("message")
    assert after["vm"]["pid"] != first["vm"]["pid"]
    assert not any(pid_alive(t["vm"]["pid"]) for t in tests.values())


def test_kill_9_leaves_nothing_the_reaper_does_not_remove(tmp_path):
    suite = write_suite(tmp_path / "suite", SLOW_SUITE, name="test_vm_slow.py")
    run_id = "%04x" % (os.getpid() & 0xFFFF)
    env = {**os.environ, "NETCONFORM_RUN_ID": run_id}
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli.main", "run", "--target", "vm", "--suite",
         str(suite), "--out", str(tmp_path / "out")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 600
    qemu = []
    while not qemu and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(1)
        qemu = [p for ns in nc_namespaces(run_id) for p in _pids_in(ns)]
    assert qemu, "the run never started its VM"
    os.kill(proc.pid, signal.SIGKILL)  # the run only: its qemu is left to die or be reaped
    proc.wait()
    reaper.reap()
    assert not nc_namespaces(run_id), "the reaper left namespaces"
    time.sleep(0.5)
    assert not any(pid_alive(p) for p in qemu), "qemu outlived the reaper"


def _pids_in(ns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split() if p.isdigit()]
