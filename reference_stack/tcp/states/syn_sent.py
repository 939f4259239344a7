"""SYN-SENT (RFC 9293 3.10.7.3)."""

from __future__ import annotations

import errno

from reference_stack.tcp.state import Arm, State, StateTable

TABLE = StateTable(
    state=State.SYN_SENT,
    rst=Arm(State.CLOSED, "RFC9293-3.10.7.3-MUST-rst-refused",
            "If the ACK was acceptable, then signal to the user 'error: connection reset', drop "
            "the segment, enter CLOSED state, delete TCB, and return.",
            errno=errno.ECONNREFUSED),
    ack_of_syn=Arm(State.ESTABLISHED, "RFC9293-3.10.7.3-MUST-synack-established",
                   "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to "
                   "ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and "
                   "send it."),
    syn=Arm(State.SYN_RECEIVED, "RFC9293-3.10.7.3-MUST-simultaneous-open",
            "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment "
            "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it."),
    close=Arm(State.CLOSED, "RFC9293-3.10.4-MUST-close-syn-sent",
              "Delete the TCB and return 'error: closing' responses to any queued SENDs, or "
              "RECEIVEs."),
)
