"""FIN-WAIT-1 (RFC 9293 3.10.7.4)."""

from __future__ import annotations

from reference_stack.tcp.state import Arm, State, StateTable
from reference_stack.tcp.states._common import CLOSE_AGAIN, RST_RESET, SYN_CHALLENGE, TEXT_DELIVER

TABLE = StateTable(
    state=State.FIN_WAIT_1,
    rst=RST_RESET,
    syn=SYN_CHALLENGE,
    ack_of_fin=Arm(State.FIN_WAIT_2, "RFC9293-3.10.7.4-MUST-fin-wait-1-ack",
                   "In addition to the processing for the ESTABLISHED state, if the FIN segment "
                   "is now acknowledged, then enter FIN-WAIT-2 and continue processing in that "
                   "state."),
    text=TEXT_DELIVER,
    # Our FIN not acknowledged yet (else the fifth check moved us to FIN-WAIT-2).
    fin=Arm(State.CLOSING, "RFC9293-3.10.7.4-MUST-fin-closing",
            "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT, start the "
            "time-wait timer, turn off the other timers; otherwise, enter the CLOSING state."),
    close=CLOSE_AGAIN,
)
