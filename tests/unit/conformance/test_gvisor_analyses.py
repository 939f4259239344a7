"""conformance/targets/gvisor_analyses.py: the analysis of stateful finding c1c12591f476 (an
earlier frame acknowledged data the DUT never sent and was answered)."""

from __future__ import annotations

from conformance.judge.store import Context
from conformance.targets.gvisor_analyses import earlier_ack_of_unsent_data_answered
from fuzz.seqspace import CANONICAL_DUT_ISN
from fuzz.session import CANONICAL_CONSTANTS
from reference_stack.profiles import GVISOR
from reference_stack.wire.tcp import ACK, FIN
from tests.unit.refstack.harness import RawPeer, make_stack

PEER = RawPeer(make_stack(GVISOR))
STEPS = ({"call": "send", "data": "a1edc53a"}, {"call": "shutdown"})


def _ctx(ack_offset: int, answered: bool, steps=STEPS) -> Context:
    frame = PEER.tcp(1025, 81, FIN | ACK, seq=0x100FFFF, ack=CANONICAL_DUT_ISN + ack_offset)
    return Context("RFC5961-7-SHOULD-ack-rate-limit", "passive-open+calls", "unexpected:tcp:.",
                   earlier=((frame, (b"answer",) if answered else ()),),
                   constants=CANONICAL_CONSTANTS, steps=steps)


def test_an_answered_ack_beyond_all_the_dut_sent() -> None:
    # SYN, four octets, a FIN: at most ISN + 6 can be acknowledged
    assert earlier_ack_of_unsent_data_answered(_ctx(0xB2, answered=True))
    assert earlier_ack_of_unsent_data_answered(_ctx(7, answered=True))


def test_not_when_the_ack_may_cover_what_was_sent_or_drew_nothing() -> None:
    assert not earlier_ack_of_unsent_data_answered(_ctx(6, answered=True))
    assert not earlier_ack_of_unsent_data_answered(_ctx(0xB2, answered=False))
    assert not earlier_ack_of_unsent_data_answered(_ctx(0xB2, answered=True, steps=()))
