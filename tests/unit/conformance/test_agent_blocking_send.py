"""A blocking send through a DUT agent (issue 12 item 3; suites/tcp/test_send_buffer.py on
the pytcp, lwip and gvisor targets): the agent API forwards the send's timeout and waits for
the reply that long; lwIP's agent writes what fits, then waits for its POLLOUT; pytcp's
agent takes MSG_DONTWAIT (its send never waits) and still refuses other flags by name."""

import ctypes
import errno
import socket

import pytest

from conformance.dut.agent import REPLY_MARGIN_S, AgentDutApi
from conformance.dut.agent_server import CallError
from conformance.targets import lwip_agent, pytcp_agent


class RecordingAgent:
    def __init__(self):
        self.requests = []

    def request(self, call, args, timeout):
        self.requests.append((call, args, timeout))
        return {"id": 1, "value": len(args[1]), "errno": 0}


def test_agent_api_forwards_a_blocking_send_and_waits_its_timeout():
    agent = RecordingAgent()
    api = AgentDutApi(agent)
    assert api.send_with_errno(4, b"abc", 0, 2.5) == (3, 0)
    assert api.send_with_errno(4, b"de", socket.MSG_DONTWAIT) == (2, 0)
    assert agent.requests == [("send", [4, b"abc", 0, 2.5], 2.5 + REPLY_MARGIN_S),
                              ("send", [4, b"de", socket.MSG_DONTWAIT], REPLY_MARGIN_S)]


class FakeLwip:
    """lwip_send takes at most `room` octets per call (EAGAIN when none); lwip_poll says
    POLLOUT while `writable` has entries left, each poll taking one (room it frees)."""

    def __init__(self, room, frees):
        self.room = room
        self.frees = list(frees)
        self.sent = []

    def lwip_send(self, fd, data, n, flags):
        assert flags & socket.MSG_DONTWAIT
        take = min(n, self.room)
        if not take:
            ctypes.set_errno(errno.EAGAIN)
            return -1
        self.room -= take
        self.sent.append(take)
        return take

    def lwip_poll(self, pfd, nfds, timeout_ms):
        if self.room or not self.frees:
            pfd._obj.revents = lwip_agent.POLLOUT if self.room else 0
            return 1 if self.room else 0
        self.room += self.frees.pop(0)
        pfd._obj.revents = lwip_agent.POLLOUT
        return 1


def lwip_calls(lib):
    calls = lwip_agent.LwipCalls(lib)
    calls.sockets.add(3)
    return calls


def test_lwip_blocking_send_writes_as_room_comes_back():
    lib = FakeLwip(room=1000, frees=[1500, 600])
    assert lwip_calls(lib).send(3, b"x" * 3000, 0, 1.0) == 3000
    assert lib.sent == [1000, 1500, 500]


def test_lwip_blocking_send_returns_what_fitted_by_its_deadline_or_eagain():
    lib = FakeLwip(room=700, frees=[])
    assert lwip_calls(lib).send(3, b"x" * 3000, 0, 0.05) == 700
    with pytest.raises(CallError) as raised:
        lwip_calls(FakeLwip(room=0, frees=[])).send(3, b"y", 0, 0.05)
    assert raised.value.errno == errno.EAGAIN


def test_lwip_nonblocking_send_is_one_call():
    lib = FakeLwip(room=700, frees=[5000])
    assert lwip_calls(lib).send(3, b"x" * 3000, socket.MSG_DONTWAIT, 1.0) == 700
    assert lib.sent == [700]


class FakePytcpSocket:
    def __init__(self):
        self.data = b""

    def send(self, data):
        self.data += data
        return len(data)


def pytcp_calls():
    calls = object.__new__(pytcp_agent.PytcpCalls)  # (no pytcp stack: only the send path)
    calls.sockets = {3: FakePytcpSocket()}
    return calls


def test_pytcp_send_takes_msg_dontwait_and_a_timeout():
    calls = pytcp_calls()
    assert calls.send(3, b"ab", socket.MSG_DONTWAIT) == 2
    assert calls.send(3, b"cd", 0, 2.0) == 2
    assert calls.sockets[3].data == b"abcd"


def test_pytcp_send_refuses_other_flags_by_name():
    with pytest.raises(CallError) as raised:
        pytcp_calls().send(3, b"ab", socket.MSG_OOB | socket.MSG_DONTWAIT)
    assert raised.value.errno == errno.EOPNOTSUPP
    assert "MSG_OOB" in str(raised.value) and "MSG_DONTWAIT" not in str(raised.value)
