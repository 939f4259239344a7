"""LISTEN (RFC 9293 3.10.7.2)."""

from __future__ import annotations

from reference_stack.tcp.state import Arm, State, StateTable

TABLE = StateTable(
    state=State.LISTEN,
    syn=Arm(State.SYN_RECEIVED, "RFC9293-3.10.7.2-MUST-listen-syn",
            "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... a SYN segment sent of the form: "
            "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to ISS+1 and SND.UNA to ISS. "
            "The connection state should be changed to SYN-RECEIVED."),
    close=Arm(State.CLOSED, "RFC9293-3.10.4-MUST-close-listen",
              "Any outstanding RECEIVEs are returned with 'error: closing' responses. Delete TCB, "
              "enter CLOSED state, and return."),
)
