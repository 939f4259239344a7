"""What the rules of segment arrival ask of the TCP layer that holds the connections.

The rooms that apply RFC 9293 3.10.7 and Linux's minisockets (``segment_arrival``,
``request_sock``, ``time_wait``, ``fast_path``, ``loss_probe``, ``keepalive``) take the layer as a
:class:`Connections`, which :class:`reference_stack.tcp.layer.TcpLayer` fulfils: imports run
from the layer down to them, never back up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reference_stack.profiles import Profile
    from reference_stack.tcp.listener import ConnOptions
    from reference_stack.tcp.output import Sender
    from reference_stack.tcp.state import Arm, State
    from reference_stack.tcp.tcb import ConnKey, Tcb
    from reference_stack.trace import Trace


class Connections(Protocol):
    profile: Profile
    trace: Trace  # this call's decision records
    sender: Sender  # segments out (tcp/output.py)
    conns: dict[ConnKey, Tcb]

    def new_tcb(self, local_ip: bytes, local_port: int, remote_ip: bytes, remote_port: int,
                state: State, now: float, opts: ConnOptions, iss: int | None = None) -> Tcb:
        """A connection's TCB, registered (RFC 9293 3.3.1)."""

    def initial_window(self, tcb: Tcb) -> int:
        """The window of our SYN or SYN,ACK."""

    def initial_cwnd(self, mss: int, route_segments: int | None = None) -> int:
        """The initial congestion window (RFC 5681 3.1)."""

    def transition(self, tcb: Tcb, arm: Arm, now: float) -> None:
        """Apply a decision-table arm (tcp/states/)."""

    def delete(self, tcb: Tcb) -> None:
        """The connection is gone (CLOSED)."""

    def established_passive(self, tcb: Tcb) -> None:
        """A passive open completed: queued for accept()."""

    def rebase_isn(self, isn_name: str, isn: int) -> bool:
        """Renumber the send sequence space of the connection whose ISN is ``isn_name``."""

    def acknowledge(self, tcb: Tcb, ack: int, now: float) -> None:
        """SND.UNA advanced to ``ack`` (RFC 9293 3.10.7.4 fifth check)."""

    def fast_retransmit(self, tcb: Tcb, now: float) -> None:
        """RFC 5681 3.2's fast retransmit."""

    def abort(self, tcb: Tcb, now: float, rule: str = ...) -> None:
        """ABORT (RFC 9293 3.10.5): a RST in synchronized states, then CLOSED."""
