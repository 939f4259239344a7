"""One decision table per TCP state (RFC 9293 3.10), each arm quoting the RFC text it applies."""

from __future__ import annotations

from reference_stack.tcp.state import State, StateTable
from reference_stack.tcp.states import (
    close_wait,
    closed,
    closing,
    established,
    fin_wait_1,
    fin_wait_2,
    last_ack,
    listen,
    syn_received,
    syn_sent,
    time_wait,
)

TABLES: dict[State, StateTable] = {
    m.TABLE.state: m.TABLE
    for m in (closed, listen, syn_sent, syn_received, established, fin_wait_1, fin_wait_2,
              close_wait, closing, last_ack, time_wait)
}
