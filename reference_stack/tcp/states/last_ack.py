"""LAST-ACK (RFC 9293 3.10.7.4)."""

from __future__ import annotations

from reference_stack.tcp.state import Arm, State, StateTable
from reference_stack.tcp.states._common import (
    CLOSE_AGAIN,
    FIN_STAY,
    RST_CLOSE,
    SYN_CHALLENGE,
    TEXT_IGNORE,
)

TABLE = StateTable(
    state=State.LAST_ACK,
    rst=RST_CLOSE,
    syn=SYN_CHALLENGE,
    ack_of_fin=Arm(State.CLOSED, "RFC9293-3.10.7.4-MUST-last-ack-ack",
                   "The only thing that can arrive in this state is an acknowledgment of our "
                   "FIN. If our FIN is now acknowledged, delete the TCB, enter the CLOSED state, "
                   "and return."),
    text=TEXT_IGNORE,
    fin=FIN_STAY,
    close=CLOSE_AGAIN,
)
