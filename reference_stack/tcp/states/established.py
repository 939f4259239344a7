"""ESTABLISHED (RFC 9293 3.10.7.4)."""

from __future__ import annotations

from reference_stack.tcp.state import Arm, State, StateTable
from reference_stack.tcp.states._common import RST_RESET, SYN_CHALLENGE, TEXT_DELIVER

TABLE = StateTable(
    state=State.ESTABLISHED,
    rst=RST_RESET,
    syn=SYN_CHALLENGE,
    text=TEXT_DELIVER,
    fin=Arm(State.CLOSE_WAIT, "RFC9293-3.10.7.4-MUST-fin-close-wait",
            "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state."),
    close=Arm(State.FIN_WAIT_1, "RFC9293-3.10.4-MUST-close-established",
              "Queue this until all preceding SENDs have been segmentized, then form a FIN "
              "segment and send it. In any case, enter FIN-WAIT-1 state.", send_fin=True),
)
