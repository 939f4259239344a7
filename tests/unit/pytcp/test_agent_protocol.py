"""The agent line protocol without a stack: the value codec, pytcp's errors as errno values,
and the agent's request dispatch (on a stand-in for the pytcp calls)."""

import errno
import io
import json

import pytest

from conformance.dut.agent_codec import decode, encode
from conformance.targets.pytcp_agent import CallError, errno_of, handle, serve


@pytest.mark.parametrize("value", [
    None, 0, 7, b"", b"\x00\xffdata", ("198.18.0.1", 8080), (5, ("198.18.0.2", 41000)),
    (b"payload", ("198.18.0.2", 40001)),
])
def test_codec_round_trips_dut_api_values(value):
    assert decode(json.loads(json.dumps(encode(value)))) == value


def test_bytes_are_not_confused_with_lists():
    assert encode(b"ab") == {"b64": "YWI="}
    assert decode([1, [2, 3]]) == (1, (2, 3))


@pytest.mark.parametrize("exc, code", [
    (OSError("[Errno 98] Address already in use - [Local address already in use]"),
     errno.EADDRINUSE),
    (ConnectionRefusedError("[Errno 111] Connection refused - [RST]"), errno.ECONNREFUSED),
    (BrokenPipeError("Broken pipe, no number"), errno.EPIPE),
    (TimeoutError("no number either"), errno.ETIMEDOUT),
    (OSError("[Errno -2] Name or service not known"), errno.EINVAL),
    (OverflowError("bind(): port must be 0-65535."), errno.EINVAL),
    (OSError(errno.EBADF, "with a real errno"), errno.EBADF),
    (AttributeError("'NoneType' object has no attribute 'close'"), errno.EIO),
])
def test_pytcp_exceptions_map_to_errno(exc, code):
    assert errno_of(exc) == code


class FakeCalls:
    def echo(self, data, addr):
        return data, addr

    def refuse(self):
        raise CallError(errno.EAGAIN)

    def explode(self):
        raise KeyError("pytcp internals")

    def _private(self):  # pragma: no cover - must never be reachable
        raise AssertionError("private method called")


def test_handle_returns_value_or_errno_with_the_request_id():
    ok = handle(FakeCalls(), {"id": 1, "call": "echo",
                              "args": encode([b"x", ("198.18.0.2", 5)])})
    assert ok == {"id": 1, "value": encode((b"x", ("198.18.0.2", 5))), "errno": 0}
    refused = handle(FakeCalls(), {"id": 2, "call": "refuse", "args": []})
    assert (refused["id"], refused["errno"], refused["value"]) == (2, errno.EAGAIN, None)
    failed = handle(FakeCalls(), {"id": 3, "call": "explode", "args": []})
    assert failed["errno"] == errno.EIO and "KeyError" in failed["detail"]


@pytest.mark.parametrize("call", ["_private", "nonexistent", None])
def test_handle_refuses_unknown_and_private_calls(call):
    assert handle(FakeCalls(), {"id": 4, "call": call})["errno"] == errno.ENOSYS


def test_serve_answers_each_line_even_garbage():
    inp = io.BytesIO(b'{"id": 1, "call": "refuse", "args": []}\nnot json\n')
    out = io.BytesIO()
    serve(FakeCalls(), inp, out)
    replies = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["errno"] for r in replies] == [errno.EAGAIN, errno.ENOSYS]
    assert replies[1]["id"] is None
