"""Decision records are cheap to take and read the same as eager ones (trace.py)."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from reference_stack.stack import Reaction
from reference_stack.trace import Decision, Trace
from tests.unit.refstack.harness import connected_pair


def test_lazy_details_read_as_formatted_text() -> None:
    tr = Trace()
    tr.add("tcp", "drop", "R1", "plain")
    tr.note("socket", "deliver", "R2", "{} bytes, RCV.NXT {} -> {}", 3, 10, 13)
    tr.note("tcp", "reply", "R3", lambda a, b: f"{a}+{b}", 1, 2)
    assert tr.freeze() == (Decision("tcp", "drop", "R1", "plain"),
                           Decision("socket", "deliver", "R2", "3 bytes, RCV.NXT 10 -> 13"),
                           Decision("tcp", "reply", "R3", "1+2"))
    d = tr.freeze()[1]
    assert str(d) == "socket: deliver [R2] (3 bytes, RCV.NXT 10 -> 13)"
    assert json.loads(json.dumps(d.to_dict()))["detail"] == "3 bytes, RCV.NXT 10 -> 13"
    assert hash(d) == hash(Decision("socket", "deliver", "R2", "3 bytes, RCV.NXT 10 -> 13"))
    assert repr(d) == ("Decision(layer='socket', action='deliver', rule='R2', "
                       "detail='3 bytes, RCV.NXT 10 -> 13')")
    with pytest.raises(AttributeError):
        d.detail = "x"  # type: ignore[misc]


def test_reaction_builds_its_decisions_when_read() -> None:
    link, a, _, b = connected_pair()
    r = link.a.send(a, b"x" * 10, link.now).reaction
    assert isinstance(r, Reaction) and r.rules() == ["RFC9293-3.10.2-MUST-send-data"]
    assert r.trace is r.trace  # built once
    assert r == Reaction(r.frames, r.predictions, r.trace)
    assert r.to_dict()["trace"][0]["detail"].startswith("[P.] seq=")
    with pytest.raises(AttributeError):
        r.frames = ()  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(r)) == r
    assert copy.deepcopy(r.trace) == r.trace
