"""CLOSING (RFC 9293 3.10.7.4)."""

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
    state=State.CLOSING,
    rst=RST_CLOSE,
    syn=SYN_CHALLENGE,
    ack_of_fin=Arm(State.TIME_WAIT, "RFC9293-3.10.7.4-MUST-closing-ack",
                   "In addition to the processing for the ESTABLISHED state, if the ACK "
                   "acknowledges our FIN, then enter the TIME-WAIT state; otherwise, ignore the "
                   "segment."),
    text=TEXT_IGNORE,
    fin=FIN_STAY,
    close=CLOSE_AGAIN,
)
