"""The reference stack: a sans-IO, deterministic TCP/IP host (DESIGN principle 1).

    stack = ReferenceStack(LINUX, mac("02:00:00:00:00:01"), ip4("198.18.0.1"), 24, rng_seed=1)
    reaction = stack.receive(frame, now=0.0)      # frames out, predictions, decision trace
    reaction = stack.poll(now=1.0)                # timers due at or before `now`
    stack.poll_at()                               # when the next timer is due, or None
    res = stack.connect(fd, ("198.18.0.2", 80), now=0.0)   # CallResult(value, errno, reaction)

Every entry point takes `now` (seconds on the caller's virtual clock). Frames a socket call
emits are returned in its `CallResult.reaction`, never deferred to a later poll. Randomness
(ISN, ephemeral ports, IP ident, timestamp offsets) comes only from `random.Random(rng_seed)`.
"""

from __future__ import annotations

import random
from operator import attrgetter
from typing import Any

from reference_stack.clock import earliest
from reference_stack.iface import dad, nud
from reference_stack.iface.interface import Interface
from reference_stack.iface.state import Output
from reference_stack.iface.udp_sockets import UdpLayer
from reference_stack.ipsec.config import IpsecConfig
from reference_stack.profiles import Profile
from reference_stack.socket_api import SocketApi
from reference_stack.tcp import synack_tsval
from reference_stack.tcp.layer import TcpLayer
from reference_stack.tcp.output import OutSegment
from reference_stack.tcp.state import State
from reference_stack.trace import Decision, Trace, decisions_of
from reference_stack.variance import Prediction

_new = object.__new__


class Reaction:
    """What one entry-point call produced: frames (in emission order), a prediction for each
    (same order, with the allowed variance) and the decision trace (immutable).

    The stack hands over its trace records as they are; the `Decision`s are built when
    `trace` is first read (trace.py: recording is cheap, reading gives the same content)."""

    __slots__ = ("_frames", "_predictions", "_trace", "_records")

    # Read-only (properties without a setter; the private slots are written only by
    # __init__, `trace` and ReferenceStack._finish, which hands over a call's trace records
    # as they are): plain stores are cheaper than the object.__setattr__ a guard would need.
    frames: tuple[bytes, ...] = property(attrgetter("_frames"))  # type: ignore[assignment]
    predictions: tuple[Prediction, ...] = property(  # type: ignore[assignment]
        attrgetter("_predictions"))

    def __init__(self, frames: tuple[bytes, ...] = (), predictions: tuple[Prediction, ...] = (),
                 trace: tuple[Decision, ...] = ()) -> None:
        self._frames = frames
        self._predictions = predictions
        self._trace = tuple(trace)
        self._records = None

    @property
    def trace(self) -> tuple[Decision, ...]:
        trace = self._trace
        if trace is None:
            trace = self._trace = decisions_of(self._records)
            self._records = None
        return trace

    def __eq__(self, other: object) -> bool:
        if type(other) is not Reaction:
            return NotImplemented
        return (self.frames, self.predictions, self.trace) == (other.frames, other.predictions,
                                                               other.trace)

    __hash__ = None  # type: ignore[assignment]  # predictions hold dicts

    def __reduce__(self) -> tuple:
        return (Reaction, (self.frames, self.predictions, self.trace))

    def __repr__(self) -> str:
        return (f"Reaction(frames={self.frames!r}, predictions={self.predictions!r}, "
                f"trace={self.trace!r})")

    def rules(self) -> list[str]:
        return [d.rule for d in self.trace]

    def to_dict(self) -> dict[str, Any]:
        return {"frames": [f.hex() for f in self.frames],
                "predictions": [p.to_dict() for p in self.predictions],
                "trace": [d.to_dict() for d in self.trace]}


class CallResult:
    """A socket call's outcome: `value` on success, else `errno` != 0 (immutable: read-only
    properties over private slots, as Reaction)."""

    __slots__ = ("_value", "_errno", "_reaction")

    value: Any = property(attrgetter("_value"))
    errno: int = property(attrgetter("_errno"))  # type: ignore[assignment]
    reaction: Reaction = property(attrgetter("_reaction"))  # type: ignore[assignment]

    def __init__(self, value: Any = None, errno: int = 0,
                 reaction: Reaction | None = None) -> None:
        self._value = value
        self._errno = errno
        self._reaction = Reaction() if reaction is None else reaction

    @property
    def ok(self) -> bool:
        return self._errno == 0

    def _key(self) -> tuple:
        return (self._value, self._errno, self._reaction)

    def __eq__(self, other: object) -> bool:
        if type(other) is not CallResult:
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # a Reaction is not hashable

    def __reduce__(self) -> tuple:
        return (CallResult, self._key())

    def __repr__(self) -> str:
        return (f"CallResult(value={self._value!r}, errno={self._errno!r}, "
                f"reaction={self._reaction!r})")


_EMPTY = Reaction()  # (trace ())


class ReferenceStack:
    def __init__(self, profile: Profile, mac: bytes, ipv4: bytes, prefix_len: int,
                 rng_seed: int = 0, tcp_fast_path: bool = True,
                 ipv6: bytes | None = None) -> None:
        """`tcp_fast_path=False` turns header prediction off (tcp/fast_path.py): every segment
        then takes the full RFC 9293 3.10.7 path. The results are the same; the switch exists
        for the test that shows it. `ipv6`: our IPv6 address (None: IPv6 frames are not
        taken, as a host without IPv6)."""
        self.profile = profile
        self.mac = mac
        self.ip = ipv4
        self.rng = random.Random(rng_seed)
        self.tcp = TcpLayer(profile, self.rng)
        self.udp = UdpLayer()
        self.iface = Interface(profile, mac, ipv4, prefix_len, self.rng, self.tcp, self.udp,
                               tcp_fast_path, ipv6)
        self.out: Output = []
        self.api = SocketApi(self.iface, self.out)
        self._tcp_out: list[OutSegment] = []
        # One Trace for the stack's life, bound to the TCP layer once; each call gives it a
        # fresh record list (_begin), which the call's Reaction then keeps.
        self._trace = Trace()
        self.tcp.bind(self._trace, self._tcp_out)
        self._nd = self.iface.nd  # (read by every call's _finish)

    # -- call framing ----------------------------------------------------------------------

    def _begin(self) -> Trace:
        trace = self._trace
        trace.records = []
        if self.out or self._tcp_out:  # left over only if the previous call raised
            self.out.clear()
            self._tcp_out.clear()
        return trace

    def _finish(self, trace: Trace, now: float) -> Reaction:
        tcp_out = self._tcp_out
        out = self.out
        if tcp_out:
            self.iface.send_tcp(tcp_out, now, trace, out)
            tcp_out.clear()
        elif out:  # (the NIC's last frame is not a TCP segment: profile nic_holds_last_frame)
            self.tcp.sender.other_frame_sent()
        if self._nd.unarmed:  # neighbour timers set while sending (iface/nud.py)
            nud.arm(self.iface, now)
        records = trace.records
        if not out and not records:
            # Nothing emitted, nothing recorded (a recv() that only reads): the one empty
            # Reaction (immutable: sharing it is safe).
            return _EMPTY
        # The call's Reaction, its slots written directly (no __init__ on every call).
        r = _new(Reaction)
        r._trace = None
        r._records = records
        if not out:
            r._frames = r._predictions = ()
        elif len(out) == 1:
            frame, prediction = out[0]
            r._frames = (frame,)
            r._predictions = (prediction,)
            out.clear()
        else:
            r._frames, r._predictions = zip(*out, strict=True)
            out.clear()
        return r

    def _call(self, now: float, fn, *args) -> CallResult:
        trace = self._begin()
        value, err = fn(*args)
        return self._result(value, err, trace, now)

    def _result(self, value: Any, err: int, trace: Trace, now: float) -> CallResult:
        # CallResult(value, err, reaction), without running its __init__ (every socket call).
        result = _new(CallResult)
        result._value = value
        result._errno = err
        result._reaction = self._finish(trace, now)
        return result

    # -- frames and timers -----------------------------------------------------------------

    def receive(self, frame: bytes, now: float) -> Reaction:
        # (_begin, inline: every frame)
        trace = self._trace
        trace.records = []
        out = self.out
        if out or self._tcp_out:
            out.clear()
            self._tcp_out.clear()
        self.iface.receive(frame, now, trace, out)
        return self._finish(trace, now)

    def poll(self, now: float) -> Reaction:
        trace = self._begin()
        self.tcp.poll(now)
        self.iface.poll(now, trace, self.out)
        return self._finish(trace, now)

    def poll_at(self) -> float | None:
        return earliest(self.tcp.poll_at(), self.iface.poll_at())

    # -- configuration ---------------------------------------------------------------------

    def add_neighbor(self, ip: bytes, mac: bytes) -> None:
        """A static neighbour entry (never overwritten by ARP, or for an IPv6 address by
        Neighbor Discovery)."""
        if len(ip) == 16:
            self.iface.nd.add_static(ip, mac)
            return
        self.iface.arp.add_static(ip, mac)

    def adopt(self, bindings: dict[str, int]) -> None:
        """Follow the choices a target made where the RFCs leave them free, as recorded in
        `bindings` by `Prediction.check`: our ISN becomes the target's (`isn:...` names) and
        an ephemeral port becomes the target's (`port:<remote port>`), a DAD nonce the target's
        (`nonce:<address>`), a request socket's SYN,ACK TSvals the target's (`tsval:...`,
        tcp/synack_tsval.py). After this, frames a
        test crafts against the target's numbers mean the same to the oracle."""
        for name, value in bindings.items():
            if name.startswith("isn:"):
                self.tcp.rebase_isn(name, value)
        for name, value in bindings.items():
            if name.startswith("port:"):
                self.api.rebase_port(int(name[5:]), value)
            elif name.startswith(synack_tsval.BINDING):
                self.tcp.adopt_synack_tsval(name, value)
            elif name.startswith(dad.NONCE_BINDING):
                dad.adopt_nonce(self.iface, bytes.fromhex(name[len(dad.NONCE_BINDING):]), value)

    def other_frame_sent(self) -> None:
        """The target's interface sent a frame this stack did not predict, e.g. an MLD report
        of its own (RFC 3810 6: at a random time, so never predicted) or a frame the judge
        found unexpected. Only a profile with nic_holds_last_frame follows it: that frame
        freed the clone of the last segment the NIC held (virtio_net without TX NAPI:
        start_xmit -> free_old_xmit_skbs), so the next retransmission may collapse that
        segment (Linux tcp_can_collapse). The frames this stack sends itself are counted
        where it sends them, never here."""
        self.tcp.sender.other_frame_sent()

    def set_ipsec(self, config: IpsecConfig | None) -> None:
        """Install the host's IPsec configuration (RFC 4301 4.4: its SPD and SAD), as a
        DUT's `ip xfrm` commands would; None removes it."""
        self.iface.set_ipsec(config)

    def set_profile(self, profile: Profile) -> None:
        """Change parameters mid-run (a test shortening a timer, as a sysctl would)."""
        self.profile = profile
        for part in (self.tcp, self.tcp.sender):
            part.profile = profile
        self.iface.set_profile(profile)

    def announce(self, now: float) -> Reaction:
        """Send a gratuitous ARP for our address (RFC 5227 3)."""
        trace = self._begin()
        self.iface.announce(trace, self.out)
        return self._finish(trace, now)

    def add_address6(self, addr: bytes, now: float) -> Reaction:
        """Add an IPv6 unicast address (as ``ip addr add``): tentative while Duplicate
        Address Detection runs, as the profile's dad_transmits says (RFC 4862 5.4; its
        solicitations are timers: poll)."""
        if self.iface.ip6 is None:
            raise ValueError("the stack has no IPv6")
        trace = self._begin()
        dad.start(self.iface, addr, now, trace, self.out)
        return self._finish(trace, now)

    # -- socket API (POSIX-shaped; non-blocking) -------------------------------------------

    def socket(self, family: int, type: int) -> CallResult:  # noqa: A002
        return self._call(0.0, self.api.socket, family, type)

    def bind(self, fd: int, addr: tuple, now: float = 0.0) -> CallResult:
        return self._call(now, self.api.bind, fd, addr)

    def listen(self, fd: int, backlog: int, now: float = 0.0) -> CallResult:
        return self._call(now, self.api.listen, fd, backlog)

    def accept(self, fd: int, now: float = 0.0) -> CallResult:
        return self._call(now, self.api.accept, fd)

    def connect(self, fd: int, addr: tuple, now: float) -> CallResult:
        return self._call(now, self.api.connect, fd, addr, now)

    def send(self, fd: int, data: bytes, now: float, flags: int = 0,
             take: int | None = None) -> CallResult:
        """`flags`: MSG_OOB sends the data as urgent (RFC 9293 3.8.5); MSG_MORE holds a partial
        segment for the next send (RFC 1122 4.2.2.2); MSG_DONTWAIT and
        MSG_NOSIGNAL change nothing here; others raise (sockopt.Unsupported), naming them.
        `take`: a target's count to adopt within the send buffer's bound (SocketApi.send)."""
        # (_call, without its argument tuple, _begin inline: send and recv are the data
        # path's calls)
        trace = self._trace
        trace.records = []
        if self.out or self._tcp_out:
            self.out.clear()
            self._tcp_out.clear()
        value, err = self.api.send(fd, data, now, flags, take)
        return self._result(value, err, trace, now)

    def sendto(self, fd: int, data: bytes, addr: tuple, now: float) -> CallResult:
        return self._call(now, self.api.sendto, fd, data, addr, now)

    def recv(self, fd: int, n: int, now: float, flags: int = 0) -> CallResult:
        """`flags`: MSG_PEEK, MSG_OOB (MSG_DONTWAIT, MSG_WAITALL: the oracle never waits)."""
        trace = self._trace  # (as send)
        trace.records = []
        if self.out or self._tcp_out:
            self.out.clear()
            self._tcp_out.clear()
        value, err = self.api.recv(fd, n, now, flags)
        return self._result(value, err, trace, now)

    def recvfrom(self, fd: int, n: int, now: float = 0.0) -> CallResult:
        return self._call(now, self.api.recvfrom, fd, n)

    def shutdown(self, fd: int, how: int, now: float) -> CallResult:
        return self._call(now, self.api.shutdown, fd, how, now)

    def close(self, fd: int, now: float) -> CallResult:
        return self._call(now, self.api.close, fd, now)

    def setsockopt(self, fd: int, level: int, name: int, value: Any,
                   now: float = 0.0) -> CallResult:
        return self._call(now, self.api.setsockopt, fd, level, name, value, now)

    def getsockopt(self, fd: int, level: int, name: int, now: float = 0.0) -> CallResult:
        return self._call(now, self.api.getsockopt, fd, level, name)

    def getsockname(self, fd: int, now: float = 0.0) -> CallResult:
        return self._call(now, self.api.getsockname, fd)

    def getpeername(self, fd: int, now: float = 0.0) -> CallResult:
        return self._call(now, self.api.getpeername, fd)

    def poll_fd(self, fd: int, now: float = 0.0) -> CallResult:
        """poll(2) as a call: the socket's readiness now (the oracle never waits)."""
        return self._call(now, self.api.poll, fd)

    def poll_events(self, fd: int) -> int:
        """poll(2)-style readiness of a socket (select.POLL* bits), without waiting."""
        return self.api.poll_events(fd)

    def tcp_state(self, fd: int) -> State | None:
        """The TCP state behind a socket (LISTEN for listeners), for tests and reports."""
        return self.api.tcp_state(fd)
