"""The barrier probes (conformance/author/barriers.py) against the reference stack with the
linux profile: each probe's answer is predicted by the oracle, and each predicate recognises
that answer and only it, so a fallback probe is judged by the lockstep like any frame."""

import pytest

from conformance.author import barriers
from conformance.author.templates import link_defaults
from conformance.fabric.link import LinkTimeout
from conformance.fabric.naming import WorkerPlan
from conformance.judge.oracle import build_oracle
from conformance.targets.namespaced import endpoints_of
from reference_stack.profiles import LINUX

PLAN = WorkerPlan("beef", 1)
DEFAULTS = link_defaults(endpoints_of(PLAN))


@pytest.mark.parametrize("kind", barriers.KINDS)
def test_each_probe_is_answered_by_the_oracle_and_recognised(kind):
    stack = build_oracle(LINUX, PLAN)
    probe = barriers.probe(kind, DEFAULTS, 7)
    reaction = stack.receive(probe.probe, 0.0)
    assert len(reaction.frames) == 1 and reaction.predictions  # predicted, so compared
    assert probe.is_reply(reaction.frames[0])
    other = barriers.probe(kind, DEFAULTS, 8)
    assert not other.is_reply(reaction.frames[0])  # another probe's answer is not this one's
    for different in set(barriers.KINDS) - {kind}:
        assert not barriers.probe(different, DEFAULTS, 7).is_reply(reaction.frames[0])


class SilentForEcho:
    """A link whose target answers every probe but the ICMP echo (icmp_echo_ignore_all)."""

    def __init__(self, answers=("udp", "tcp")):
        self.answers = answers
        self.tried = []

    def barrier(self, probe, timeout):
        kind = next(k for k in barriers.KINDS
                    if barriers.probe(k, DEFAULTS, len(self.tried) + 1).probe == probe.probe)
        self.tried.append(kind)
        if kind not in self.answers:
            raise LinkTimeout("unanswered")
        return []


def test_choose_takes_the_first_probe_answered_and_says_so():
    link = SilentForEcho()
    assert barriers.choose(link, DEFAULTS) == "udp" and link.tried == ["echo", "udp"]
    assert "UDP datagram to a closed port" in barriers.fallback_note("udp")
    assert barriers.fallback_note("echo") is None


def test_no_probe_answered_means_quiescence():
    link = SilentForEcho(answers=())
    assert barriers.choose(link, DEFAULTS) is None and link.tried == list(barriers.KINDS)
    assert "quiescence" in barriers.fallback_note(None)


@pytest.mark.parametrize("kind", barriers.KINDS)
def test_a_probe_ring_sends_its_probes_in_turn_each_recognising_only_its_answer(kind):
    stack = build_oracle(LINUX, PLAN)
    ring = barriers.ProbeRing(kind, DEFAULTS, size=3)
    sent = [ring.next() for _ in range(4)]
    assert [b.probe for b in sent[3:]] == [sent[0].probe]  # around again after three
    assert len({b.probe for b in sent}) == 3
    answers = [stack.receive(b.probe, 0.0).frames[0] for b in sent[:3]]
    for i, barrier in enumerate(sent[:3]):
        assert [barrier.is_reply(a) for a in answers] == [j == i for j in range(3)]
