"""Running without root: inside a fresh user + network + mount namespace.

As an ordinary user, ``netconform run`` re-executes itself under ``unshare --user
--map-root-user --net --mount`` (when unprivileged user namespaces work), with private tmpfs
mounts on /run so that named namespaces and the owner registry live inside it. Everything the
run creates dies with that namespace, so nothing can be left behind even after kill -9.
Kernel drop reasons need tracefs, which is not reachable there; MIB counters work.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile

ENV_MARK = "NETCONFORM_ROOTLESS"


def userns_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


class UsageFailure(Exception):
    """A usage or environment error: printed as one line, exit code 2 (by the CLI)."""


def inside() -> bool:
    """True in the re-executed process (root of a user namespace, not of the machine)."""
    return bool(os.environ.get(ENV_MARK))


def reexec_if_needed(argv: list[str], required: bool = True) -> int | None:
    """None when we may go on here; else the exit code of the re-executed verb. Without user
    namespaces: a UsageFailure when ``required``, else None (the verb goes on unprivileged)."""
    if os.geteuid() == 0:
        return None
    if inside():
        raise UsageFailure("not root inside the user namespace: cannot continue")
    if not userns_works():
        if not required:
            return None
        raise UsageFailure("needs root, or unprivileged user namespaces (unshare -Urn) to run "
                           "rootless; neither is available")
    script = "mount -t tmpfs nc-run /run && exec \"$0\" \"$@\""
    cmd = ["unshare", "--user", "--map-root-user", "--net", "--mount", "--propagation", "private",
           "sh", "-c", script, sys.executable, "-m", "conformance.cli.main", *argv]
    # pytest's temporary folders (xdist makes them) go under one of ours: a /tmp/pytest-of-root
    # of the real root would look foreign to the namespace's root and stop the run.
    temproot = tempfile.mkdtemp(prefix="netconform-rootless-")
    env = dict(os.environ, **{ENV_MARK: "1", "PYTEST_DEBUG_TEMPROOT": temproot})
    # The child (the same PID through unshare, sh and python) asks for SIGTERM if we die
    # (kill -9), once inside: entering the user namespace would clear a parent-death signal
    # set before. It has a process group of its own, so a Ctrl-C reaches it once, through us:
    # we pass SIGINT and SIGTERM on and wait for its tear-down (the run marks itself incomplete).
    try:
        child = subprocess.Popen(cmd, env=env, process_group=0)
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt as exc:
                child.send_signal(signal.SIGTERM if "SIGTERM" in str(exc) else signal.SIGINT)
    finally:
        shutil.rmtree(temproot, ignore_errors=True)
