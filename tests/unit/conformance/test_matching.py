"""The judge's one matching rule (conformance.judge.matching): a frame a prediction allows is
consumed, a divergent frame on a predicted flow is a field divergence, anything else is
unexpected; at a step's end what was predicted and not sent is missing; a frame the oracle's
timer sent about now is timer-driven, wherever it lands in the response, within one window."""

from conformance.judge.divergence import response_class
from conformance.judge.matching import TIMER_EARLY_S, TIMER_LATE_S, Matcher
from fuzz.frames import FrameFactory
from fuzz.strategies import LinkAddresses
from reference_stack.stack import Reaction
from reference_stack.variance import Prediction
from reference_stack.wire.tcp import ACK, FIN, RST

DUT_SIDE = FrameFactory(LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                                "198.18.0.2", "198.18.0.1"))
ACK_FRAME = DUT_SIDE.tcp(80, 1024, ACK, 1000, 5000)
FIN_AGAIN = DUT_SIDE.tcp(80, 1024, FIN | ACK, 999, 5000)
OTHER_FIN = DUT_SIDE.tcp(80, 1024, FIN | ACK, 700, 5000)
RST_FRAME = DUT_SIDE.tcp(80, 1024, RST, 1000)
OTHER_FLOW = DUT_SIDE.tcp(80, 1025, ACK, 1000, 5000)


def reaction(*frames: bytes) -> Reaction:
    return Reaction(predictions=tuple(Prediction(f, "RULE", {}) for f in frames))


class FakeTimers:
    """An oracle whose one timer, due at `due`, sends `frames`."""

    def __init__(self, due: float | None, *frames: bytes) -> None:
        self.due, self.frames = due, frames
        self.others = 0  # frames the target sent that it was told it did not predict

    def other_frame_sent(self) -> None:
        self.others += 1

    def poll_at(self) -> float | None:
        return self.due

    def poll(self, now: float) -> Reaction:
        self.due = None
        return reaction(*self.frames)


def step(matcher: Matcher, predicted: tuple[bytes, ...], answers: list[bytes], t: float = 1.0):
    matcher.expect(reaction(*predicted), t)
    found = [d for a in answers for d in matcher.observe(a, t)]
    return found + matcher.close_step()


def test_a_timer_frame_before_or_after_the_answer_is_allowed():
    for response in ([FIN_AGAIN, ACK_FRAME], [ACK_FRAME, FIN_AGAIN]):
        matcher = Matcher(FakeTimers(1.0, FIN_AGAIN), complete=False)
        assert step(matcher, (ACK_FRAME,), response) == []


def test_without_timer_frames_the_same_response_diverges():
    oracle = FakeTimers(None)
    found = step(Matcher(oracle), (ACK_FRAME,), [ACK_FRAME, FIN_AGAIN])
    assert [d.kind for d in found] == ["unexpected"]
    assert response_class(found) == "unexpected:tcp:F."
    assert oracle.others == 1  # told of the FIN it did not predict, not of the ACK it did


def test_only_a_frame_no_prediction_answers_is_an_other_frame_for_the_oracle():
    # matched, a field divergence (both predicted: counted where the oracle sent them), then
    # an unexpected frame and one the caller never judges (Matcher.unpredicted_frame)
    oracle = FakeTimers(None)
    matcher = Matcher(oracle)
    step(matcher, (ACK_FRAME,), [ACK_FRAME])
    step(matcher, (ACK_FRAME,), [RST_FRAME])
    assert oracle.others == 0
    step(matcher, (), [OTHER_FLOW])
    matcher.unpredicted_frame()
    assert oracle.others == 2


def test_a_timer_frame_is_allowed_only_within_its_window():
    early = Matcher(FakeTimers(1.0 + 2 * TIMER_EARLY_S, FIN_AGAIN), complete=False)
    assert [d.kind for d in step(early, (ACK_FRAME,), [ACK_FRAME, FIN_AGAIN])] == ["unexpected"]
    late = Matcher(FakeTimers(1.0, FIN_AGAIN), complete=False)
    late.advance(1.0)
    assert step(late, (), [FIN_AGAIN], 1.0 + TIMER_LATE_S / 2) == []
    late = Matcher(FakeTimers(1.0, FIN_AGAIN), complete=False)
    late.advance(1.0)
    late.advance(1.0 + 2 * TIMER_LATE_S)
    late.settle(1.0 + 2 * TIMER_LATE_S)  # a barrier saw nothing: expired, silently (partial)
    assert [d.kind for d in step(late, (), [FIN_AGAIN], 1.0 + 2 * TIMER_LATE_S)] == ["unexpected"]


def test_an_unmet_timer_prediction_is_missing_only_when_the_matcher_sees_everything():
    for complete, kinds in ((True, ["missing"]), (False, [])):
        matcher = Matcher(FakeTimers(1.0, FIN_AGAIN), complete=complete)
        matcher.advance(1.0)
        assert matcher.advance(1.0 + 2 * TIMER_LATE_S) == []
        assert [d.kind for d in matcher.finish(1.0 + 2 * TIMER_LATE_S)] == kinds


def test_a_complete_matcher_waits_for_a_late_timer_frame_to_the_end():
    matcher = Matcher(FakeTimers(1.0, FIN_AGAIN), complete=True)
    matcher.advance(1.0)
    matcher.advance(1.0 + 3 * TIMER_LATE_S)
    assert matcher.observe(FIN_AGAIN, 1.0 + 3 * TIMER_LATE_S) == []
    assert matcher.finish(5.0) == []


def test_a_frame_no_timer_sent_still_diverges():
    matcher = Matcher(FakeTimers(1.0, FIN_AGAIN), complete=False)
    found = step(matcher, (ACK_FRAME,), [ACK_FRAME, OTHER_FIN])
    # judged against the timer's FIN (the only prediction left on that flow): another SEQ
    assert [(d.kind, d.field) for d in found] == [("field", "tcp.seq")]


def test_a_divergent_answer_on_the_predicted_flow_is_a_field_divergence():
    found = step(Matcher(), (ACK_FRAME,), [RST_FRAME])
    assert found and {d.kind for d in found} == {"field"}
    assert "tcp.flags" in {d.field for d in found}


def test_nothing_sent_for_a_prediction_is_missing_and_a_frame_on_another_flow_unexpected():
    found = step(Matcher(), (ACK_FRAME,), [OTHER_FLOW])
    assert sorted(d.kind for d in found) == ["missing", "unexpected"]
    assert response_class(found) == "missing:tcp:.,unexpected:tcp:."


def test_divergences_are_json_safe_and_round_trip():
    import json

    from conformance.judge.divergence import Divergence

    for d in step(Matcher(), (ACK_FRAME,), [RST_FRAME, OTHER_FLOW]):
        assert Divergence.from_dict(json.loads(json.dumps(d.to_dict()))) == d


def test_a_delayable_answer_may_come_after_the_barrier_but_not_late():
    delayable = Reaction(predictions=(Prediction(ACK_FRAME, "RULE", {
        "timing.delay_ms": object()}),))
    for lateness, divergences in ((0.04, []), (0.04 + 2 * TIMER_LATE_S, ["unexpected"])):
        matcher = Matcher(FakeTimers(None), complete=False)
        matcher.expect(delayable, 1.0)
        assert matcher.close_step() == []  # not missing at the barrier
        matcher.advance(1.0 + lateness)
        matcher.settle(1.0 + lateness)  # a barrier then that saw nothing
        matcher.expect(reaction(), 1.0 + lateness)
        found = matcher.observe(ACK_FRAME, 1.0 + lateness) + matcher.close_step()
        assert [d.kind for d in found] == divergences


def test_a_timer_frame_read_at_a_late_barrier_is_allowed():
    # The fuzzers read the target's frames only at a step's barrier: a timer frame sent on
    # time between two steps is observed when the next step comes, however late that is;
    # the prediction waits for a barrier TIMER_LATE_S after its deadline (settle)
    matcher = Matcher(FakeTimers(1.0, FIN_AGAIN), complete=False)
    matcher.settle(0.9)  # the step before the deadline
    later = 1.0 + 3 * TIMER_LATE_S
    matcher.advance(later)  # the next step starts long after the deadline
    assert step(matcher, (), [FIN_AGAIN], later) == []
