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

import errno
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.dut_api import DutApi
from conformance.exchange import is_background
from conformance.pcap import FrameRecord
from conformance.judge.sysctls import profile_with_sysctl
from reference_stack.profiles import PROFILES, Profile
from reference_stack.stack import CallResult, Reaction, ReferenceStack
from reference_stack.variance import Prediction, Relation
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.frame import dissect

# -- the DUT side of the timeline -------------------------------------------------------------

@dataclass(frozen=True)
class DutCall:
    t: float  # wall clock when the call returned (time.time(), as the recorder's frames)
    name: str  # e.g. "recv_with_errno"
    args: tuple[Any, ...]
    result: tuple[Any, int]


def _recorded(name: str) -> Callable[..., Any]:
    signature = inspect.signature(getattr(DutApi, name))

    def method(self: RecordingDutApi, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.inner, name)(*args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()  # positional, in signature order, whatever the caller wrote
        self.calls.append(DutCall(time.time(), name, bound.args[1:], result))
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

# Timer-driven frames: how much earlier than the oracle's deadline a target frame may be
# recorded, and still be that timer's frame. The timeline's times are the tester's capture
# times (a Python thread reading AF_PACKET, several ms late under load), so the oracle arms its
# timers late by as much; Linux's timers run on jiffies (4 ms at HZ = 250). 50 ms is a quarter
# of the smallest timer the profiles compare (Linux's 200 ms RTO floor): a wrong timer choice
# (200 ms for 1 s, a backoff not taken) is still a divergence. RFC 6298 and RFC 9293 fix no
# timer to the millisecond; the oracle's own frames are checked field by field as before.
TIMER_TOLERANCE_S = 0.05


@dataclass
class Outstanding:
    prediction: Prediction
    t: float
    timer: bool = False  # made when a timer of the oracle fired


@dataclass
class LockstepResult:
    divergences: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, str]] = field(default_factory=list)
    matched: int = 0


class Lockstep:
    def __init__(self, profile: Profile, dut_mac: str, dut_ipv4: str, prefix_len: int,
                 tester_mac: str, tester_ipv4: str, seed: int = 0) -> None:
        self.stack = ReferenceStack(profile, mac(dut_mac), ip4(dut_ipv4), prefix_len,
                                    rng_seed=seed)
        self.stack.add_neighbor(ip4(tester_ipv4), mac(tester_mac))
        self.outstanding: list[Outstanding] = []
        self.bindings: dict[str, int] = {}
        self.fds: dict[int, int] = {}  # target fd -> oracle fd
        self.result = LockstepResult()

    # timeline events
    def _absorb(self, reaction: Reaction, t: float, timer: bool = False) -> None:
        for d in reaction.trace:
            self.result.decisions.append({"layer": d.layer, "decision": d.action,
                                          "rule": d.rule, "detail": d.detail})
        self.outstanding.extend(Outstanding(p, t, timer) for p in reaction.predictions)

    def _timers(self, t: float) -> None:
        due = self.stack.poll_at()
        while due is not None and due <= t:
            self._absorb(self.stack.poll(due), due, timer=True)
            nxt = self.stack.poll_at()
            if nxt is not None and nxt <= due:
                break
            due = nxt

    def tester_frame(self, frame: bytes, t: float) -> None:
        self._timers(t)
        self._absorb(self.stack.receive(frame, t), t)

    def target_frame(self, frame: bytes, t: float) -> None:
        self._timers(t)
        best = self._match(frame)
        if best is None:
            return
        due = self.stack.poll_at()
        if due is not None and due <= t + TIMER_TOLERANCE_S:
            # Perhaps the frame of a timer the oracle fires a little later (see above).
            self._timers(due)
            best = self._match(frame)
            if best is None:
                return
        self._judge(frame, best)

    def _match(self, frame: bytes) -> tuple | None:
        """Consume the outstanding prediction that allows `frame` (None); else the closest
        one, (index, diffs, item, bindings), or (None, [], None, None) when there is none."""
        best: tuple[int, list[Any], Outstanding, dict[str, int]] | None = None
        for i, item in enumerate(self.outstanding):
            trial = self._fresh_bindings(item.prediction)
            diffs = item.prediction.check(frame, trial)
            if not diffs:
                self._adopt(trial)
                del self.outstanding[i]
                self.result.matched += 1
                return None
            if best is None or len(diffs) < len(best[1]):
                best = (i, diffs, item, trial)
        return best if best is not None else (None, [], None, None)

    def _judge(self, frame: bytes, best: tuple) -> None:
        summary = dissect(frame).summary()
        if best[2] is not None and _same_flow(best[2].prediction, frame):
            # The frame answers this prediction, but not as the oracle would.
            del self.outstanding[best[0]]
            self._adopt(best[3])
            for div in best[1]:
                self._diverge(div.field, div.expected, div.actual, div.rule, summary)
        else:
            self._diverge("frame", "nothing", summary, "", summary)

    def _fresh_bindings(self, prediction: Prediction) -> dict[str, int]:
        """The bindings to check a prediction against; a SYN starts a new sequence space, so
        the ISN an earlier incarnation of the same ports bound is forgotten."""
        trial = dict(self.bindings)
        tcp = prediction.dissected.tcp
        seq = prediction.variance.get("tcp.seq")
        if tcp is not None and tcp.flags & tcpw.SYN and isinstance(seq, Relation):
            trial.pop(seq.var, None)
        return trial

    def _adopt(self, bindings: dict[str, int]) -> None:
        self.bindings = bindings
        self.stack.adopt(bindings)

    def dut_call(self, call: DutCall, t: float) -> None:
        self._timers(t)
        if call.name == "set_dut_sysctl":
            profile = profile_with_sysctl(self.stack.profile, *call.args)
            if profile is not None:
                self.stack.set_profile(profile)
            return
        replay = CALLS.get(call.name)
        if replay is None:
            return
        outcome = replay(self, call.args, t)
        if outcome is None:
            return
        self._absorb(outcome.reaction, t)
        self._map_new_fds(call, outcome)
        self._compare_call(call, outcome)

    def finish(self, end: float | None = None) -> LockstepResult:
        for item in self.outstanding:
            if "timing.delay_ms" in item.prediction.variance:
                continue  # the RFCs let this frame be delayed or merged (e.g. a delayed ACK)
            if item.timer and end is not None and item.t > end - TIMER_TOLERANCE_S:
                continue  # a timer's frame not yet overdue when the recording ended
            self._diverge("frame", item.prediction.dissected.summary(), "nothing",
                          item.prediction.rule, "missing")
        self.outstanding = []
        return self.result

    # helpers
    def _diverge(self, fld: str, expected: Any, actual: Any, rule: str, frame: str) -> None:
        self.result.divergences.append({"field": fld, "expected": _text(expected),
                                        "actual": _text(actual), "rule": rule,
                                        "frame": frame, "explained": False})

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

    def _compare_call(self, call: DutCall, outcome: CallResult) -> None:
        value, err = call.result
        name = call.name.removesuffix("_with_errno")
        if name == "connect" and {err, outcome.errno} <= {0, errno.EINPROGRESS}:
            return
        if err != outcome.errno:
            self._diverge(f"dut.{name}.errno", errno.errorcode.get(outcome.errno, outcome.errno),
                          errno.errorcode.get(err, err), "", f"{name}{call.args!r}")
            return
        if name in ("recv", "recvfrom") and not err and value != outcome.value:
            self._diverge(f"dut.{name}", outcome.value, value, "", f"{name}{call.args[:1]!r}")


def _same_flow(prediction: Prediction, frame: bytes) -> bool:
    """An actual frame of the same protocol and ports as a prediction is its (divergent) match."""
    p, a = prediction.dissected, dissect(frame)
    for layer in ("tcp", "udp"):
        lp, la = getattr(p, layer), getattr(a, layer)
        if lp is not None and la is not None:
            return lp.dst_port == la.dst_port
    return (p.icmpv4 is not None and a.icmpv4 is not None) or (
        p.arp is not None and a.arp is not None)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value[:64].hex() + ("..." if len(value) > 64 else "")
    return str(value)


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


def replay(ls: Lockstep, frames: list[FrameRecord], calls: list[DutCall]) -> LockstepResult:
    """Replay one test's timeline (frames and calls merged by time) through the oracle."""
    events: list[tuple[float, int, Any]] = [(f.t, 0, f) for f in frames]
    events += [(c.t, 1, c) for c in calls]
    events.sort(key=lambda e: (e[0], e[1]))
    t0 = events[0][0] if events else 0.0
    now = 0.0
    for t, kind, item in events:
        now = t - t0
        if kind == 1:
            ls.dut_call(item, now)
        elif item.direction == "out":
            ls.tester_frame(item.data, now)
        elif not is_background(item.data):
            ls.target_frame(item.data, now)
    return ls.finish(now)


def check_bed(bed: Any) -> LockstepResult:
    """Replay a finished test's recorded exchange through the oracle (see module docstring)."""
    ep = bed.endpoints
    profile = bed.oracle_profile or PROFILES[bed.capabilities.oracle_profile]
    lockstep = Lockstep(profile, ep.dut_mac, ep.dut_ipv4, ep.ipv4_prefix_len, ep.tester_mac,
                        ep.tester_ipv4)
    frames = bed.link.recorder.frames if bed.link.recorder is not None else []
    calls = bed.dut.calls if isinstance(bed.dut, RecordingDutApi) else []
    return replay(lockstep, frames, calls)
