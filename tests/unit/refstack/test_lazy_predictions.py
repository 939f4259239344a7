"""Predictions built lazily equal those built eagerly.

The common TCP segments are written from a per-connection template and their prediction's
variance is built only when read (tcp/segment_template.py, `Sender.emit`,
`variance.Prediction.lazy`). Two identical stacks get the same random sequences of segments
and calls (the fast path equivalence test's plans); in one every segment is built as a
TcpRepr, its variance computed from the live TCB at once and every prediction's variance
read as it is emitted (the eager construction). Frames, decision records, socket results
and state must be identical after every step, and the predictions, read only after the
whole run (the TCBs long moved on), too.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_stack.profiles import LINUX, RFC
from reference_stack.socket_api import AF_INET, SOCK_STREAM, TCP_NODELAY
from reference_stack.stack import Reaction
from reference_stack.tcp.output import Sender
from reference_stack.tcp.seq import seq_add
from reference_stack.tcp.variance import segment_variance
from reference_stack.variance import AnyValue, Prediction, Relation
from reference_stack.wire.tcp import ACK, SYN, TcpRepr
from tests.unit.refstack.harness import connected_pair
from tests.unit.refstack.test_fast_path_equivalence import (
    PEER_ISS,
    PEER_PORT,
    PORT,
    Pair,
    RawPeer,
    run_step,
    stack,
    steps,
    syn_options,
)


class EagerSender(Sender):
    """Sender whose common segments carry the variance `segment_variance` computes from the
    live TCB at once (as Sender.emit does for any other segment), in place of the recipe
    Sender.emit defers to the first read (_template_variance, from the segment template)."""

    __slots__ = ()

    def emit(self, tcb, flags, seq, now, rule, payload=b"", extra_variance=None):
        before = len(self.out)
        super().emit(tcb, flags, seq, now, rule, payload, extra_variance)
        if len(self.out) == before:
            return
        src, dst, seg, rule_id, variance, wire, df = self.out[-1]
        if isinstance(variance, tuple):  # a common segment: its variance deferred
            eager_variance = segment_variance(self.profile, tcb, TcpRepr.parse(wire))
            if extra_variance:
                eager_variance.update(extra_variance)
            self.out[-1] = (src, dst, seg, rule_id, eager_variance, wire, df)


class EagerOutput(list):
    """The stack's frame output, reading every prediction's variance as it is emitted."""

    def append(self, item) -> None:
        assert isinstance(item[1].variance, dict)
        super().append(item)


def eager(s):
    s.tcp.sender.__class__ = EagerSender
    s.out = s.api.out = EagerOutput()
    return s


@dataclass
class LatePair(Pair):
    """The fast path equivalence Pair, with `slow` eager and predictions compared last."""

    reactions: list = field(default_factory=list)

    def both(self, method: str, *args):
        a = getattr(self.fast, method)(*args)
        b = getattr(self.slow, method)(*args)
        ra = a if isinstance(a, Reaction) else a.reaction
        rb = b if isinstance(b, Reaction) else b.reaction
        assert ra.frames == rb.frames, method
        assert [d.to_dict() for d in ra.trace] == [d.to_dict() for d in rb.trace], method
        if not isinstance(a, Reaction):
            assert (a.value, a.errno) == (b.value, b.errno), method
        self.reactions.append((ra, rb))
        self.check_state()
        self.learn(ra)
        return a

    def check_predictions(self) -> None:
        for ra, rb in self.reactions:
            # repr: the same entries in the same order, not only an equal dict.
            assert [(p.frame, p.rule, repr(p.variance)) for p in ra.predictions] == \
                [(p.frame, p.rule, repr(p.variance)) for p in rb.predictions]
            assert ra.predictions == rb.predictions


def open_pair(ts_ok, wscale, sack, profile) -> LatePair:
    lazy_stack, eager_stack = stack(profile, True), eager(stack(profile, True))
    pair = LatePair(lazy_stack, eager_stack, RawPeer(lazy_stack), ts_ok=ts_ok)
    # The handshake of the fast path equivalence test's open_pair.
    lfd = pair.both("socket", AF_INET, SOCK_STREAM).value
    pair.both("bind", lfd, ("0.0.0.0", PORT))
    pair.both("listen", lfd, 8)
    opts = syn_options(wscale=wscale, ts=(pair.tsval, 0) if pair.ts_ok else None, sack=sack)
    frame = pair.peer.tcp(PEER_PORT, PORT, SYN, seq=PEER_ISS, window=pair.window, options=opts)
    pair.both("receive", frame, 0.0)
    tcb = next(iter(pair.fast.tcp.conns.values()))
    pair.stack_una = seq_add(tcb.iss, 1)
    pair.segment(ACK, pair.seq, pair.stack_una, b"", pair.window,
                 pair.tsval if pair.ts_ok else None, False)
    assert pair.both("accept", lfd).value[0] == 4
    return pair


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans(), st.sampled_from((None, 0, 7)), st.booleans(), st.sampled_from((LINUX, RFC)),
       steps)
def test_lazy_predictions_equal_eager_ones(ts_ok, wscale, sack, profile, plan) -> None:
    pair = open_pair(ts_ok, wscale, sack, profile)
    for step in plan:
        run_step(pair, 4, step)
    pair.check_predictions()


def test_variance_fixed_at_emission_survives_renumbering() -> None:
    """rebase_isn / rebase_port (following the target's choices) renumber the TCB after the
    frame went out: the prediction read afterwards still holds the numbers of its time."""
    link, a, _, _ = connected_pair(LINUX)
    link.a.setsockopt(a, 6, TCP_NODELAY, 1)
    tcb = next(iter(link.a.tcp.conns.values()))
    sent = link.a.send(a, b"x" * 100, link.now)
    offset = (tcb.snd_nxt - 100 - tcb.iss) & 0xFFFFFFFF
    assert link.a.tcp.rebase_isn(tcb.isn_name, (tcb.iss + 12345) & 0xFFFFFFFF)
    (p,) = sent.reaction.predictions
    assert p.variance["tcp.seq"] == Relation(tcb.isn_name, offset)
    # The next segment is written from a fresh template, with the new numbers.
    sent = link.a.send(a, b"y", link.now)
    (p,) = sent.reaction.predictions
    assert p.variance["tcp.seq"] == Relation(tcb.isn_name, offset + 100)


def test_lazy_prediction_is_a_value() -> None:
    built = []

    def make(x):
        built.append(x)
        return {"ipv4.ident": AnyValue(), "n": x}

    lazy = Prediction.lazy(b"f", "r", make, 1)
    assert not built
    eager_one = Prediction(b"f", "r", {"ipv4.ident": AnyValue(), "n": 1})
    assert lazy == eager_one and built == [1]
    assert lazy.variance is lazy.variance and built == [1]
    assert repr(lazy) == repr(eager_one)
    assert pickle.loads(pickle.dumps(Prediction.lazy(b"f", "r", make, 1))) == eager_one
    assert copy.deepcopy(Prediction.lazy(b"f", "r", make, 1)) == eager_one
    assert Prediction(b"f", "r").variance == {}
    with pytest.raises(AttributeError):
        lazy.rule = "x"  # type: ignore[misc]
