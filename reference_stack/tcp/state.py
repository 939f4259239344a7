"""TCP connection states (RFC 9293 3.3.2) and the shape of a per-state decision table."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class State(enum.Enum):
    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"


# States in which data may be sent (RFC 9293 3.10.2; a constant tuple: Enum lookups are slow).
SENDING_STATES = (State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_1, State.CLOSING,
                  State.LAST_ACK)


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm of a state's decision table: the next state (None = stay), the rule, its text.

    `errno` is the error reported to the user when the arm ends the connection; `send_fin` asks
    the engine to queue our FIN; `accept` says whether the input is processed (False = ignored).
    """

    next: State | None
    rule: str
    quote: str
    errno: int = 0
    send_fin: bool = False
    accept: bool = True


@dataclass(frozen=True, slots=True)
class StateTable:
    """Events a state reacts to. None means the event cannot happen in this state."""

    state: State
    rst: Arm | None = None  # an acceptable RST (RFC 9293 3.10.7.4 second check)
    syn: Arm | None = None  # a SYN in a synchronized state (fourth check)
    ack_of_syn: Arm | None = None  # our SYN acknowledged (fifth check)
    ack_of_fin: Arm | None = None  # our FIN acknowledged (fifth check)
    text: Arm | None = None  # segment text (seventh check)
    fin: Arm | None = None  # a FIN at RCV.NXT (eighth check)
    close: Arm | None = None  # the user's CLOSE (3.10.4)
    timeout: Arm | None = None  # the state's own timer (TIME-WAIT)
