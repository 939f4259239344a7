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
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.author.background import is_background
from conformance.dut.api import DutApi
from conformance.fabric.pcap import FrameRecord
from conformance.judge.divergence import HOST_STATE, Divergence
from conformance.judge.matching import Matcher, compare_call
from conformance.judge.oracle import Addresses, apply_sysctl, build_oracle
from reference_stack.profiles import PROFILES, Profile
from reference_stack.stack import CallResult, Reaction
from reference_stack.wire.frame import dissect

# -- the DUT side of the timeline -------------------------------------------------------------

@dataclass(frozen=True)
class DutCall:
    t: float  # wall clock when the call returned (time.time(), as the recorder's frames)
    name: str  # e.g. "recv_with_errno"
    args: tuple[Any, ...]
    result: tuple[Any, int]
    started: float | None = None  # wall clock when it was made (None: at ``t``)


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
    """Put the test's per-test sysctls on the timeline too, so the oracle follows them."""
    setter = bed.set_dut_sysctl
    if setter is None or not isinstance(bed.dut, RecordingDutApi):
        return
    calls = bed.dut.calls

    def recorded(key: str, value: str) -> None:
        setter(key, value)
        calls.append(DutCall(time.time(), "set_dut_sysctl", (key, value), (None, 0)))

    bed.set_dut_sysctl = recorded


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

    def divergence_dicts(self) -> list[dict[str, Any]]:
        return [d.to_dict() for d in self.divergences]


class Lockstep:
    """The oracle on a virtual clock, fed a test's timeline; predictions matched by the judge's
    one matcher (conformance.judge.matching), which sees every frame the target sent."""

    def __init__(self, profile: Profile, addrs: Addresses, seed: int = 0) -> None:
        self.stack = build_oracle(profile, addrs, seed)
        self.fds: dict[int, int] = {}  # target fd -> oracle fd
        self.result = LockstepResult()
        self.matcher = Matcher(self.stack, complete=True, adopt=self.stack.adopt,
                               on_reaction=self._decisions, state_of=self._state_of)

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
        if d.tcp is None or d.ipv4 is None:
            return HOST_STATE
        tcb = self.stack.tcp.conns.get((d.ipv4.src, d.tcp.src_port, d.ipv4.dst, d.tcp.dst_port))
        return tcb.state.value if tcb is not None else "CLOSED"

    def advance(self, t: float) -> None:
        self._diverged(self.matcher.advance(t))

    def tester_frame(self, frame: bytes, t: float) -> None:
        self.advance(t)
        self._absorb(self.stack.receive(frame, t), t)

    def target_frame(self, frame: bytes, t: float) -> None:
        self.advance(t)
        self._diverged(self.matcher.observe(frame, t))

    def dut_call(self, call: DutCall, t: float) -> None:
        self.advance(t)
        if call.name == "set_dut_sysctl":
            apply_sysctl(self.stack, *call.args)
            return
        replay = CALLS.get(call.name)
        if replay is None:
            return
        outcome = replay(self, call.args, t)
        if outcome is None:
            return
        self._absorb(outcome.reaction, t)
        self._map_new_fds(call, outcome)
        detail = repr(call.args[:1]) if call.name.startswith("recv") else repr(call.args)
        self._diverged(compare_call(call.name, call.result, outcome, detail))

    def finish(self, end: float | None = None) -> LockstepResult:
        self._diverged(self.matcher.finish(end if end is not None else float("inf")))
        self.result.matched = self.matcher.matched
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


CALLS: dict[str, Callable[[Lockstep, tuple, float], CallResult | None]] = {
    "socket_with_errno": _socket,
    "bind_with_errno": lambda ls, a, t: ls.stack.bind(ls._fd(a[0]), a[1], t),
    "listen_with_errno": lambda ls, a, t: ls.stack.listen(ls._fd(a[0]), a[1], t),
    "accept_with_errno": _accept,
    "connect_with_errno": lambda ls, a, t: ls.stack.connect(ls._fd(a[0]), a[1], t),
    "send_with_errno": lambda ls, a, t: ls.stack.send(ls._fd(a[0]), a[1], t, a[2]),
    "sendto_with_errno": lambda ls, a, t: ls.stack.sendto(ls._fd(a[0]), a[1], a[2], t),
    "recv_with_errno": lambda ls, a, t: ls.stack.recv(ls._fd(a[0]), a[1], t),
    "recvfrom_with_errno": lambda ls, a, t: ls.stack.recvfrom(ls._fd(a[0]), a[1], t),
    "shutdown_with_errno": lambda ls, a, t: ls.stack.shutdown(ls._fd(a[0]), a[1], t),
    "close_with_errno": lambda ls, a, t: ls.stack.close(ls._fd(a[0]), t),
    "setsockopt_with_errno":
        lambda ls, a, t: ls.stack.setsockopt(ls._fd(a[0]), a[1], a[2], a[3], t),
}


# Calls whose frames a kernel sends while the call runs, without waiting for the peer: the
# oracle makes them at their first frame (call_time).
ANCHORED_CALLS = frozenset({"connect_with_errno", "send_with_errno", "sendto_with_errno",
                            "close_with_errno", "shutdown_with_errno", "setsockopt_with_errno",
                            "recv_with_errno", "recvfrom_with_errno"})


def call_time(call: DutCall, target_times: list[float]) -> tuple[float, int]:
    """When the oracle makes ``call``: at the first frame the target sent while it ran (the
    frames carry the kernel's receive time, conformance/fabric/link.py), else when it
    returned. A kernel sends a connect()'s SYN or a send()'s segment from inside the call and
    starts its timers then, while the call may return much later on a loaded machine; the
    oracle's timers (RFC 6298 retransmissions, tail loss probes) start at that frame too, so
    load does not shift its deadlines against the target's. With it, the call's sort key:
    before that frame; a call at its return after any frame of the same instant."""
    if call.started is None or call.name not in ANCHORED_CALLS:
        return call.t, 1
    i = bisect.bisect_left(target_times, call.started)
    if i < len(target_times) and target_times[i] <= call.t:
        return target_times[i], -1
    return call.t, 1


def replay(ls: Lockstep, frames: list[FrameRecord], calls: list[DutCall]) -> LockstepResult:
    """Replay one test's timeline (frames and calls merged by time) through the oracle; a
    call comes before the frames it sent (call_time), a frame at a call's return after it."""
    events: list[tuple[float, int, Any]] = [(f.t, 0, f) for f in frames]
    target_times = sorted(f.t for f in frames if f.direction == "in")
    events += [(*call_time(c, target_times), c) for c in calls]
    events.sort(key=lambda e: (e[0], e[1]))
    t0 = events[0][0] if events else 0.0
    now = 0.0
    for t, kind, item in events:
        now = t - t0
        if kind:
            ls.dut_call(item, now)
        elif item.direction == "out":
            ls.tester_frame(item.data, now)
        elif not is_background(item.data):
            ls.target_frame(item.data, now)
    return ls.finish(now)


def check_bed(bed: Any) -> LockstepResult:
    """Replay a finished test's recorded exchange through the oracle (see module docstring)."""
    profile = bed.oracle_profile or PROFILES[bed.capabilities.oracle_profile]
    lockstep = Lockstep(profile, bed.endpoints)
    frames = bed.link.recorder.frames if bed.link.recorder is not None else []
    calls = bed.dut.calls if isinstance(bed.dut, RecordingDutApi) else []
    return replay(lockstep, frames, calls)
