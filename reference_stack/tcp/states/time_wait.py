"""TIME-WAIT (RFC 9293 3.10.7.4, 3.10.8)."""

from __future__ import annotations

from reference_stack.tcp.state import Arm, State, StateTable
from reference_stack.tcp.states._common import CLOSE_AGAIN, RST_CLOSE, SYN_CHALLENGE, TEXT_IGNORE

TABLE = StateTable(
    state=State.TIME_WAIT,
    rst=RST_CLOSE,
    syn=SYN_CHALLENGE,
    text=TEXT_IGNORE,
    fin=Arm(None, "RFC9293-3.10.7.4-MUST-time-wait-fin",
            "TIME-WAIT STATE: Remain in the TIME-WAIT state. Restart the 2 MSL time-wait "
            "timeout."),
    close=CLOSE_AGAIN,
    timeout=Arm(State.CLOSED, "RFC9293-3.10.8-MUST-time-wait-timeout",
                "If the time-wait timeout expires on a connection, delete the TCB, enter the "
                "CLOSED state, and return."),
)
