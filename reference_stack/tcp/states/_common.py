"""Arms shared by several synchronized states (RFC 9293 3.10.7.4)."""

from __future__ import annotations

import errno

from reference_stack.tcp.state import Arm, State

# Second check, ESTABLISHED/FIN-WAIT-1/FIN-WAIT-2/CLOSE-WAIT.
RST_RESET = Arm(
    State.CLOSED, "RFC9293-3.10.7.4-MUST-rst-reset",
    "If the RST bit is set, then any outstanding RECEIVEs and SEND should receive 'reset' "
    "responses. ... Enter the CLOSED state, delete the TCB, and return.",
    errno=errno.ECONNRESET)
# Second check, CLOSING/LAST-ACK/TIME-WAIT.
RST_CLOSE = Arm(
    State.CLOSED, "RFC9293-3.10.7.4-MUST-rst-close",
    "If the RST bit is set, then enter the CLOSED state, delete the TCB, and return.")
# Fourth check: RFC 5961 4.2 as adopted by RFC 9293.
SYN_CHALLENGE = Arm(
    None, "RFC5961-4.2-MUST-syn-challenge-ack",
    "If the SYN bit is set, irrespective of the sequence number, TCP endpoints MUST send a "
    "'challenge ACK' to the remote peer: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>", accept=False)
# Seventh check.
TEXT_DELIVER = Arm(
    None, "RFC9293-3.10.7.4-MUST-text-deliver",
    "Once in the ESTABLISHED state, it is possible to deliver segment data to user RECEIVE "
    "buffers. ... Send an acknowledgment of the form: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>")
TEXT_IGNORE = Arm(
    None, "RFC9293-3.10.7.4-MUST-text-ignore",
    "This should not occur since a FIN has been received from the remote side. Ignore the "
    "segment text.", accept=False)
FIN_STAY = Arm(
    None, "RFC9293-3.10.7.4-MUST-fin-stay",
    "Remain in the CLOSE-WAIT / CLOSING / LAST-ACK state.")
CLOSE_AGAIN = Arm(
    None, "RFC9293-3.10.4-MUST-close-closing",
    "Respond with 'error: connection closing'.", errno=errno.EINVAL, accept=False)
