"""The agents' JSON lines (conformance/dut/agent_codec.loads, dumps: the standard library's C
codec without the json package) read and write what json does."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.dut.agent_codec import dumps, encode, loads

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_dumps_writes_what_json_dumps_writes(value):
    assert dumps(value) == json.dumps(value)


@given(json_values)
def test_loads_reads_json_dumps_and_itself(value):
    assert loads(json.dumps(value).encode() + b"\n") == value
    assert loads(dumps(value)) == json.loads(dumps(value))


def test_a_request_line_round_trips():
    line = dumps({"id": 7, "call": "send", "args": encode((3, b"\x00\xffdata", 0))}) + "\n"
    assert loads(line.encode()) == {"id": 7, "call": "send",
                                    "args": [3, {"b64": "AP9kYXRh"}, 0]}
    assert math.isnan(loads(b"NaN")) and loads(b" [Infinity] ") == [math.inf]


@pytest.mark.parametrize("line", [b"", b"{", b"[1,]", b"{} {}", b"\xff", b"nope", b"'x'"])
def test_what_json_refuses_is_refused(line):
    with pytest.raises(ValueError):
        json.loads(line)
    with pytest.raises(ValueError):
        loads(line)


def test_what_json_cannot_write_is_refused():
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"value": object()})
