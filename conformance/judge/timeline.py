"""The lockstep oracle check: a test's exchange, replayed into the in-process reference stack.

Every frame the tester sent, every DUT socket call and every frame the target sent are kept on
one timeline (the link's recorder and a recording DUT API). After the test body, the timeline
is replayed into a fresh :class:`~reference_stack.stack.ReferenceStack` on a virtual clock with
the same relative timing: tester frames go in, socket calls are made, timers fire, and the
oracle's predictions (each with its allowed variance) are matched against the frames the
target actually sent. What falls outside the allowed set is a divergence, with a field-level
diff and the rule the oracle applied (DESIGN principles 2, 3 and 9).

The oracle chooses its own ISNs and ephemeral ports. Predictions allow any choice and record
the target's (bindings); the oracle then adopts them (``ReferenceStack.adopt``), so frames the
tester crafts against the target's numbers mean the same to both stacks.
"""

from __future__ import annotations

import bisect
import errno
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.author.background import is_background
from conformance.author.dut_address import address_of
from conformance.author.dut_clock import timer_rate
from conformance.dut.api import DutApi
from conformance.fabric.pcap import FrameRecord
from conformance.judge.divergence import HOST_STATE, Divergence
from conformance.judge.fingerprint import Fingerprint
from conformance.judge.matching import Matcher, compare_call
from conformance.judge.oracle import Addresses, apply_sysctl, build_oracle
from conformance.judge.sysctls import profile_with_link_mtu, profile_with_route_change
from reference_stack.profiles import PROFILES, Profile
from reference_stack.sockopt import MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL
from reference_stack.stack import CallResult, Reaction
from reference_stack.tcp.seq import seq_diff
from reference_stack.wire.frame import dissect

# -- the DUT side of the timeline -------------------------------------------------------------

@dataclass(frozen=True)
class DutCall:
    t: float  # wall clock when the call returned (time.time(), as the recorder's frames)
    name: str  # e.g. "recv_with_errno"
    args: tuple[Any, ...]
    result: tuple[Any, int]
    started: float | None = None  # wall clock when it was made (a pending call: well before ``t``)

    @property
    def replay_at(self) -> float:
        """When the oracle makes the call: a call that emits frames (a close's FIN, a
        connect's SYN) when it started, so that what the target sent while it was pending
        is the call's; a call that waits for something (accept, recv, poll) when it
        returned, having seen what it waited for."""
        if self.started is not None and self.name in AT_START:
            return self.started
        return self.t


# Blocking calls (by the index of their timeout argument) the oracle keeps pending a moment.
WAITING = {"accept_with_errno": 1, "recv_with_errno": 2, "recvfrom_with_errno": 2,
           "poll_with_errno": 2, "connect_with_errno": 2}
LATE = (errno.EAGAIN, errno.ETIMEDOUT)  # a blocking call's deadline passed
PENDING_SLACK_S = 0.05

def blocks(call: DutCall) -> bool:
    """A call made with a timeout (WAITING): it may wait for the peer."""
    i = WAITING.get(call.name)
    return i is not None and len(call.args) > i and bool(call.args[i])


def blocking_connect(call: DutCall) -> bool:
    """A connect with a timeout: it waited for the handshake."""
    return call.name == "connect_with_errno" and len(call.args) > 2 and call.args[2] > 0


def blocking_send(call: DutCall) -> bool:
    """A send with a timeout and without MSG_DONTWAIT: it waited for room (DutApi)."""
    return (call.name == "send_with_errno" and len(call.args) > 3 and call.args[3] > 0
            and not call.args[2] & MSG_DONTWAIT)


@dataclass
class PendingSend:
    """A blocking send the oracle keeps pending (Lockstep._send): the octets of ``data`` it
    wrote so far, each when the target's frames showed them sent."""

    fd: int  # the oracle's
    data: bytes
    flags: int
    written: int = 0


# Calls replayed when they started (they emit frames); the others when they returned.
AT_START = frozenset(("socket_with_errno", "bind_with_errno", "listen_with_errno",
                      "connect_with_errno", "send_with_errno", "sendto_with_errno",
                      "shutdown_with_errno", "close_with_errno", "setsockopt_with_errno"))


def _recorded(name: str) -> Callable[..., Any]:
    signature = inspect.signature(getattr(DutApi, name))

    def method(self: RecordingDutApi, *args: Any, **kwargs: Any) -> Any:
        started = time.time()
        result = getattr(self.inner, name)(*args, **kwargs)
        returned = time.time()
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()  # positional, in signature order, whatever the caller wrote
        self.calls.append(DutCall(returned, name, bound.args[1:], result, started))
        return result

    method.__name__ = name
    return method


def record_sysctls(bed: Any) -> None:
    """Put the test's per-test sysctls, link MTU and IPsec configuration on the timeline too,
    so the oracle follows them."""

    """Put the test's per-test sysctls, link MTU and added addresses on the timeline too, so
    the oracle follows them."""
    if not isinstance(bed.dut, RecordingDutApi):
        return
    calls = bed.dut.calls

    def recording(name: str, setter: Any) -> Any:
        def recorded(*args: Any) -> None:
            started = time.time()
            setter(*args)
            calls.append(DutCall(time.time(), name, args, (None, 0), started))

        return recorded

    if bed.set_dut_sysctl is not None:
        bed.set_dut_sysctl = recording("set_dut_sysctl", bed.set_dut_sysctl)
    if getattr(bed, "set_link_mtu", None) is not None:
        bed.set_link_mtu = recording("set_link_mtu", bed.set_link_mtu)
    if getattr(bed, "set_dut_route", None) is not None:
        bed.set_dut_route = recording("set_dut_route", bed.set_dut_route)
    if getattr(bed, "set_ipsec", None) is not None:
        bed.set_ipsec = recording("set_ipsec", bed.set_ipsec)

    if getattr(bed, "add_dut_address", None) is not None:
        bed.add_dut_address = recording("add_dut_address", bed.add_dut_address)


class RecordingDutApi(DutApi):
    """A DUT API that logs every call and its result, then defers to the real one."""

    def __init__(self, inner: DutApi) -> None:
        self.inner = inner
        self.calls: list[DutCall] = []

    def close_all(self) -> None:
        self.inner.close_all()


for _name in DutApi.__abstractmethods__ - {"close_all"}:
    setattr(RecordingDutApi, _name, _recorded(_name))
RecordingDutApi.__abstractmethods__ = frozenset()


# -- the replay ------------------------------------------------------------------------------

@dataclass
class LockstepResult:
    divergences: list[Divergence] = field(default_factory=list)
    decisions: list[dict[str, str]] = field(default_factory=list)
    matched: int = 0
    behaviour: list[dict[str, Any]] = field(default_factory=list)  # judge.fingerprint

    def divergence_dicts(self) -> list[dict[str, Any]]:
        return [d.to_dict() for d in self.divergences]


class Lockstep:
    """The oracle on a virtual clock, fed a test's timeline; predictions matched by the judge's
    one matcher (conformance.judge.matching), which sees every frame the target sent."""

    def __init__(self, profile: Profile, addrs: Addresses, seed: int = 0) -> None:
        self.stack = build_oracle(profile, addrs, seed)
        self.fds: dict[int, int] = {}  # target fd -> oracle fd
        self.deferred: set[int] = set()  # blocking connects compared when they returned
        self.sends: dict[int, PendingSend] = {}  # blocking sends by id(call), till they return
        self.waiting: list[tuple[DutCall, float, CallResult]] = []  # (call, until, last)
        self.result = LockstepResult()
        self.fingerprint = Fingerprint()
        self.matcher = Matcher(self.stack, complete=True, adopt=self.stack.adopt,
                               on_reaction=self._decisions, state_of=self._state_of,
                               on_match=self.fingerprint.on_match)

    # timeline events
    def _decisions(self, reaction: Reaction) -> None:
        for d in reaction.trace:
            self.result.decisions.append({"layer": d.layer, "decision": d.action,
                                          "rule": d.rule, "detail": d.detail})

    def _absorb(self, reaction: Reaction, t: float) -> None:
        self._decisions(reaction)
        self.matcher.expect(reaction, t)

    def _diverged(self, found: list[Divergence]) -> None:
        self.result.divergences.extend(found)

    def _state_of(self, frame: bytes) -> str:
        """The oracle's TCP state of the connection a DUT's frame belongs to, else "host"."""
        d = dissect(frame)
        ip = d.ipv4 if d.ipv4 is not None else d.ipv6
        if d.tcp is None or ip is None:
            return HOST_STATE
        tcb = self.stack.tcp.conns.get((ip.src, d.tcp.src_port, ip.dst, d.tcp.dst_port))
        return tcb.state.value if tcb is not None else "CLOSED"

    def advance(self, t: float) -> None:
        self._diverged(self.matcher.advance(t))

    def tester_frame(self, frame: bytes, t: float) -> None:
        self.advance(t)
        self.fingerprint.tester_frame(frame, t)
        self._absorb(self.stack.receive(frame, t), t)
        if self.waiting:
            self._retry_waiting(t)

    def target_frame(self, frame: bytes, t: float) -> None:
        self.advance(t)
        if self.sends:
            self._written_by(frame, t)
        self._diverged(self.matcher.observe(frame, t))  # (unexpected: Matcher.unpredicted_frame)

    def background_frame(self) -> None:
        """A frame the target sent on its own (conformance.author.background: an MLD report,
        a Router Solicitation), never judged: the oracle learns only that the NIC sent another
        frame (ReferenceStack.other_frame_sent, for a NIC that holds its last frame). Its
        timers are not advanced first: the recording is in the NIC's order, so a timer's frame
        recorded after this one went after it, even where the oracle's clock had the timer due
        a moment before (a target's timer running late: the VM's under TCG)."""
        self.matcher.unpredicted_frame()

    def dut_call(self, call: DutCall, t: float) -> None:
        self.advance(t)
        if call.name == "set_dut_sysctl":
            apply_sysctl(self.stack, *call.args)
            return
        if call.name == "set_dut_route":  # (conformance.author.dut_route)
            self.stack.set_profile(profile_with_route_change(self.stack.profile, *call.args))
            return
        if call.name == "set_link_mtu":  # (conformance.author.link_mtu)
            self.stack.set_profile(profile_with_link_mtu(self.stack.profile, call.args[0]))
            return
        if call.name == "set_ipsec":  # (conformance.author.ipsec)
            self.stack.set_ipsec(call.args[0])
            return
        if call.name == "add_dut_address":  # (conformance.author.dut_address)
            self._absorb(self.stack.add_address6(address_of(call.args[0]), t), t)
            return
        if call.name == "send_with_errno":
            self._send(call, t)
            return
        replay = CALLS.get(call.name)
        if replay is None:
            return
        outcome = replay(self, call.args, t)
        if outcome is None:
            return
        self._absorb(outcome.reaction, t)
        if self._waits(call, outcome):
            self.waiting.append((call, t + PENDING_SLACK_S, outcome))
            return  # tried again as the tester's frames come in (_retry_waiting)
        self._compared(call, outcome)

    def _send(self, call: DutCall, t: float) -> None:
        """send: the oracle takes the octets the target's send took where Linux's send-buffer
        accounting allows that count (reference_stack/tcp/send_buffer.py), else its own. A
        blocking send stays pending: it writes what the target's frames show sent, and the
        rest of the target's count when it returned (dut_return)."""
        fd, data, flags = self._fd(call.args[0]), call.args[1], call.args[2]
        if blocking_send(call):
            # at once, what the oracle's own accounting takes (its zero-window probes and
            # retransmissions need it queued); later, what the target's frames show
            pending = PendingSend(fd, bytes(data), flags)
            self.sends[id(call)] = pending
            self._write(pending, len(data), t, own=True)
            return
        value, err = call.result
        take = value if not err and isinstance(value, int) else (
            0 if err == errno.EAGAIN else None)
        outcome = self.stack.send(fd, data, t, flags, take=take)
        self._absorb(outcome.reaction, t)
        self._compared(call, outcome)

    def _written_by(self, frame: bytes, t: float) -> None:
        """A target's data frame beyond what the oracle's send buffer holds: a pending
        blocking send wrote that much more by then (Linux's woken sender)."""
        d = dissect(frame)
        ip = d.ipv4 if d.ipv4 is not None else d.ipv6
        if d.tcp is None or ip is None or not d.tcp.payload:
            return
        tcb = self.stack.tcp.conns.get((ip.src, d.tcp.src_port, ip.dst, d.tcp.dst_port))
        if tcb is None:
            return
        end = (d.tcp.seq + len(d.tcp.payload)) & 0xFFFFFFFF
        for pending in self.sends.values():
            sock = self.stack.api.get(pending.fd)
            need = seq_diff(end, tcb.send.end())
            if sock is None or sock.tcb is not tcb or need <= 0:
                continue
            self._write(pending, min(need, len(pending.data) - pending.written), t)

    def _write(self, pending: PendingSend, n: int, t: float,
               own: bool = False) -> CallResult | None:
        """Up to ``n`` more octets of a pending send: the target's count adopted within the
        bound (or the oracle's own count, ``own``)."""
        if n <= 0:
            return None
        chunk = pending.data[pending.written:pending.written + n]
        outcome = self.stack.send(pending.fd, chunk, t, pending.flags,
                                  take=None if own else n)
        self._absorb(outcome.reaction, t)
        if outcome.ok:
            pending.written += outcome.value
        return outcome

    def _send_returned(self, call: DutCall, pending: PendingSend, t: float) -> None:
        """A blocking send returned on the target: the oracle writes the rest of its count
        (within the accounting's bound) and answers as Linux's tcp_sendmsg_locked does, the
        octets queued, else the error or EAGAIN of a send made now."""
        self.advance(t)
        value, err = call.result
        taken = value if not err and isinstance(value, int) else 0
        outcome = self._write(pending, taken - pending.written, t)
        if pending.written:
            result = CallResult(pending.written, 0,
                                outcome.reaction if outcome is not None else None)
        else:
            result = self.stack.send(pending.fd, pending.data, t, pending.flags | MSG_DONTWAIT,
                                     take=taken)
            self._absorb(result.reaction, t)
        self._compared(call, result)

    def _compared(self, call: DutCall, outcome: CallResult) -> None:
        if call.name == "connect_with_errno" and outcome.errno == errno.EALREADY:
            # still opening in the oracle when the call's deadline passed (a DUT API says
            # EAGAIN or ETIMEDOUT for that)
            late = call.result[1] if call.result[1] in LATE else errno.ETIMEDOUT
            outcome = CallResult(None, late, outcome.reaction)
        self._map_new_fds(call, outcome)
        if self._completes_later(call, outcome):
            self.deferred.add(id(call))
            return  # compared when it returned (dut_return)
        detail = repr(call.args[:1]) if call.name.startswith("recv") else repr(call.args)
        self._diverged(compare_call(call.name, call.result, outcome, detail, call.args))

    @staticmethod
    def _waits(call: DutCall, outcome: CallResult) -> bool:
        """A blocking call the target completed that the oracle, at its return, would still
        block in: what woke the target may be a tester frame recorded a moment after the call
        returned (the recorder's times are the tester's), so the oracle's call stays pending
        for PENDING_SLACK_S more."""
        if not blocks(call) or call.result[1] == errno.EAGAIN:
            return False
        if call.name == "poll_with_errno":
            return not outcome.value and bool(call.result[0])
        if call.name == "connect_with_errno":
            return outcome.errno == errno.EALREADY
        return outcome.errno == errno.EAGAIN

    def _retry_waiting(self, t: float) -> None:
        """Pending calls tried again now; one past its slack is compared as it stands."""
        still = []
        for call, deadline, last in self.waiting:
            outcome = CALLS[call.name](self, call.args, t)
            self._absorb(outcome.reaction, t)
            if self._waits(call, outcome) and t <= deadline:
                still.append((call, deadline, outcome))
            else:
                self._compared(call, outcome if t <= deadline else last)
        self.waiting = still

    @staticmethod
    def _completes_later(call: DutCall, outcome: CallResult) -> bool:
        """A blocking connect (a timeout) the oracle started: its outcome is the handshake's,
        known when the target's call returned."""
        return blocking_connect(call) and outcome.errno == errno.EINPROGRESS

    def dut_return(self, call: DutCall, t: float) -> None:
        """A pending blocking connect returned on the target: the oracle's outcome by then
        (connect again: 0 once established, the error once refused), pending a moment more
        while the oracle's handshake is still under way."""
        pending = self.sends.pop(id(call), None)
        if pending is not None:
            self._send_returned(call, pending, t)
            return
        if id(call) not in self.deferred:
            return
        self.advance(t)
        outcome = self.stack.connect(self._fd(call.args[0]), call.args[1], t)
        self._absorb(outcome.reaction, t)
        if outcome.errno == errno.EALREADY and call.result[1] not in LATE:
            self.waiting.append((call, t + PENDING_SLACK_S, outcome))
            return
        self._compared(call, outcome)

    def barrier(self, t: float) -> None:
        """The target answered everything sent before ``t`` (its barrier probe's reply): a
        prediction the oracle made before and the target did not meet is missing now, not
        met by a later frame that looks the same (data a cork or Nagle held, sent only after a
        later call)."""
        self.advance(t)
        self._diverged(self.matcher.close_step())

    def finish(self, end: float | None = None) -> LockstepResult:
        if self.waiting:
            self._retry_waiting(float("inf"))
        self._diverged(self.matcher.finish(end if end is not None else float("inf")))
        self.result.matched = self.matcher.matched
        self.result.behaviour = self.fingerprint.entries()
        return self.result

    # helpers
    def _fd(self, fd: Any) -> int:
        return self.fds.get(fd, -1)

    def _map_new_fds(self, call: DutCall, outcome: CallResult) -> None:
        value, err = call.result
        if err or not outcome.ok:
            return
        if call.name == "socket_with_errno":
            self.fds[value] = outcome.value
        elif call.name == "accept_with_errno":
            self.fds[value[0]] = outcome.value[0]


# -- DUT calls replayed on the oracle --------------------------------------------------------

def _socket(ls: Lockstep, args: tuple, t: float) -> CallResult:
    return ls.stack.socket(args[0], args[1])


def _accept(ls: Lockstep, args: tuple, t: float) -> CallResult:
    return ls.stack.accept(ls._fd(args[0]), t)


def _recv(ls: Lockstep, args: tuple, t: float) -> CallResult:
    """recv; a blocking MSG_WAITALL one would still block (EAGAIN, nothing taken) while fewer
    than the octets asked for are queued and more may come."""
    fd, n = ls._fd(args[0]), args[1]
    timeout, flags = (args[2], args[3]) if len(args) > 3 else (0.0, 0)
    if flags & MSG_WAITALL and timeout > 0 and not flags & MSG_DONTWAIT:
        peek = ls.stack.recv(fd, n, t, (flags & ~MSG_WAITALL) | MSG_PEEK)
        if peek.ok and peek.value and len(peek.value) < n:
            return CallResult(None, errno.EAGAIN, peek.reaction)
    return ls.stack.recv(fd, n, t, flags)


CALLS: dict[str, Callable[[Lockstep, tuple, float], CallResult | None]] = {
    "socket_with_errno": _socket,
    "bind_with_errno": lambda ls, a, t: ls.stack.bind(ls._fd(a[0]), a[1], t),
    "listen_with_errno": lambda ls, a, t: ls.stack.listen(ls._fd(a[0]), a[1], t),
    "accept_with_errno": _accept,
    "connect_with_errno": lambda ls, a, t: ls.stack.connect(ls._fd(a[0]), a[1], t),
    "sendto_with_errno": lambda ls, a, t: ls.stack.sendto(ls._fd(a[0]), a[1], a[2], t),
    "recv_with_errno": _recv,
    "recvfrom_with_errno": lambda ls, a, t: ls.stack.recvfrom(ls._fd(a[0]), a[1], t),
    "shutdown_with_errno": lambda ls, a, t: ls.stack.shutdown(ls._fd(a[0]), a[1], t),
    "close_with_errno": lambda ls, a, t: ls.stack.close(ls._fd(a[0]), t),
    "setsockopt_with_errno":
        lambda ls, a, t: ls.stack.setsockopt(ls._fd(a[0]), a[1], a[2], a[3], t),
    "getsockopt_with_errno": lambda ls, a, t: ls.stack.getsockopt(ls._fd(a[0]), a[1], a[2], t),
    "getsockname_with_errno": lambda ls, a, t: ls.stack.getsockname(ls._fd(a[0]), t),
    "getpeername_with_errno": lambda ls, a, t: ls.stack.getpeername(ls._fd(a[0]), t),
    "poll_with_errno": lambda ls, a, t: ls.stack.poll_fd(ls._fd(a[0]), t),  # when it returned
}


# Calls whose frames a kernel sends while the call runs, without waiting for the peer: the
# oracle makes them at their first frame (call_time). An added address's first DAD
# solicitation may go out before `ip addr add` returns, or just after (then the call is made
# when it returned: a timer frame is met from TIMER_EARLY_S before its time).
ANCHORED_CALLS = AT_START | {"recv_with_errno", "recvfrom_with_errno", "add_dut_address"}


def call_time(call: DutCall, target_times: list[float]) -> tuple[float, int]:
    """When the oracle makes ``call``: at the first frame the target sent while it ran (the
    frames carry the kernel's receive time, conformance/fabric/link.py), else when it
    returned (a call made with a timeout: at its ``replay_at``). A kernel sends a connect()'s
    SYN or a send()'s segment from inside the call and starts its timers then, while the call
    may return much later on a loaded machine; the oracle's timers (RFC 6298
    retransmissions, tail loss probes) start at that frame too, so load does not shift its
    deadlines against the target's. A call that blocked waiting for the peer (accept, recv,
    poll with a timeout) is made when it returned, having seen what it waited for. With it,
    the call's sort key: before that frame; otherwise after any frame of the same instant."""
    anchored = call.name in ANCHORED_CALLS and (
        call.name == "connect_with_errno" or not blocks(call)) and not blocking_send(call)
    if call.started is not None and anchored:
        i = bisect.bisect_left(target_times, call.started)
        if i < len(target_times) and target_times[i] <= call.t:
            return target_times[i], -1
    return (call.replay_at if blocks(call) or blocking_send(call) else call.t), 1


def replay(ls: Lockstep, frames: list[FrameRecord], calls: list[DutCall],
           barriers: list[float] = (), timer_rate: float = 1.0) -> LockstepResult:
    """Replay one test's timeline (frames and calls merged by time) through the oracle; a
    call comes before the frames it sent (call_time), a frame at a call's return after it,
    a barrier after the frames of its instant. ``timer_rate``: how fast the target's timers
    ran against the host's clock (conformance.author.dut_clock.timer_rate); a timer frame
    the oracle predicts is missing only if due before the end on the target's clock."""
    events: list[tuple[float, int, Any]] = [(f.t, 0, f) for f in frames]
    # (background frames, never judged, anchor no call: an MLD report may precede its frame)
    target_times = sorted(f.t for f in frames
                          if f.direction == "in" and not is_background(f.data))
    events += [(*call_time(c, target_times), c) for c in calls]
    events += [(c.t, 2, c) for c in calls if blocking_connect(c) or blocking_send(c)]
    events += [(t, 3, None) for t in barriers]
    events.sort(key=lambda e: (e[0], e[1]))
    t0 = events[0][0] if events else 0.0
    now = 0.0
    for t, kind, item in events:
        now = t - t0
        if kind == 3:
            ls.barrier(now)
        elif kind == 2:
            ls.dut_return(item, now)
        elif kind:  # -1 or 1 (call_time)
            ls.dut_call(item, now)
        elif item.direction == "out":
            ls.tester_frame(item.data, now)
        elif not is_background(item.data):
            ls.target_frame(item.data, now)
        else:
            ls.background_frame()
    return ls.finish(now * timer_rate)


def check_bed(bed: Any) -> LockstepResult:
    """Replay a finished test's recorded exchange through the oracle (see module docstring)."""
    profile = bed.oracle_profile or PROFILES[bed.capabilities.oracle_profile]
    lockstep = Lockstep(profile, bed.endpoints)
    recorder = bed.link.recorder
    calls = bed.dut.calls if isinstance(bed.dut, RecordingDutApi) else []
    if recorder is None:
        return replay(lockstep, [], calls)
    return replay(lockstep, recorder.frames, calls, recorder.barriers, timer_rate(bed))
