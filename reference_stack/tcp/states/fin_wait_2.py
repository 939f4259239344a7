"""FIN-WAIT-2 (RFC 9293 3.10.7.4)."""

from __future__ import annotations

from reference_stack.tcp.state import Arm, State, StateTable
from reference_stack.tcp.states._common import CLOSE_AGAIN, RST_RESET, SYN_CHALLENGE, TEXT_DELIVER

TABLE = StateTable(
    state=State.FIN_WAIT_2,
    rst=RST_RESET,
    syn=SYN_CHALLENGE,
    text=TEXT_DELIVER,
    fin=Arm(State.TIME_WAIT, "RFC9293-3.10.7.4-MUST-fin-time-wait",
            "FIN-WAIT-2 STATE: Enter the TIME-WAIT state. Start the time-wait timer, turn off "
            "the other timers."),
    close=CLOSE_AGAIN,
)
