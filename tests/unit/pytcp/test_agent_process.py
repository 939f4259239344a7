"""AgentProcess and AgentDutApi against tiny stand-in agents (plain Python child processes):
replies are decoded, and an agent that dies, hangs or babbles fails the call clearly."""

import errno
import sys
import time

import pytest

from conformance.dut.agent import REPLY_MARGIN_S, AgentDutApi, AgentFailure, AgentProcess

ECHO_AGENT = r"""
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    if req["call"] == "recv":
        value = {"b64": "aGk="}
    else:
        value = None
    print(json.dumps({"id": req["id"], "value": value, "errno": 0 if value else 11}),
          flush=True)
"""
DYING_AGENT = ("import sys; sys.stdin.readline(); sys.stderr.write('boom: bad frame\\n'); "
               "sys.exit(3)")
SILENT_AGENT = "import sys, time; sys.stdin.readline(); time.sleep(60)"
BABBLING_AGENT = "import sys; sys.stdin.readline(); print('hello there', flush=True)"


def agent(code: str) -> AgentProcess:
    return AgentProcess([sys.executable, "-c", code], label="test agent")


def test_calls_are_forwarded_and_values_decoded():
    proc = agent(ECHO_AGENT)
    try:
        api = AgentDutApi(proc)
        assert api.recv(3, 100) == b"hi"
        assert api.bind_with_errno(3, ("198.18.0.1", 80)) == (None, errno.EAGAIN)
    finally:
        proc.kill()
    assert proc.exit_status() is not None


def test_an_agent_that_dies_fails_the_call_with_its_status_and_stderr():
    proc = agent(DYING_AGENT)
    try:
        with pytest.raises(AgentFailure, match=r"(?s)test agent closed its output.*status 3"
                                               r".*boom: bad frame"):
            AgentDutApi(proc).socket(2, 1)
        with pytest.raises(AgentFailure, match="unusable"):
            AgentDutApi(proc).socket(2, 1)
    finally:
        proc.kill()


def test_an_agent_that_hangs_fails_the_call_after_the_margin():
    proc = agent(SILENT_AGENT)
    try:
        t0 = time.monotonic()
        with pytest.raises(AgentFailure, match=r"did not answer within .* still running"):
            AgentDutApi(proc).poll_with_errno(3, 1, 0.5)
        assert 0.5 + REPLY_MARGIN_S - 0.5 < time.monotonic() - t0 < 0.5 + REPLY_MARGIN_S + 3
    finally:
        proc.kill()
    assert proc.exit_status() == -9


def test_an_agent_that_breaks_the_protocol_fails_the_call():
    proc = agent(BABBLING_AGENT)
    try:
        with pytest.raises(AgentFailure, match="not JSON"):
            AgentDutApi(proc).listen(3)
    finally:
        proc.kill()
