"""Predictions matched against the target's frames: the one algorithm the suites' timeline
replay and the fuzzers' per-step comparison share (DESIGN principle 3: a divergence is real
only outside the allowed set).

A :class:`Matcher` holds the oracle's outstanding predictions, each with the time it was made
and whether a timer of the oracle made it. ``expect`` adds a step's predictions; ``observe``
takes a frame the target sent: it consumes the outstanding prediction that allows it, else the
closest prediction on the same flow (a field divergence), else it is unexpected.
``close_step`` says the target has answered everything so far (a barrier): a non-timer
prediction still outstanding is missing, unless the RFCs let it be delayed
(``timing.delay_ms``: e.g. a delayed ACK, RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2). ``finish``
ends the exchange.

Timer-driven frames, one rule: the oracle's timers run on its virtual clock, the target's on
its own. A timer prediction due at ``t`` is met by a target frame it allows, seen from
``t - TIMER_EARLY_S`` on: when a frame matches nothing, timers due within ``TIMER_EARLY_S`` fire
at once and the frame is tried again. How long an unmet timer prediction waits depends on what
the matcher sees: one that sees every frame the target sent (``complete``: the suites'
timeline) keeps it to the end of the recording, where it is missing if it was due before
``end - TIMER_EARLY_S`` (a target's timer may run late: PyTCP's Python timers retransmit up to
355 ms after the oracle's deadline, measured); one that sees only a case's frames (the fuzzers:
a timer of an earlier case answers on a port the case filters out) drops it silently at
the first barrier (``settle``) ``TIMER_LATE_S`` after it was due, so a frame equal to an old
timer frame is a divergence again. The barrier, not the time a step starts: the fuzzers read
the target's frames only at a step's barrier, so a timer frame the target sent on time
between two steps is seen at the next step's barrier, however long after its deadline that
step came (a stateful run's steps are paced by hypothesis's drawing). RFC 6298 and RFC 9293
fix no timer to the millisecond. Why these bounds: the
timeline's times are the tester's capture times (a Python thread reading AF_PACKET, several
ms late under load), and Linux's timers run on jiffies (4 ms at HZ = 250); 50 ms early is a
quarter of the smallest timer the profiles compare (Linux's 200 ms RTO floor), so a wrong
timer choice (200 ms for 1 s, a backoff not taken) is still a divergence; 200 ms late covers
a loaded machine's scheduling delays (a target's timer thread, the kernel's softirq).
"""

from __future__ import annotations

import errno
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from conformance.author.background import is_background
from conformance.judge.call_values import value_diffs
from conformance.judge.divergence import Divergence, frame_kind, text
from reference_stack.stack import CallResult, Reaction
from reference_stack.variance import Prediction, Relation
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import Dissected, dissect

TIMER_EARLY_S = 0.05
TIMER_LATE_S = 0.2
DELAY_KEY = "timing.delay_ms"


class Timers(Protocol):
    """What the matcher needs of the oracle (ReferenceStack): its timers, and to be told of a
    frame the target sent that it did not predict."""

    def poll_at(self) -> float | None: ...

    def poll(self, now: float) -> Reaction: ...

    def other_frame_sent(self) -> None: ...


class Outstanding:
    __slots__ = ("prediction", "t", "timer", "rule", "flow")

    def __init__(self, prediction: Prediction, t: float, timer: bool, rule: str) -> None:
        self.prediction = prediction
        self.t = t
        self.timer = timer
        self.rule = rule
        self.flow = flow_key(prediction.frame) if timer else b""


def flow_key(frame: bytes) -> bytes:
    """Where a frame goes, byte-level (the tester's side of it: fixed in every prediction, a
    target's own choices such as its ephemeral port being on the other side): ethertype, IPv4
    protocol and destination, and for an unfragmented TCP or UDP datagram its destination
    port. A timer's prediction is tried only on frames with its key (the hot path: a campaign's
    oracle keeps many retransmissions of earlier cases outstanding)."""
    if frame[12:14] != b"\x08\x00" or len(frame) < 34:
        return frame[12:14]
    proto = frame[23]
    off = 14 + (frame[14] & 0x0F) * 4
    if proto in (6, 17) and not frame[20] & 0x1F and not frame[21] and len(frame) >= off + 4:
        return frame[23:24] + frame[30:34] + frame[off + 2:off + 4]
    return frame[23:24] + frame[30:34]


def deciding_rule(reaction: Reaction) -> str:
    """The oracle's last decision: what a frame it did not predict is blamed on."""
    return reaction.trace[-1].rule if reaction.trace else ""


class Matcher:
    def __init__(self, oracle: Timers | None = None, complete: bool = True,
                 adopt: Callable[[dict[str, int]], None] | None = None,
                 on_reaction: Callable[[Reaction], None] | None = None,
                 state_of: Callable[[bytes], str] | None = None,
                 on_match: Callable[[Prediction, float, bool, bytes, float], None] | None = None
                 ) -> None:
        self.oracle = oracle
        self.complete = complete
        self.adopt = adopt  # told the bindings each match settles (the oracle follows them)
        self.on_reaction = on_reaction  # told every timer reaction (its decision records)
        self.state_of = state_of  # the oracle's state for a frame's connection (divergences)
        # told each prediction a target frame answered: (prediction, made at, by a timer,
        # frame, at), for the behaviour fingerprint (conformance.judge.fingerprint)
        self.on_match = on_match
        self.steps: list[Outstanding] = []  # predictions of the steps, in order
        self.timers: deque[Outstanding] = deque()  # of the oracle's timers, oldest first
        self.bindings: dict[str, int] = {}
        # Set per case by a caller whose oracle works in another sequence space (the fuzzers).
        self.translate: Callable[[Prediction], Prediction] | None = None
        self.rule = ""  # the last step's deciding rule
        self.matched = 0

    # -- the oracle's side ---------------------------------------------------------------
    def expect(self, reaction: Reaction, t: float, timer: bool = False) -> None:
        """A step's (or a timer's) predictions, made at ``t``."""
        translate = self.translate
        into = self.timers if timer else self.steps
        for p in reaction.predictions:
            if is_background(p.frame):
                # Background traffic (an MLD report, due at a random time) is neither
                # predicted nor judged: the target's is ignored too (author/background.py).
                continue
            into.append(Outstanding(translate(p) if translate else p, t, timer, self.rule))
        if not timer:
            self.rule = deciding_rule(reaction)

    def advance(self, t: float) -> list[Divergence]:
        """Fire the oracle's timers due by ``t`` (their predictions wait: ``settle``)."""
        oracle = self.oracle
        if oracle is not None:
            due = oracle.poll_at()
            while due is not None and due <= t:
                reaction = oracle.poll(due)
                if self.on_reaction is not None:
                    self.on_reaction(reaction)
                self.expect(reaction, due, timer=True)
                nxt = oracle.poll_at()
                if nxt is not None and nxt <= due:
                    break
                due = nxt
        return []

    def settle(self, t: float) -> None:
        """Every frame the target sent up to ``t`` has been observed (a barrier): a partial
        matcher drops the timer predictions overdue by then, due before ``t - TIMER_LATE_S``
        (see the module docstring); a complete one keeps them to ``finish``."""
        if not self.complete:
            self._expire(t - TIMER_LATE_S)

    def _expire(self, before: float) -> list[Divergence]:
        """Timer predictions due before ``before`` leave: missing, for a complete matcher."""
        out: list[Divergence] = []
        timers = self.timers
        while timers and timers[0].t < before:
            item = timers.popleft()
            if self.complete and DELAY_KEY not in item.prediction.variance:
                out.append(self._missing(item))
        return out

    # -- the target's side ---------------------------------------------------------------
    def observe(self, frame: bytes, t: float) -> list[Divergence]:
        """A frame the target sent at ``t``: [] when a prediction allows it."""
        best = self._match(frame, t)
        if best is None:
            return []
        if self.oracle is not None:
            due = self.oracle.poll_at()
            if due is not None and due <= t + TIMER_EARLY_S:
                # Perhaps the frame of a timer the oracle fires a little later (see above).
                self.advance(max(due, t))
                best = self._match(frame, t)
                if best is None:
                    return []
        if best[1] is None:
            # A frame the oracle did not predict left the target's NIC all the same; one it
            # predicted (matched, or a field divergence) was counted where the oracle sent it.
            self.unpredicted_frame()
        return self._judge(frame, best, t)

    def unpredicted_frame(self) -> None:
        """The target's NIC sent a frame the oracle never predicted: one ``observe`` found
        unexpected, or one no caller judges (background traffic, conformance.author.
        background; the fuzzers' barrier probe's answer, the probe sent to the target only).
        The oracle learns only that another frame went (ReferenceStack.other_frame_sent: for
        a NIC that holds the last frame it sent, Linux virtio_net without TX NAPI, whose
        start_xmit frees the skbs sent before, free_old_xmit_skbs, before it queues any).
        Its timers are not advanced first: the caller tells it in the NIC's order among the
        frames it judges."""
        if self.oracle is not None:
            self.oracle.other_frame_sent()

    def close_step(self) -> list[Divergence]:
        """The target answered everything so far: what the oracle predicted and it did not
        send is missing (timer predictions wait for their window). A prediction the RFCs let
        the target delay (``timing.delay_ms``: a delayed ACK, RFC 1122 4.2.3.2) waits like a
        timer's: it may still come after the barrier, in the next step's answers."""
        out = []
        for item in self.steps:
            if DELAY_KEY in item.prediction.variance:
                item.flow = flow_key(item.prediction.frame)
                self.timers.append(item)
            else:
                out.append(self._missing(item))
        self.steps = []
        return out

    def finish(self, end: float) -> list[Divergence]:
        """The end of the exchange at ``end``: non-timer predictions not met are missing; timer
        ones only when overdue (a timer's frame not yet late when the recording ended is not)."""
        out = self._expire(end - TIMER_EARLY_S)
        out += self.close_step()
        self.timers.clear()
        return out

    # -- matching ------------------------------------------------------------------------
    def _match(self, frame: bytes, t: float) -> tuple | None:
        """Consume the outstanding prediction that allows ``frame`` (None): a step's, else a
        timer's with the frame's flow key; else the closest on the frame's flow, a step's
        before a timer's (a timer's frame is met only by a frame it allows, unless no step
        predicted on that flow), as (collection, item, diffs, bindings); or None in place of
        the item when there is none."""
        best: tuple | None = None
        actual = None
        key = None
        for pool in (self.steps, self.timers):
            if pool is self.timers:
                if not pool:
                    break
                key = flow_key(frame)
            for item in pool:
                if key is not None and item.flow != key:
                    continue
                trial = self._fresh_bindings(item.prediction)
                diffs = item.prediction.check(frame, trial)
                if not diffs:
                    self._settle(trial)
                    pool.remove(item)
                    self.matched += 1
                    if self.on_match is not None:
                        self.on_match(item.prediction, item.t, item.timer, frame, t)
                    return None
                if actual is None:
                    actual = dissect(frame)
                if not same_flow(item.prediction.dissected, actual):
                    continue
                if best is None or (best[1].timer, len(best[2])) > (item.timer, len(diffs)):
                    best = (pool, item, diffs, trial)
        return best if best is not None else (None, None, [], None)

    def _judge(self, frame: bytes, best: tuple, t: float) -> list[Divergence]:
        summary = dissect(frame).summary()
        state = self.state_of(frame) if self.state_of is not None else ""
        pool, item, diffs, trial = best
        if item is not None:
            # The frame answers this prediction, but not as the oracle would.
            pool.remove(item)
            self._settle(trial)
            if self.on_match is not None:
                self.on_match(item.prediction, item.t, item.timer, frame, t)
            return [Divergence("field", d.field, text(d.expected), text(d.actual), d.rule,
                               summary, state) for d in diffs]
        return [Divergence("unexpected", "frame", "nothing", summary, self.rule, summary,
                           state, frame_kind(frame))]

    def _fresh_bindings(self, prediction: Prediction) -> dict[str, int]:
        """The bindings to check a prediction against; a SYN starts a new sequence space
        (RFC 9293 3.4.1: its ISN is chosen afresh), so the ISN an earlier incarnation of the
        same ports bound is forgotten."""
        trial = dict(self.bindings)
        if _is_syn(prediction.frame):
            seq = prediction.variance.get("tcp.seq")
            if isinstance(seq, Relation):
                trial.pop(seq.var, None)
        return trial

    def _missing(self, item: Outstanding) -> Divergence:
        p = item.prediction
        summary = p.dissected.summary()
        state = self.state_of(p.frame) if self.state_of is not None else ""
        return Divergence("missing", "frame", summary, "nothing", p.rule, summary, state,
                          frame_kind(p.frame))

    def _settle(self, bindings: dict[str, int]) -> None:
        self.bindings.clear()
        self.bindings.update(bindings)
        if self.adopt is not None:
            self.adopt(bindings)


def _is_syn(frame: bytes) -> bool:
    """An unfragmented IPv4 TCP segment, or an IPv6 one without extension headers, with
    SYN, byte-level."""
    ethertype = frame[12:14]
    if ethertype == b"\x86\xdd":
        if len(frame) < 54 or frame[20] != 6:
            return False
        off = 54
    elif ethertype != b"\x08\x00" or len(frame) < 34 or frame[23] != 6:
        return False
    else:
        off = 14 + (frame[14] & 0x0F) * 4
    return len(frame) > off + 13 and bool(frame[off + 13] & tcpw.SYN)


def same_flow(p: Dissected, a: Dissected) -> bool:
    """An actual frame (``a``) of the same protocol and ports as a predicted one (``p``) is
    its (divergent) match."""
    for layer in ("tcp", "udp"):
        lp, la = getattr(p, layer), getattr(a, layer)
        if lp is not None and la is not None:
            return lp.dst_port == la.dst_port
    return (p.icmpv4 is not None and a.icmpv4 is not None) or (
        p.arp is not None and a.arp is not None)


# The user command (RFC 9293 3.9.1) a socket call implements: the requirement a call's
# divergent result or errno is recorded against (catalogue ids, suites/requirements/rfc9293.toml).
_STATUS = "RFC9293-3.9.1.10-MAY-status"
CALL_RULES = dict.fromkeys(("socket", "bind", "listen", "connect", "accept", "setsockopt"),
                           "RFC9293-3.9.1.1-MAY-open")
CALL_RULES.update(dict.fromkeys(("send", "sendto", "sendmsg", "write"), "RFC9293-3.9.1.2-MAY-send"))
CALL_RULES.update(dict.fromkeys(("recv", "recvfrom", "recvmsg", "read"),
                                "RFC9293-3.9.1.3-MAY-receive"))
CALL_RULES.update(dict.fromkeys(("shutdown", "close"), "RFC9293-3.9.1.4-MAY-close"))
CALL_RULES.update(dict.fromkeys(("getsockopt", "getsockname", "getpeername", "poll"), _STATUS))


def compare_call(name: str, target: tuple[Any, int], oracle: CallResult,
                 detail: str = "", args: tuple = ()) -> list[Divergence]:
    """A DUT socket call's result on the target, (value, errno), against the oracle's: the
    errno always (POSIX; a non-blocking connect's EINPROGRESS and an immediate success are
    the same call), the value as conformance.judge.call_values compares it (``args``: the
    call's arguments, e.g. a getsockopt's option)."""
    value, err = target
    name = name.removesuffix("_with_errno")
    rule = CALL_RULES.get(name, _STATUS)
    frame = f"{name}{detail}"
    if name == "connect" and {err, oracle.errno} <= {0, errno.EINPROGRESS}:
        return []
    if err != oracle.errno:
        return [Divergence("call", f"dut.{name}.errno",
                           text(errno.errorcode.get(oracle.errno, oracle.errno)),
                           text(errno.errorcode.get(err, err)), rule, frame)]
    if err:
        return []
    return [Divergence("call", f"dut.{name}" + (f".{key}" if key else ""), text(mine),
                       text(theirs), rule, frame)
            for key, mine, theirs in value_diffs(name, args, value, oracle.value)]
