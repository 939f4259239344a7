"""One differential session: a target's test bed and an in-process oracle, side by side.

A case (a few canonical frames, drawn by a strategy) runs like this:

1. the scenario brings both stacks to its state on a fresh tester port (``open``);
2. each frame is shifted into the target's and the oracle's sequence space
   (:mod:`fuzz.seqspace`), sent to the target and fed to the oracle;
3. the target's answers are collected up to a barrier (the probe bed set-up chose,
   conformance.author.barriers: an ICMP echo, or a fallback when the DUT ignores echo; the
   target answers in order, DESIGN principle 6) and compared with the oracle's predictions;
4. the scenario resets what the case left (``close``).

The hot path uses prebuilt bytes and byte-level matching; the link records nothing, the
case record keeps what was sent and received.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.author import barriers
from conformance.author.background import is_background
from conformance.author.family import FAMILIES, Family
from conformance.author.templates import link_defaults
from conformance.dut.agent import AgentFailure
from conformance.fabric.link import MIN_FRAME, LinkTimeout
from conformance.judge.divergence import HOST_STATE, Divergence, frame_kind, response_class
from conformance.judge.matching import Matcher, compare_call
from conformance.judge.oracle import build_oracle
from conformance.judge.store import Context
from conformance.targets.base import TestBed
from fuzz.frames import FrameFactory, belongs_to_case, link_addresses, tcp_ports
from fuzz.scenarios import (
    CANONICAL_VIEW,
    SCENARIOS,
    TESTER_ISS,
    TESTER_TSVAL,
    CaseContext,
    Scenario,
    on_connection,
)
from fuzz.seqspace import CANONICAL_DUT_ISN, PortMap, tcp_header_at
from reference_stack.profiles import Profile
from reference_stack.stack import CallResult, Reaction
from reference_stack.tcp import ack_throttle
from reference_stack.tcp.state import State
from reference_stack.tcp.tcb import Tcb
from reference_stack.wire.tcp import RST

BARRIER_TIMEOUT = 2.0
# A step is not sent while the target's copy of the oracle's timer on the case's connection may
# be firing (DifferentialSession.clear_of_timer): up to TIMER_RACE_EARLY_S before the oracle's
# deadline (the two stacks' RTT estimates differ by a few ms) and TIMER_RACE_LATE_S after it
# (Linux's timers run on jiffies, 4 ms at HZ = 250, and its timer wheel rounds a timeout of 64
# jiffies or more up by up to 8 jiffies, 32 ms).
TIMER_RACE_EARLY_S = 0.01
TIMER_RACE_LATE_S = 0.04
FIRST_TESTER_PORT = 1024
LAST_TESTER_PORT = 65000
SETTLED_STATES = (State.CLOSED, State.LISTEN, State.TIME_WAIT)
# accept() errors that consume a queued connection reset before it was accepted (POSIX
# ECONNABORTED; lwIP 2.1.3 lwip_accept: ENOTCONN): the accept queue goes on.
ABORTED_IN_QUEUE = (errno.ECONNABORTED, errno.ENOTCONN)
# The canonical connection's numbers, for the analyses of a target's store (judge.store.Context).
CANONICAL_CONSTANTS = {"tester_iss": TESTER_ISS, "tester_tsval": TESTER_TSVAL,
                       "dut_isn": CANONICAL_DUT_ISN}


# DifferentialSession's default barrier: chosen on its own bed (barriers.for_bed).
CHOOSE_BARRIER = object()


class TargetUnresponsive(RuntimeError):
    """The target stopped answering the barrier probe (a liveness finding)."""


def frame_ports(frame: bytes) -> PortMap:
    """A frame's own TCP ports as the case's port map (no canonical space: both stacks see
    them as sent); zeros for a frame that is not TCP."""
    sport, dport = tcp_ports(frame) or (0, 0)
    return PortMap(sport, sport, dport, dport)


def pad(frame: bytes) -> bytes:
    """Zero padding to the Ethernet minimum (IEEE 802.3: 60 octets without the FCS)."""
    return frame + bytes(MIN_FRAME - len(frame)) if len(frame) < MIN_FRAME else frame


@dataclass
class CaseRecord:
    """Everything one case did, kept for a finding."""

    state: str
    canonical: tuple[bytes, ...]
    sent: list[bytes] = field(default_factory=list)  # to the target, exactly as sent
    oracle_in: list[bytes] = field(default_factory=list)
    responses: list[list[bytes]] = field(default_factory=list)  # per frame sent
    reactions: list[Reaction] = field(default_factory=list)
    mismatches: list[Divergence] = field(default_factory=list)
    setup_mismatches: list[Divergence] = field(default_factory=list)
    diverging_frame: int | None = None  # index of the first frame answered out of the set
    # The mismatches of the first step (frame or call) that left the allowed set: what the
    # finding is about; later ones may only be its consequences (the stacks have parted).
    first_mismatches: list[Divergence] = field(default_factory=list)
    # The frame went to the target as drawn, no scenario's space (boofuzz: judge_sent); a
    # replay sends it again as it is.
    as_sent: bool = False
    calls: list[str] = field(default_factory=list)  # socket calls made (stateful engine)
    steps: list[dict[str, str]] = field(default_factory=list)  # frames and calls, in order
    call_answers: list[list[bytes]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return frame_kind(self.canonical[0]) if self.canonical else "none"

    @property
    def cell_state(self) -> str:
        """The state, or ``host`` when the frame that diverged (else any frame) is host-level."""
        if self.calls:
            return self.state
        frames = self.canonical
        if self.diverging_frame is not None and self.diverging_frame < len(frames):
            frames = (frames[self.diverging_frame],)
        return self.state if on_connection(frames) else HOST_STATE

    @property
    def signature(self) -> tuple[str, str, str]:
        """(rule, state, response class): two cases with the same signature are one finding."""
        mismatches = self.setup_mismatches or self.first_mismatches or self.mismatches
        rule = mismatches[0].rule if mismatches else ""
        return rule, self.cell_state, response_class(mismatches)

    def context(self) -> Context:
        """What the target's store matches a finding of this case with: its signature, the
        frame that diverged (as sent and as drawn), the target's answers to it and the case's
        earlier frames with the answers to each."""
        rule, state, response = self.signature
        found = tuple(self.setup_mismatches or self.first_mismatches or self.mismatches)
        steps = tuple(dict(step) for step in self.steps)
        i = self.diverging_frame
        if i is None:
            # A socket call diverged (stateful engine): every frame of the case came before it.
            earlier = tuple(zip(self.canonical, map(tuple, self.responses), strict=False))
            return Context(rule, state, response, found, answered_before=any(self.responses),
                           earlier=earlier, constants=CANONICAL_CONSTANTS, steps=steps)
        canonical = self.canonical[i] if i < len(self.canonical) else None
        earlier = tuple(zip(self.canonical[:i], map(tuple, self.responses[:i]), strict=False))
        return Context(rule, state, response, found, self.sent[i], canonical,
                       tuple(self.responses[i]), any(self.responses[:i]), earlier,
                       CANONICAL_CONSTANTS, steps)

    def case_entry(self) -> dict[str, Any]:
        """JSON-safe: what replays this case (its state, frames and, for a stateful run,
        steps)."""
        entry: dict[str, Any] = {"state": self.state,
                                 "canonical": [f.hex() for f in self.canonical]}
        if self.steps:
            entry["steps"] = self.steps
        if self.as_sent:
            entry["as_sent"] = True
        return entry

    def trace(self) -> list[dict[str, Any]]:
        return [d.to_dict() for r in self.reactions for d in r.trace]


@dataclass
class Answers:
    """The target's frames of one step up to its barrier, as the judge takes them: ``frames``,
    those of the case (compared with the oracle's predictions), and ``unpredicted``, where
    among them the target's NIC sent a frame the oracle never predicts (for each, how many of
    ``frames`` went before it): background traffic (conformance.author.background: the VM's
    own MLD reports) and the barrier probe's answer (the probe goes to the target only).

    Frames of other cases are in neither: the oracle that judged their case (the session's,
    for the whole batch) predicted them and counted them where it sent them, e.g. a delayed
    ACK or a retransmission of an earlier case's port, or the answer to a scenario's RST."""

    frames: list[bytes] = field(default_factory=list)
    unpredicted: list[int] = field(default_factory=list)

    def add(self, frame: bytes, of_case: Callable[[bytes], bool]) -> None:
        if is_background(frame):
            self.unpredicted.append(len(self.frames))
        elif of_case(frame):
            self.frames.append(frame)


def in_nic_order(frames: list[bytes], unpredicted: Sequence[int]) -> list[bytes | None]:
    """A step's judged ``frames`` with None where the NIC sent a frame the oracle never
    predicts (:class:`Answers`), in the order the NIC sent them."""
    ordered: list[bytes | None] = list(frames)
    for at in reversed(unpredicted):  # (from the last: the earlier places stay put)
        ordered.insert(at, None)
    return ordered


class DifferentialSession:
    def __init__(self, bed: TestBed, oracle_profile: Profile, seed: int = 0,
                 barrier: str | None | object = CHOOSE_BARRIER, family: str = "ipv4") -> None:
        self.bed = bed
        # The family of the scenarios' sockets and of the frames the runner crafts (its
        # handshakes, resets, the health probe's SYN): ipv4 or ipv6 (--family).
        self.family: Family = FAMILIES[family]
        self.link = bed.link
        self.link.recorder = None  # the hot path records nothing; case records keep frames
        # The barrier probe (conformance.author.barriers): the campaign's choice, else this
        # bed's; None: no probe is answered, the quiescence window instead.
        kind = barriers.for_bed(bed) if barrier is CHOOSE_BARRIER else barrier
        self.caps = barriers.with_probe(bed.capabilities, kind)  # type: ignore[arg-type]
        self.probes = (barriers.ProbeRing(self.caps.barrier, link_defaults(bed.endpoints))
                       if self.caps.barrier is not None else None)
        self.addrs = link_addresses(bed.endpoints, self.family)
        self.factory = FrameFactory(self.addrs)
        self.oracle = build_oracle(oracle_profile, bed.endpoints, seed)
        # Only an oracle whose NIC holds its last frame learns from where the target's
        # background frames went (_background_between_steps); for the others the link is not
        # read between steps (a case's hot path).
        self.nic_holds_last_frame = oracle_profile.nic_holds_last_frame
        # The judge's matcher; it sees only each case's frames (conformance.judge.matching).
        self.matcher = Matcher(self.oracle, complete=False)
        self.t0 = time.monotonic()
        self._port = FIRST_TESTER_PORT + seed % 1000
        self._ident = (seed * 7919) & 0xFFFF
        self.scenarios: dict[str, Scenario] = {}
        for cls in SCENARIOS:
            scenario = cls()
            scenario.setup(self)
            self.scenarios[scenario.name] = scenario

    # -- the oracle and the link ---------------------------------------------------------
    def now(self) -> float:
        return time.monotonic() - self.t0

    def oracle_receive(self, frame: bytes) -> Reaction:
        return self.oracle.receive(frame, self.now())

    def send_both(self, target_frame: bytes, oracle_frame: bytes) -> Reaction:
        """The same frame (in each one's sequence space) to both stacks, padded to the
        Ethernet minimum as the link would: the oracle must see the octets the target sees."""
        target_frame, oracle_frame = pad(target_frame), pad(oracle_frame)
        now = self.now()  # before the target acts (see call_both)
        self.link.send(target_frame)
        return self.oracle.receive(oracle_frame, now)

    def barrier(self) -> list[bytes]:
        """The target's answers so far: up to the barrier probe's reply, and for a target that
        does not reply synchronously (its timers or threads may answer later, or it answers
        no probe) also what comes within its quiescence window."""
        before, after = self._barrier()
        return before + after

    def _barrier(self) -> tuple[list[bytes], list[bytes]]:
        """:meth:`barrier`'s frames: those before the probe's reply, those after it."""
        before = self.probe()
        if self.caps.replies_synchronously:
            return before, []
        return before, self.link.quiesce(self.caps.quiescence_window_s)

    def answers(self, of_case: Callable[[bytes], bool]) -> Answers:
        """The target's frames up to the barrier (:meth:`barrier`) for the judge: the case's
        (``of_case``), and where the NIC sent the frames the oracle never predicts among them,
        the probe's reply included (:class:`Answers`)."""
        before, after = self._barrier()
        found = Answers()
        for frame in before:
            found.add(frame, of_case)
        if self.probes is not None:  # (the probe's reply: after every frame before it)
            found.unpredicted.append(len(found.frames))
        for frame in after:
            found.add(frame, of_case)
        return found

    def probe(self) -> list[bytes]:
        """The frames before the answer to the barrier probe (sent to the target only; none
        when no probe is answered). TargetUnresponsive when it goes unanswered."""
        if self.probes is None:
            return []
        try:
            return self.link.barrier(self.probes.next(), BARRIER_TIMEOUT)
        except (LinkTimeout, AgentFailure) as exc:  # (AgentFailure: its process ended)
            raise TargetUnresponsive(str(exc)) from None

    def expect_tcp(self, frame: bytes, ports: PortMap, flags: int, timeout: float) -> list[bytes]:
        """Send ``frame`` to the target only and wait for a segment with ``flags`` on the
        case's connection; returns it (or nothing), without the oracle."""
        self.link.send(frame)
        want = (ports.dut, ports.actual)

        def is_answer(f: bytes) -> bool:
            if tcp_ports(f) != want:
                return False
            off = tcp_header_at(f)
            return off is not None and len(f) > off + 13 and f[off + 13] & flags == flags

        got, _ = self.link.expect(is_answer, timeout)
        return [got] if got is not None else []

    def run_oracle_timers(self) -> None:
        """Timers due on the oracle (reassembly timeouts, retransmissions) fire as on the
        target, so both forget the same leftovers of earlier cases; what they send is matched
        by the judge's timer rule (a target's copy may come in any later step). A background
        frame the target sent since the last barrier is told to the oracle first, where it
        went among them (:meth:`_background_between_steps`)."""
        if self.nic_holds_last_frame:
            self._background_between_steps()
        self.matcher.advance(self.now())

    def _background_between_steps(self) -> None:
        """The frames the target sent since the last barrier, read now and left for the next
        one (its timers' frames, judged there): a background frame among them (the VM's MLD
        report between its loss probe's FIN and its RTO) tells the oracle it went after the
        oracle's timers that sent a frame for each of the target's before it (earliest first),
        as the lockstep fires the oracle's timers at each target frame and tells it of a
        background one where it was recorded (Lockstep.background_frame); judge_step tells
        it of those that come later. Without one, nothing changes: the timers fire at once."""
        arrived = self.link.drain()
        if not any(map(is_background, arrived)):
            self.link.unread(arrived)
            return
        now = self.now()
        kept = []
        for frame in arrived:
            if is_background(frame):
                self.matcher.unpredicted_frame()
            else:
                self._timer_frame(now)
                kept.append(frame)
        self.link.unread(kept)

    def _timer_frame(self, now: float) -> None:
        """The oracle's timers due by ``now`` fire, earliest first, until one sends a frame
        (the target's copy of it came between two steps)."""
        timers = self.matcher.timers
        before, last = len(timers), None
        while len(timers) == before:
            due = self.oracle.poll_at()
            if due is None or due > now or due == last:
                return
            self.matcher.advance(due)
            last = due

    def clear_of_timer(self, ports: PortMap) -> None:
        """Wait, before a step on the case's connection, while the target may be firing its
        copy of the oracle's next timer on it (from TIMER_RACE_EARLY_S before the oracle's
        deadline to TIMER_RACE_LATE_S after it): a step
        (a socket call, a segment) that lands between the oracle's timer and the target's own
        copy of it meets a different state on each stack (e.g. close() before the RTO on one,
        after it on the other: the FIN sent, or held by the reduced congestion window), a
        divergence of the harness's timing, not of the stacks. Waiting past the deadline lets
        both fire it first; the oracle's then fires at the step (run_oracle_timers).

        The wait reads the link (kept pending for the step's barrier). Reading no longer
        changes what Linux sends: a frame left unread in a plain packet socket kept the
        target's copy of it referenced and Linux's RTO then retransmitted the data alone,
        without the FIN the loss probe sent last (tcp_retrans_try_collapse ->
        tcp_can_collapse: skb_cloned; stateful findings 032f2d063c78, 7448516a8e73,
        b902698dc101); the link's receive ring copies each frame as it arrives
        (conformance.fabric.packet_ring)."""
        key = (self.addrs.dut_ip, ports.dut, self.addrs.tester_ip, ports.actual)
        for _ in range(8):  # (a timer re-armed in the window again: wait once more)
            now = self.now()
            due = next((d for d in self._deadlines(self.oracle.tcp.conns.get(key))
                        if d - TIMER_RACE_EARLY_S <= now < d + TIMER_RACE_LATE_S), None)
            if due is None:
                return
            self.link.watch(due + TIMER_RACE_LATE_S - now)
            self.run_oracle_timers()

    def _deadlines(self, tcb: Tcb | None) -> list[float]:
        """The oracle's deadlines on a connection that a step keeps clear of: its next timer,
        and the end of its ACK rate limit (RFC 5961 7; Linux __tcp_oow_rate_limited counts
        tcp_invalid_ratelimit in jiffies from its own clock: a challenge step 497 ms after the
        last challenge ACK, by the DUT's timestamps, was answered where the oracle, 500 ms,
        held it back; stateful finding 7ba9159982c0)."""
        if tcb is None:
            return []
        found = (tcb.timers.earliest(), ack_throttle.limit_ends(self.oracle.profile, tcb))
        return [d for d in found if d is not None]

    def fresh_ident(self) -> int:
        """The next IP identification for a case's fragments (:class:`fuzz.seqspace.IdentMap`):
        65536 fragmented datagrams go by before one comes back."""
        self._ident = (self._ident + 1) & 0xFFFF
        return self._ident

    def next_port(self) -> int:
        self._port = self._port + 1 if self._port < LAST_TESTER_PORT else FIRST_TESTER_PORT
        return self._port

    # -- sockets on both stacks ----------------------------------------------------------
    def listen_both(self, port: int) -> tuple[int, int]:
        """A listening socket on ``port`` on the target (through its DUT API) and the oracle."""
        tfd, ofd = self.bound_socket_both(port)
        self.bed.dut.listen(tfd, 1024)
        self.oracle.listen(ofd, 1024)
        return tfd, ofd

    def bound_socket_both(self, port: int) -> tuple[int, int]:
        """A TCP socket bound to the DUT's address and ``port`` on the target and the oracle
        (an active open's local end: the same port on both, so their segments line up), in the
        session's family."""
        dut, family = self.bed.dut, self.family
        address = (family.dut_host(self.bed.endpoints), port)
        tfd = dut.socket(family.socket_family, socket.SOCK_STREAM)
        dut.setsockopt(tfd, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        dut.bind(tfd, address)
        ofd = self.oracle.socket(family.socket_family, socket.SOCK_STREAM).value
        self.oracle.bind(ofd, address)
        return tfd, ofd

    def drain_accept_queues(self, fds: tuple[int, int]) -> None:
        """Accept and close what completed handshakes left queued, on both stacks.

        A queued connection the case reset may fail its accept (lwIP 2.1.3 sockets.c
        lwip_accept: netconn_peer finds no pcb, ENOTCONN; ECONNABORTED elsewhere) and is
        consumed all the same: the drain goes on past it. Stopping there left lwIP's accept
        mailbox full after ~130 cases, and accept_function's failure then aborted every new
        connection with a RST (tcp_in.c tcp_process: TCP_EVENT_ACCEPT != ERR_OK)."""
        tfd, ofd = fds
        while True:
            value, err = self.bed.dut.accept_with_errno(tfd, 0.0)
            if err in ABORTED_IN_QUEUE:
                continue
            if err:
                break
            self.bed.dut.close_with_errno(value[0])
        while True:
            result = self.oracle.accept(ofd, self.now())
            if result.errno:
                break
            self.oracle.close(result.value[0], self.now())

    def reset_leftover(self, ports: PortMap) -> None:
        """RST (RFC 9293 3.10.7.4: SEG.SEQ = RCV.NXT is acceptable in every synchronized
        state) whatever connection the oracle still holds on the case's port, to both."""
        key = (self.addrs.dut_ip, ports.dut, self.addrs.tester_ip, ports.actual)
        tcb = self.oracle.tcp.conns.get(key)
        if tcb is None or tcb.state in SETTLED_STATES:
            return
        rst = self.factory.tcp(ports.actual, ports.dut, RST, tcb.rcv_nxt)
        self.send_both(rst, rst)

    # -- cases ---------------------------------------------------------------------------
    def run_case(self, state: str, canonical: tuple[bytes, ...]) -> CaseRecord:
        scenario = self.scenarios[state]
        record = CaseRecord(state, canonical)
        self.run_oracle_timers()
        ctx = scenario.open(self, self.next_port())
        record.setup_mismatches = ctx.setup_mismatches
        try:
            for frame in canonical:
                self.exchange(ctx, frame, record)
        finally:
            scenario.close(self, ctx)
        return record

    def judge_sent(self, state: str, frame: bytes, ports: PortMap) -> CaseRecord:
        """A frame another engine already sent to the target (boofuzz): the oracle gets the
        same octets, the target's answers are collected and compared, leftovers reset."""
        record = CaseRecord(state, (frame,), as_sent=True)
        ctx = CaseContext(CANONICAL_VIEW, ports)
        self._judge(ctx, frame, frame, self.oracle_receive(frame), record)
        self.reset_leftover(ports)
        return record

    def resend(self, state: str, frame: bytes) -> CaseRecord:
        """A frame judged as sent (:meth:`judge_sent`), sent to the target again as it is and
        judged again (a replay)."""
        self.link.send(frame)
        return self.judge_sent(state, frame, frame_ports(frame))

    def exchange(self, ctx: CaseContext, frame: bytes, record: CaseRecord) -> None:
        """One canonical frame to both stacks, each in its own space; answers compared."""
        target_frame, oracle_frame = pad(ctx.to_target(frame)), pad(ctx.to_oracle(frame))
        reaction = self.send_both(target_frame, oracle_frame)
        self._judge(ctx, target_frame, oracle_frame, reaction, record)

    def call_both(self, ctx: CaseContext, name: str, target_call: Callable[[], Any],
                  oracle_call: Callable[[float], CallResult], record: CaseRecord) -> Any:
        """The same socket call on both stacks: results (value, errno) compared, then the
        frames each emitted. Returns the target's result.

        The oracle acts at the time the target was asked, not when it answered: a stall of
        the harness between the two (a loaded machine) would otherwise start the oracle's
        timers late, and the target's loss probe or RTO would come before the oracle's window
        for it (the judge allows a timer frame TIMER_EARLY_S early but TIMER_LATE_S late;
        stateful finding abc597722c51: the FIN's loss probe ahead of the oracle's)."""
        now = self.now()
        value, err = target_call()
        result = oracle_call(now)
        found = compare_call(name, (value, err), result)
        record.calls.append(f"{name}: target {(value, err)!r}, oracle "
                            f"{(result.value, result.errno)!r}")
        answers = self._answers(ctx, record)
        record.call_answers.append(answers.frames)
        found += self.judge_step(ctx, result.reaction, answers.frames, answers.unpredicted)
        self._record(record, found)
        return value, err

    @staticmethod
    def _record(record: CaseRecord, found: list[Divergence]) -> bool:
        """Keep a step's mismatches; the first step that has any is what the case is about."""
        record.mismatches.extend(found)
        if found and not record.first_mismatches:
            record.first_mismatches = list(found)
            return True
        return False

    def _answers(self, ctx: CaseContext, record: CaseRecord) -> Answers:
        """The target's frames up to the barrier that belong to the case (and where the
        frames the oracle never predicts went: :class:`Answers`)."""
        return self.answers(lambda f: belongs_to_case(f, ctx.ports.actual, record.sent))

    def _judge(self, ctx: CaseContext, target_frame: bytes, oracle_frame: bytes,
               reaction: Reaction, record: CaseRecord) -> None:
        """Collect the target's answers to a frame and compare them with the oracle's."""
        record.sent.append(target_frame)
        answers = self._answers(ctx, record)
        record.oracle_in.append(oracle_frame)
        record.responses.append(answers.frames)
        record.reactions.append(reaction)
        if self._record(record, self.judge_step(ctx, reaction, answers.frames,
                                                answers.unpredicted)):
            record.diverging_frame = len(record.sent) - 1

    def judge_step(self, ctx: CaseContext, reaction: Reaction, answers: list[bytes],
                   unpredicted: Sequence[int] = ()) -> list[Divergence]:
        """One step of a case through the judge: the oracle's predictions (in the target's
        sequence space) against the target's answers up to the barrier; the oracle is told
        of the frames it never predicts where the NIC sent them among those (``unpredicted``:
        :class:`Answers`), as the suites' lockstep tells it (Lockstep.background_frame), so
        an oracle whose NIC holds its last frame (profile nic_holds_last_frame: Linux
        virtio_net without TX NAPI, start_xmit -> free_old_xmit_skbs) forgets it as the
        target's NIC did."""
        matcher = self.matcher
        matcher.translate = ctx.to_target_prediction
        matcher.bindings = ctx.bindings
        now = self.now()
        matcher.expect(reaction, now)
        found: list[Divergence] = []
        for frame in in_nic_order(answers, unpredicted):
            if frame is None:
                matcher.unpredicted_frame()
            else:
                found += matcher.observe(frame, now)
        found += matcher.close_step()
        matcher.settle(now)
        ctx.learn(answers, reaction.frames)
        return found
