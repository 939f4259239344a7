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
import subprocess
import sys

ENV_MARK = "NETCONFORM_ROOTLESS"


def userns_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


class UsageFailure(Exception):
    """A usage or environment error: printed as one line, exit code 2 (by the CLI)."""


def reexec_if_needed(argv: list[str]) -> int | None:
    """None when we may go on here; else the exit code of the re-executed run."""
    if os.geteuid() == 0:
        return None
    if os.environ.get(ENV_MARK):
        raise UsageFailure("not root inside the user namespace: cannot continue")
    if not userns_works():
        raise UsageFailure("needs root, or unprivileged user namespaces (unshare -Urn) to run "
                           "rootless; neither is available")
    script = "mount -t tmpfs nc-run /run && exec \"$0\" \"$@\""
    cmd = ["unshare", "--user", "--map-root-user", "--net", "--mount", "--propagation", "private",
           "sh", "-c", script, sys.executable, "-m", "conformance.cli.main", *argv]
    env = dict(os.environ, **{ENV_MARK: "1"})
    return subprocess.run(cmd, env=env, check=False).returncode
