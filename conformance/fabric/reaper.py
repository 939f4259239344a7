"""Remove what an earlier run left behind (after kill -9, a crash or a power cut).

Runs at start-up. It only ever touches names the harness makes (``nc-<run>-<worker>-...``) whose
owning process is gone (see :mod:`conformance.fabric.ownership`): namespaces (after killing,
by PID, the processes inside them, which only the harness can have started there), interfaces
in the current namespace, ftrace instances, the state folders of runsc (the ``gvisor``
target: ``/run/netconform/runsc/nc-<run>-<worker>``, whose sandboxes die with their namespace)
and the ``vm`` target's working folders (``<tmp>/nc-<run>-<worker>-vm-<random>``: console logs).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile

from conformance.fabric import netns, ownership, spawn
from conformance.fabric.naming import parse_name

TRACE_INSTANCES = "/sys/kernel/tracing/instances"
# runsc's state (--root) of each worker of the gvisor target, in a folder named after the
# worker's stem nc-<run>-<worker> (a harness name once a kind letter is added).
RUNSC_STATE_DIR = "/run/netconform/runsc"
# The vm target's working folder of each worker, in the temporary folder: the worker's stem,
# this mark, then tempfile.mkdtemp's random part (vm_workdir_prefix).
VM_WORKDIR_MARK = "-vm-"


def vm_workdir_prefix(stem: str) -> str:
    return f"{stem}{VM_WORKDIR_MARK}"


def _stale(name: str) -> bool:
    owner = parse_name(name)
    return owner is not None and not ownership.is_alive(*owner)


def _pids_in_netns(name: str) -> list[int]:
    result = subprocess.run(
        ["ip", "netns", "pids", name], capture_output=True, text=True, check=False
    )
    return [int(p) for p in result.stdout.split() if p.isdigit()]


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def delete_netns(names: list[str]) -> None:
    """Delete named namespaces with one ``ip -batch`` call (missing ones are ignored)."""
    if not names:
        return
    script = "".join(f"netns del {n}\n" for n in names)
    spawn.run(["ip", "-force", "-batch", "-"], input=script)


def _stale_links() -> list[str]:
    names = []
    for ifname in os.listdir("/sys/class/net"):
        if _stale(ifname):
            names.append(ifname)
    return names


def reap() -> dict[str, list[str]]:
    """Remove everything whose owner is gone; returns what was removed, by kind."""
    removed: dict[str, list[str]] = {"netns": [], "links": [], "trace_instances": [], "pids": [],
                                      "state_dirs": []}
    if os.geteuid() != 0:
        return removed  # an unprivileged run made nothing to reap (see conformance.cli.rootless)
    stale_ns = [n for n in netns.list_named() if _stale(n)]
    for name in stale_ns:
        pids = _pids_in_netns(name)
        _kill(pids)
        removed["pids"].extend(str(p) for p in pids)
    delete_netns(stale_ns)
    removed["netns"] = stale_ns
    for ifname in _stale_links():
        subprocess.run(["ip", "link", "del", ifname], capture_output=True, check=False)
        removed["links"].append(ifname)
    if os.path.isdir(TRACE_INSTANCES):
        for inst in os.listdir(TRACE_INSTANCES):
            if _stale(inst):
                try:
                    os.rmdir(os.path.join(TRACE_INSTANCES, inst))
                    removed["trace_instances"].append(inst)
                except OSError:
                    pass
    for stem in os.listdir(RUNSC_STATE_DIR) if os.path.isdir(RUNSC_STATE_DIR) else ():
        if _stale(f"{stem}-t"):
            shutil.rmtree(os.path.join(RUNSC_STATE_DIR, stem), ignore_errors=True)
            removed["state_dirs"].append(stem)
    tmp = tempfile.gettempdir()
    for entry in os.listdir(tmp):
        stem, mark, _ = entry.partition(VM_WORKDIR_MARK)
        if mark and _stale(f"{stem}-t") and os.path.isdir(os.path.join(tmp, entry)):
            shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)
            removed["state_dirs"].append(entry)
    for run_id, worker in ownership.registered():
        if not ownership.is_alive(run_id, worker):
            ownership.unregister(run_id, worker)
    return removed
