"""SYN-RECEIVED (RFC 9293 3.10.7.4)."""

from __future__ import annotations

import errno

from reference_stack.tcp.state import Arm, State, StateTable

TABLE = StateTable(
    state=State.SYN_RECEIVED,
    # Second check; for a passive open the engine returns the connection to LISTEN instead.
    rst=Arm(State.CLOSED, "RFC9293-3.10.7.4-MUST-syn-received-rst",
            "If this connection was initiated with an active OPEN (i.e., came from SYN-SENT "
            "state), then the connection was refused; signal the user 'connection refused'. ... "
            "enter the CLOSED state and delete the TCB.", errno=errno.ECONNREFUSED),
    syn=Arm(None, "RFC9293-3.10.7.4-MUST-syn-received-syn",
            "If the connection was initiated with a passive OPEN, then return this connection to "
            "the LISTEN state and return. Otherwise, handle per the directions for synchronized "
            "states below.", accept=False),
    ack_of_syn=Arm(State.ESTABLISHED, "RFC9293-3.10.7.4-MUST-syn-received-ack",
                   "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and continue "
                   "processing with the variables below set to: SND.WND <- SEG.WND, "
                   "SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK"),
    fin=Arm(State.CLOSE_WAIT, "RFC9293-3.10.7.4-MUST-fin-close-wait",
            "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state."),
    close=Arm(State.FIN_WAIT_1, "RFC9293-3.10.4-MUST-close-syn-received",
              "If no SENDs have been issued and there is no pending data to send, then form a "
              "FIN segment and send it, and enter FIN-WAIT-1 state", send_fin=True),
)
