"""The ``gvisor`` target's agent (conformance/targets/gvisor_agent.c) answers every DUT call as
the Python socket calls do (conformance/dut/socket_calls.py: the ``linux`` target's
KernelSocketApi, and the agent dispatch of the ``vm`` target).

Both run the same script of calls on the host's kernel, each in a DUT namespace of its own:
the C agent as a process (``ip netns exec NS AGENT``) through the harness's AgentDutApi, the
Python calls in this process. Their answers must be equal, once the descriptors each side
handed out are named by their order. The script covers each call, its timeouts, its errors and
the values' shapes (addresses of both families, bytes, SO_LINGER's pair, TCP_INFO's record)."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.dut.agent import AgentDutApi, AgentProcess
from conformance.dut.api import DutApi
from conformance.dut.kernel_sockets import KernelSocketApi
from conformance.dut.socket_calls import SocketCalls, handle
from conformance.fabric import naming, ownership
from conformance.fabric.namespaces import DutConfig, Fabric
from conformance.targets import gvisor
from reference_stack.sockopt import Linger
from reference_stack.tcp.info import TcpInfo

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("gcc") is None or not gvisor.LIBC_STATIC.exists(),
    reason="needs root (namespaces), gcc and a static libc (.ci/install-system-deps)")

PORT = 47000  # the script binds every socket it connects: no ephemeral port in an answer


@pytest.fixture(scope="module")
def namespaces() -> Iterator[tuple[str, str]]:
    """Two fresh DUT namespaces of a run of this test's own (the reaper's names)."""
    plan = naming.WorkerPlan(naming.new_run_id(), 0)
    ownership.register(plan.run_id, naming.base36(plan.worker))
    fabric = Fabric(plan, DutConfig(), pool_size=0)
    try:
        fabric.start()
        yield fabric.acquire().name, fabric.acquire().name
    finally:
        fabric.close()
        ownership.unregister(plan.run_id, naming.base36(plan.worker))


class Script:
    """Runs calls on one DutApi and keeps their answers, descriptors named by their order."""

    def __init__(self, api: DutApi) -> None:
        self.api = api
        self.fds: list[int] = []
        self.answers: list[tuple[str, Any]] = []

    def fd(self, k: int) -> int:
        return self.fds[k]

    def new_fd(self, fd: Any) -> str:
        self.fds.append(fd)
        return f"fd#{len(self.fds) - 1}"

    def __call__(self, label: str, call: str, *args: Any,
                 shape: Callable[[Any], Any] | None = None) -> Any:
        value, err = getattr(self.api, f"{call}_with_errno")(*args)
        shown = value
        if not err and call == "socket":
            shown = self.new_fd(value)
        elif not err and call == "accept":
            shown = (self.new_fd(value[0]), value[1])
        elif shape is not None and not err:
            shown = shape(value)
        self.answers.append((label, (shown, err)))
        return value


def script(run: Script, ip4: str, ip6: str) -> None:
    """Every DUT call through ``run``: TCP over IPv4 on the namespace's own address, UDP over
    IPv6, and the errors the socket calls answer."""
    af, stream, dgram = socket.AF_INET, socket.SOCK_STREAM, socket.SOCK_DGRAM
    run("tcp listener", "socket", af, stream, 0)
    lst = run.fd(0)
    run("reuseaddr", "setsockopt", lst, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    run("reuseaddr read", "getsockopt", lst, socket.SOL_SOCKET, socket.SO_REUSEADDR)
    run("bind", "bind", lst, (ip4, PORT))
    run("listen", "listen", lst, 4)
    run("listener name", "getsockname", lst)
    run("accept nothing", "accept", lst, 0.05)
    run("accept at once", "accept", lst, 0.0)
    run("client", "socket", af, stream)
    cli = run.fd(1)
    run("client bind", "bind", cli, (ip4, PORT + 1))
    run("connect starts", "connect", cli, (ip4, PORT), 0.0)
    run("accepted", "accept", lst, 2.0)
    acc = run.fd(2)
    run("writable", "poll", cli, 0x4, 1.0)  # POLLOUT
    run("peer", "getpeername", cli)
    run("sent", "send", cli, b"hello, netstack", 0)
    run("peek", "recv", acc, 5, 1.0, socket.MSG_PEEK)
    run("read", "recv", acc, 100, 1.0)
    run("nothing more", "recv", acc, 100, 0.05)
    run("nothing at once", "recv", acc, 100, 0.0)
    run("waitall partial", "send", cli, b"abc", 0, 1.0)
    run("waitall", "recv", acc, 10, 0.2, socket.MSG_WAITALL)
    run("nodelay", "setsockopt", cli, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    run("nodelay read", "getsockopt", cli, socket.IPPROTO_TCP, socket.TCP_NODELAY)
    run("rcvbuf raw", "getsockopt", cli, socket.SOL_SOCKET, socket.SO_RCVBUF, 4)
    run("linger on", "setsockopt", cli, socket.SOL_SOCKET, socket.SO_LINGER, Linger(1, 5))
    run("linger read", "getsockopt", cli, socket.SOL_SOCKET, socket.SO_LINGER)
    run("tcp_info state", "getsockopt", cli, socket.IPPROTO_TCP, socket.TCP_INFO,
        shape=lambda info: (type(info), info.state))
    run("bad option", "getsockopt", cli, 999, 1)
    run("shut write", "shutdown", cli, socket.SHUT_WR)
    run("end of file", "recv", acc, 100, 1.0)
    run("readable at end", "poll", acc, 0x1, 0.0)  # POLLIN
    run("close accepted", "close", acc)
    run("close again", "close", acc)
    # A connection reset by its peer: recv's ECONNRESET, then send's EPIPE (no SIGPIPE).
    run("client 2", "socket", af, stream)
    run("client 2 bind", "bind", run.fd(3), (ip4, PORT + 2))
    run("connect waits", "connect", run.fd(3), (ip4, PORT), 1.0)
    run("accepted 2", "accept", lst, 2.0)
    run("abort", "setsockopt", run.fd(4), socket.SOL_SOCKET, socket.SO_LINGER, Linger(1, 0))
    run("send fills", "send", run.fd(3), b"x" * 4_000_000, 0, 0.2,
        shape=lambda count: count > 0)  # (how much fits: the buffers' own business)
    run("reset", "close", run.fd(4))
    run("reset seen", "recv", run.fd(3), 100, 1.0)
    run("send after reset", "send", run.fd(3), b"late", 0)
    run("refused", "socket", af, stream)
    run("connect refused", "connect", run.fd(5), (ip4, PORT + 9), 1.0)
    run("in use", "socket", af, stream)
    run("bind in use", "bind", run.fd(6), (ip4, PORT))
    run("v6 address on v4", "bind", run.fd(6), (ip6, PORT))
    run("no such family", "socket", 12345, stream)
    # UDP over IPv6: 4-tuples and datagrams with their sender.
    run("udp a", "socket", socket.AF_INET6, dgram)
    run("udp b", "socket", socket.AF_INET6, dgram)
    a, b = run.fd(7), run.fd(8)
    run("udp bind a", "bind", a, (ip6, PORT))
    run("udp bind b", "bind", b, (ip6, PORT + 1, 0, 0))
    run("udp name", "getsockname", a)
    run("udp not connected", "getpeername", a)
    run("sendto", "sendto", b, b"\x00\xffdatagram", (ip6, PORT))
    run("recvfrom", "recvfrom", a, 100, 1.0)
    run("recvfrom nothing", "recvfrom", a, 100, 0.05)
    run("udp listen", "listen", a, 1)
    run("v4 address on v6", "sendto", b, b"x", ("198.18.0.1", PORT))
    run("timeout connect to nowhere", "connect", b, (ip6, PORT + 7), 0.5)


def test_the_c_agent_answers_as_the_python_socket_calls(namespaces):
    ns_python, ns_agent = namespaces
    python = Script(KernelSocketApi(ns_python))
    agent = AgentProcess(["ip", "netns", "exec", ns_agent, gvisor.build_agent()],
                         label="gvisor agent")
    try:
        ready = agent.read_message(10.0, "starting")
        assert ready["ready"] is True and ready["agent"] == "c"
        c_agent = Script(AgentDutApi(agent))
        for run, ns in ((python, ns_python), (c_agent, ns_agent)):
            subprocess.run(["ip", "-n", ns, "addr", "add", "198.18.0.2/24", "dev", "lo"],
                           check=True)
            subprocess.run(["ip", "-n", ns, "addr", "add", "2001:db8::2/64", "dev", "lo",
                            "nodad"], check=True)
            script(run, "198.18.0.2", "2001:db8::2")
        assert c_agent.answers == python.answers
        # (and the script is one that can tell: it saw data, errors and both families)
        answers = dict(python.answers)
        assert answers["read"] == (b"hello, netstack", 0)
        assert answers["recvfrom"] == ((b"\x00\xffdatagram", ("2001:db8::2", PORT + 1, 0, 0)), 0)
        assert answers["linger read"] == (Linger(1, 5), 0)
        assert answers["tcp_info state"] == ((TcpInfo, "ESTABLISHED"), 0)
        assert answers["accept nothing"] == (None, errno.EAGAIN)
        assert answers["connect refused"] == (None, errno.ECONNREFUSED)
        assert answers["reset seen"] == (None, errno.ECONNRESET)
        assert answers["send after reset"] == (None, errno.EPIPE)
        # close_all: every socket closed, a lingering one without waiting
        c_agent.api.close_all()
        python.api.close_all()
        for run in (python, c_agent):
            assert run.api.close_with_errno(run.fd(1)) == (None, errno.EBADF)
    finally:
        agent.kill()
        python.api.close_all()


@pytest.mark.parametrize("line", [
    b"not json\n",
    b'{"id": 4, "call": "close", "args": [999]}\n',
    b'{"id": 5, "call": "bind", "args": [999, ["127.0.0.1", 1]]}\n',
    b'{"id": 6, "call": "frobnicate"}\n',
    b'{"id": 7, "call": "_sock", "args": [3]}\n',
    b'{"id": "x", "call": "close_all"}\n',
    b'{"id": 8, "call": "socket", "args": ["two", 1]}\n',
    b'{"id": 9, "call": "recv"}\n',
])
def test_the_c_agent_answers_bad_requests_as_the_python_dispatch(line):
    """Requests a harness should not send are answered as socket_calls.handle answers them
    (the reply's errno; its detail is each side's own words)."""
    from conformance.dut.agent_codec import loads

    try:
        message = loads(line)
    except ValueError:
        message = {"id": None, "call": "_invalid"}
    expected = handle(SocketCalls(), message)
    run = subprocess.run([gvisor.build_agent()], input=line, capture_output=True, timeout=10)
    reply = loads(run.stdout.splitlines()[1])
    assert (reply["id"], reply["value"], reply["errno"]) == (
        expected["id"], expected["value"], expected["errno"]), (reply, expected)
