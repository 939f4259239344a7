"""The one lock that orders a child's fork-to-exec with the close() of the DUT sockets living in
this process (why: :mod:`conformance.fabric.spawn`). A module of its own, without
``subprocess``, so that a DUT agent closing sockets imports only this
(conformance.dut.kernel_sockets in the ``gvisor`` sandbox)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

FORK_OR_CLOSE = threading.Lock()


@contextmanager
def closing_sockets() -> Iterator[None]:
    """The body closes sockets of this process: no child holds a copy of them meanwhile, so a
    close() that drops the last descriptor releases the socket then and there."""
    with FORK_OR_CLOSE:
        yield
