"""The comparison of a response with the oracle's predictions, and the frames of timers: a
frame the oracle's timer sent about now is timer-driven, wherever it lands in the response;
anything else the oracle did not predict stays a divergence."""

from fuzz.compare import compare
from fuzz.frames import FrameFactory
from fuzz.strategies import LinkAddresses
from reference_stack.variance import Prediction
from reference_stack.wire.tcp import ACK, FIN

DUT_SIDE = FrameFactory(LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                                "198.18.0.2", "198.18.0.1"))
ACK_FRAME = DUT_SIDE.tcp(80, 1024, ACK, 1000, 5000)
FIN_AGAIN = DUT_SIDE.tcp(80, 1024, FIN | ACK, 999, 5000)
OTHER_FIN = DUT_SIDE.tcp(80, 1024, FIN | ACK, 700, 5000)


def predicted(frame: bytes) -> Prediction:
    return Prediction(frame, "RULE", {})


def kinds(mismatches) -> list[str]:
    return [m.kind for m in mismatches]


def test_a_timer_frame_before_or_after_the_answer_is_allowed():
    for response in ([FIN_AGAIN, ACK_FRAME], [ACK_FRAME, FIN_AGAIN]):
        assert compare((predicted(ACK_FRAME),), response, {}, "RULE",
                       lambda: (predicted(FIN_AGAIN),)) == []


def test_without_timer_frames_the_same_response_diverges():
    assert "unexpected" in kinds(compare((predicted(ACK_FRAME),), [ACK_FRAME, FIN_AGAIN], {},
                                         "RULE"))
    assert "unexpected" in kinds(compare((predicted(ACK_FRAME),), [ACK_FRAME, FIN_AGAIN], {},
                                         "RULE", lambda: ()))


def test_a_frame_no_timer_sent_still_diverges():
    found = compare((predicted(ACK_FRAME),), [ACK_FRAME, OTHER_FIN], {}, "RULE",
                    lambda: (predicted(FIN_AGAIN),))
    assert kinds(found) == ["unexpected"]


def test_timer_frames_are_asked_only_when_the_response_diverges():
    asked = []
    compare((predicted(ACK_FRAME),), [ACK_FRAME], {}, "RULE", lambda: asked.append(1) or ())
    assert asked == []
