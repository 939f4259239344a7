"""CLOSED (RFC 9293 3.10.7.1): no TCB; the engine answers with a RST (see segment_arrival)."""

from __future__ import annotations

import errno

from reference_stack.tcp.state import Arm, State, StateTable

TABLE = StateTable(
    state=State.CLOSED,
    close=Arm(None, "RFC9293-3.10.4-MUST-close-closed",
              "If the user does not have access to such a connection, return 'error: connection "
              "illegal for this process'.", errno=errno.ENOTCONN, accept=False),
)
