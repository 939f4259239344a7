"""Child processes (``ip``, ``--dut-setup`` commands) started while the DUT's kernel sockets
live in this very process, and the close() of those sockets.

A child holds a copy of every descriptor of this process from its fork until its exec (which
closes them: CLOEXEC). A DUT socket that a test closes in that window is not released by its
close(): the last reference goes with the child's exec, so Linux's tcp_close runs then, not
when the test asked. The worker's namespace pool builds the next DUT namespace with ``ip`` in a
thread of its own while a test runs (conformance.fabric.namespaces.Fabric), so on a loaded
machine a test's close() returned with the connection still open: no FIN yet when the barrier
was answered (stateful findings a7e1beb9027a, 79f9e50818ba), or the connection not orphaned
when the next segment came, which Linux's tcp_rcv_state_process then answered as a live
FIN-WAIT-1 (an ACK with a D-SACK) instead of consuming it (the CI flake of
test_orphaned_fin_wait_1_acked_by_old_text: no TW in its MIB deltas).

One lock orders the two: a child is started (fork to exec: subprocess.Popen returns once the
child has exec'd) only while no DUT socket is being closed, and a DUT socket is closed only
while no child is between fork and exec. It is process-wide because the descriptor table is;
waiting for the child runs outside it.
"""

from __future__ import annotations

import subprocess

from conformance.fabric.fork_lock import FORK_OR_CLOSE, closing_sockets

__all__ = ["closing_sockets", "run"]


def run(argv: list[str], input: str | None = None, timeout: float | None = None
        ) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(argv, input=input, text=True, capture_output=True, check=False,
    timeout=timeout)``, its fork and exec ordered with the DUT sockets' close()."""
    with FORK_OR_CLOSE:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else None,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(input, timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)

