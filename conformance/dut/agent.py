"""The DUT socket API for a stack reached through an agent: calls forwarded over a line protocol.

A DUT control agent runs inside the stack under test (a userspace stack's process, a VM) and
executes the POSIX-shaped calls of :class:`~conformance.dut.api.DutApi` with that stack's own
socket interface. It speaks JSON lines over its standard input and output:

    agent -> harness   {"ready": true, ...facts}                   once, when the stack is up
    harness -> agent   {"id": 7, "call": "bind", "args": [3, ["198.18.0.1", 8080]]}
    agent -> harness   {"id": 7, "value": null, "errno": 0}         (+ "detail" on odd errors)

Values go through :func:`~conformance.dut.agent_codec.encode` /
:func:`~conformance.dut.agent_codec.decode` (the agent's side of the protocol, a module of its
own so that an agent imports only what it needs).

A dead or silent agent fails the test (:class:`AgentFailure`) with its exit status and the tail
of its standard error, never a hang: every request has a deadline.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from typing import IO, Any

from conformance.dut.agent_codec import decode, encode
from conformance.dut.api import Address, DutApi, Result
from reference_stack import sockopt
from reference_stack.tcp.info import TcpInfo

# A reply may take the call's own timeout (accept, recv, poll) plus this much.
REPLY_MARGIN_S = 5.0
STDERR_TAIL = 1500
DYING_S = 5.0  # how long a process with a SIGKILL pending may take to exit
READ_POLL_S = 0.05  # how often a call awaiting its reply looks at what another thread read


def exit_status(process: subprocess.Popen[bytes]) -> int | None:
    """The process's exit status, also for one already killed that is still dying (a SIGKILL
    is pending on it: a many-threaded process such as runsc takes a while to exit on a loaded
    machine, and may still answer a request meanwhile); None while it runs."""
    status = process.poll()
    if status is None and fatal_signal_pending(process.pid):
        try:
            status = process.wait(timeout=DYING_S)
        except subprocess.TimeoutExpired:
            return None
    return status


def fatal_signal_pending(pid: int) -> bool:
    """A SIGKILL is pending on ``pid`` (it is being killed but has not exited yet): the
    kernel queues it on every thread at once (complete_signal, zap_other_threads), so
    /proc/PID/status shows it in SigPnd or ShdPnd before the process is a zombie."""
    try:
        with open(f"/proc/{pid}/status") as status:
            lines = status.read().splitlines()
    except OSError:
        return False
    kill_bit = 1 << (signal.SIGKILL - 1)
    return any(int(line.split()[1], 16) & kill_bit for line in lines
               if line.startswith(("SigPnd:", "ShdPnd:")))


class AgentFailure(AssertionError):
    """The agent crashed, hung or broke the protocol (fails the test that was using it)."""


class AgentProcess:
    """A child process that runs an agent: started, spoken to and ended by its own PID only.

    Its standard error goes to an unlinked temporary file, so a crash report can quote it and
    nothing is left on disk.
    """

    def __init__(self, argv: list[str], env: dict[str, str] | None = None,
                 label: str = "agent") -> None:
        self.argv = argv
        self.label = label  # names the agent in failure messages
        self.stderr: IO[bytes] = tempfile.TemporaryFile(prefix="nc-agent-")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env,
            close_fds=True,
        )
        self._buffer = b""
        self._next_id = 1
        # The read buffer, the ids of calls awaiting a reply and the replies read by another
        # call's thread (request), shared by a pending call's thread and the test's.
        self._lock = threading.Lock()
        self._waiting: set[int] = set()
        self._answers: dict[int, dict[str, Any]] = {}
        self.broken: str | None = None  # why the agent may no longer be used

    @property
    def pid(self) -> int:
        return self.process.pid

    # -- lines ----------------------------------------------------------------------------
    def _read_line(self, deadline: float) -> bytes | None:
        """One line from the agent, or None once ``deadline`` (perf_counter) passes. Threads
        share the pipe (a pending call's and the test's): each reads under the lock only
        what select() says is there, and waits outside it, looking again every READ_POLL_S
        (a line another thread read along with its own is in the buffer, not the pipe)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while True:
            with self._lock:
                if b"\n" in self._buffer:
                    line, self._buffer = self._buffer.split(b"\n", 1)
                    return line
                if select.select([fd], [], [], 0)[0]:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        raise self._failure("closed its output (it exited)")
                    self._buffer += chunk
                    continue
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            select.select([fd], [], [], min(remaining, READ_POLL_S))

    def read_message(self, timeout: float, waiting_for: str) -> dict[str, Any]:
        line = self._read_line(time.perf_counter() + timeout)
        if line is None:
            raise self._failure(f"did not answer within {timeout:g} s while {waiting_for}")
        return self._parse(line)

    def _parse(self, line: bytes) -> dict[str, Any]:
        try:
            message = json.loads(line)
        except ValueError:
            raise self._failure(f"wrote a line that is not JSON: {line[:200]!r}") from None
        if not isinstance(message, dict):
            raise self._failure(f"wrote {line[:200]!r} where an object was expected")
        return message

    def request(self, call: str, args: list[Any], timeout: float) -> dict[str, Any]:
        """Send one call and wait for its reply (at most ``timeout`` seconds). A call may be
        sent while another's reply is awaited (a pending call's thread, conformance.dut.api
        PendingCall): the agent answers in order, and a reply read by the other's thread is
        set aside for its own."""
        if self.broken:
            raise AgentFailure(f"{self.label} unusable: {self.broken}")
        with self._lock:
            ident, self._next_id = self._next_id, self._next_id + 1
            self._waiting.add(ident)
        line = json.dumps({"id": ident, "call": call, "args": encode(args)}) + "\n"
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(line.encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._failure(f"could not be sent {call!r} (its input is closed)") from None
        try:
            return self._reply(ident, time.perf_counter() + timeout,
                               f"did not answer within {timeout:g} s while running "
                               f"{call}{tuple(args)!r}")
        finally:
            with self._lock:
                self._waiting.discard(ident)

    def _reply(self, ident: int, deadline: float, late: str) -> dict[str, Any]:
        while True:
            with self._lock:
                if ident in self._answers:
                    return self._answers.pop(ident)
            line = self._read_line(min(deadline, time.perf_counter() + READ_POLL_S))
            if line is None:
                if time.perf_counter() >= deadline:
                    raise self._failure(late)
                continue
            reply = self._parse(line)
            if reply.get("id") == ident:
                return reply
            with self._lock:
                if reply.get("id") in self._waiting:  # another thread's call: set aside
                    self._answers[reply["id"]] = reply
                    continue
            raise self._failure(f"answered request {reply.get('id')!r}, expected {ident}")

    # -- life -----------------------------------------------------------------------------
    def exit_status(self) -> int | None:
        return exit_status(self.process)

    def stderr_tail(self) -> str:
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - STDERR_TAIL))
        return self.stderr.read().decode(errors="replace").strip()

    def describe_end(self) -> str:
        """How the process ended (or that it still runs), with its last words."""
        status = self.exit_status()
        if status is None:
            what = f"pid {self.pid} still running"
        elif status < 0:
            what = f"pid {self.pid} killed by {signal.Signals(-status).name}"
        else:
            what = f"pid {self.pid} exited with status {status}"
        tail = self.stderr_tail()
        return what + (f"; its stderr ends with:\n{tail}" if tail else "; nothing on stderr")

    def _failure(self, what: str) -> AgentFailure:
        time.sleep(0.05)  # let a dying process finish, so its exit status is known
        self.broken = f"the {self.label} {what}; {self.describe_end()}"
        return AgentFailure(self.broken)

    def kill(self) -> None:
        """SIGKILL this process (by its PID, through Popen) and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
        self.stderr.close()


class AgentDutApi(DutApi):
    """:class:`DutApi` forwarded to an agent; the agent names sockets by its own integers."""

    def __init__(self, agent: AgentProcess) -> None:
        self.agent = agent
        self.details: list[str] = []  # agent-side explanations of unusual errors

    def _call(self, call: str, *args: Any, wait: float = 0.0) -> Result:
        reply = self.agent.request(call, list(args), timeout=wait + REPLY_MARGIN_S)
        err = reply.get("errno")
        if not isinstance(err, int):
            raise AgentFailure(f"agent reply to {call} has no errno: {reply!r}")
        if reply.get("detail"):
            self.details.append(f"{call}: {reply['detail']}")
        return decode(reply.get("value")), err

    def socket_with_errno(self, family: int, type_: int, proto: int = 0) -> Result:
        return self._call("socket", family, type_, proto)

    def bind_with_errno(self, fd: int, addr: Address) -> Result:
        return self._call("bind", fd, addr)

    def listen_with_errno(self, fd: int, backlog: int) -> Result:
        return self._call("listen", fd, backlog)

    def accept_with_errno(self, fd: int, timeout: float = 2.0) -> Result:
        return self._call("accept", fd, timeout, wait=timeout)

    def connect_with_errno(self, fd: int, addr: Address, timeout: float = 0.0) -> Result:
        return self._call("connect", fd, addr, timeout, wait=timeout)

    def send_with_errno(self, fd: int, data: bytes, flags: int = 0,
                        timeout: float = 0.0) -> Result:
        if timeout > 0:  # a blocking send: the agent waits for room, at most `timeout` s
            return self._call("send", fd, data, flags, timeout, wait=timeout)
        return self._call("send", fd, data, flags)  # (MSG_DONTWAIT, as kernel_sockets')

    def sendto_with_errno(self, fd: int, data: bytes, addr: Address) -> Result:
        return self._call("sendto", fd, data, addr)

    def recv_with_errno(self, fd: int, n: int, timeout: float = 2.0, flags: int = 0) -> Result:
        return self._call("recv", fd, n, timeout, flags, wait=timeout)

    def recvfrom_with_errno(self, fd: int, n: int, timeout: float = 2.0) -> Result:
        return self._call("recvfrom", fd, n, timeout, wait=timeout)

    def shutdown_with_errno(self, fd: int, how: int) -> Result:
        return self._call("shutdown", fd, how)

    def close_with_errno(self, fd: int) -> Result:
        return self._call("close", fd)

    def setsockopt_with_errno(self, fd: int, level: int, name: int, value: Any) -> Result:
        if sockopt.kind(level, name) is not None:  # a value on the wire (an int, a pair)
            value = sockopt.as_value(level, name, value)
        return self._call("setsockopt", fd, level, name, value)

    def getsockopt_with_errno(self, fd: int, level: int, name: int, size: int = 0) -> Result:
        value, err = self._call("getsockopt", fd, level, name, size)
        if err or size:
            return value, err
        what = sockopt.kind(level, name)
        if what == "linger" and isinstance(value, tuple):
            return sockopt.Linger(*value), 0
        if what == "tcp_info" and isinstance(value, bytes):
            return TcpInfo.parse(value), 0
        return value, 0

    def getsockname_with_errno(self, fd: int) -> Result:
        return self._call("getsockname", fd)

    def getpeername_with_errno(self, fd: int) -> Result:
        return self._call("getpeername", fd)

    def poll_with_errno(self, fd: int, events: int, timeout: float) -> Result:
        return self._call("poll", fd, events, timeout, wait=timeout)

    def close_all(self) -> None:
        if self.agent.broken is None and self.agent.exit_status() is None:
            self._call("close_all")

