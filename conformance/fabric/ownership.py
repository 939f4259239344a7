"""Which run owns what: a registry of live harness processes.

Each harness process (the pytest controller or an xdist worker) writes
``/run/netconform/owners/<run>-<worker>`` with its PID and the process start time (so a reused
PID is not mistaken for the owner). Anything named ``nc-<run>-<worker>-...`` whose owner file is
missing or names a dead process belongs to a run that is gone, and the reaper removes it.
"""

from __future__ import annotations

import json
import os

OWNERS_DIR = "/run/netconform/owners"


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may contain spaces, so split after ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def owner_path(run_id: str, worker: str) -> str:
    return os.path.join(OWNERS_DIR, f"{run_id}-{worker}")


def register(run_id: str, worker: str) -> None:
    os.makedirs(OWNERS_DIR, exist_ok=True)
    pid = os.getpid()
    record = {"pid": pid, "start": _start_time(pid)}
    tmp = owner_path(run_id, worker) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, owner_path(run_id, worker))


def unregister(run_id: str, worker: str) -> None:
    try:
        os.unlink(owner_path(run_id, worker))
    except FileNotFoundError:
        pass


def is_alive(run_id: str, worker: str) -> bool:
    try:
        with open(owner_path(run_id, worker)) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return False
    pid = record.get("pid")
    return isinstance(pid, int) and _start_time(pid) == record.get("start")


def registered() -> list[tuple[str, str]]:
    try:
        names = os.listdir(OWNERS_DIR)
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        if name.endswith(".tmp") or "-" not in name:
            continue
        run_id, worker = name.split("-", 1)
        out.append((run_id, worker))
    return out
