"""CLOSE-WAIT (RFC 9293 3.10.7.4)."""

from __future__ import annotations

from reference_stack.tcp.state import Arm, State, StateTable
from reference_stack.tcp.states._common import FIN_STAY, RST_RESET, SYN_CHALLENGE, TEXT_IGNORE

TABLE = StateTable(
    state=State.CLOSE_WAIT,
    rst=RST_RESET,
    syn=SYN_CHALLENGE,
    text=TEXT_IGNORE,
    fin=FIN_STAY,
    close=Arm(State.LAST_ACK, "RFC9293-3.10.4-MUST-close-close-wait",
              "Queue this request until all preceding SENDs have been segmentized; then send a "
              "FIN segment, enter LAST-ACK state.", send_fin=True),
)
