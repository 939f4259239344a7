"""Background threads of the harness.

Signals (Ctrl-C, SIGTERM) must reach the main thread: Python runs handlers there, and a
signal the kernel hands to another thread does not interrupt the main thread's blocking call
(a test sleeping, a recv), so tear-down would wait for it to end. Harness threads therefore
block those signals; the kernel then delivers them to the main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

MAIN_THREAD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def start_daemon(target: Callable[[], None], name: str) -> threading.Thread:
    def run() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, MAIN_THREAD_SIGNALS)
        target()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
