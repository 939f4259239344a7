"""POSIX-shaped socket calls: results and errnos."""

from __future__ import annotations

import errno

import pytest

from reference_stack.profiles import LINUX, RFC
from reference_stack.socket_api import (
    AF_INET,
    IPPROTO_TCP,
    SO_ERROR,
    SO_LINGER,
    SO_RCVBUF,
    SO_REUSEADDR,
    SO_SNDBUF,
    SOCK_DGRAM,
    SOCK_STREAM,
    SOL_SOCKET,
    TCP_MAXSEG,
    TCP_NODELAY,
)
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import RST, SYN
from tests.unit.refstack.harness import Link, connected_pair, make_stack, tcp_of


def stream(stack) -> int:
    return stack.socket(AF_INET, SOCK_STREAM).value


def test_socket_family_and_type_errors() -> None:
    s = make_stack()
    assert s.socket(10, SOCK_STREAM).errno == errno.EAFNOSUPPORT
    assert s.socket(AF_INET, 5).errno == errno.EPROTONOSUPPORT
    assert s.socket(AF_INET, SOCK_DGRAM).ok


def test_bad_fd_is_ebadf() -> None:
    s = make_stack()
    assert s.recv(99, 1, 0.0).errno == errno.EBADF
    assert s.close(99, 0.0).errno == errno.EBADF


def test_misuse_raises() -> None:
    s = make_stack()
    fd = stream(s)
    with pytest.raises(TypeError):
        s.send(fd, "text", 0.0)
    with pytest.raises(ValueError):
        s.recv(fd, -1, 0.0)


def test_bind_errors_and_reuseaddr() -> None:
    s = make_stack()
    a, b = stream(s), stream(s)
    assert s.bind(a, ("0.0.0.0", 80)).ok
    assert s.bind(a, ("0.0.0.0", 81)).errno == errno.EINVAL
    assert s.bind(b, ("0.0.0.0", 80)).errno == errno.EADDRINUSE
    assert s.bind(b, ("198.18.0.99", 81)).errno == errno.EADDRNOTAVAIL
    c, d = stream(s), stream(s)
    for fd in (c, d):
        assert s.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1).ok
    assert s.bind(c, ("0.0.0.0", 90)).ok
    assert s.bind(d, ("0.0.0.0", 90)).ok  # neither listens
    assert s.listen(c, 5).ok
    e = stream(s)
    s.setsockopt(e, SOL_SOCKET, SO_REUSEADDR, 1)
    assert s.bind(e, ("0.0.0.0", 90)).errno == errno.EADDRINUSE  # a listener holds it


def test_time_wait_holds_the_port_unless_reuseaddr() -> None:
    link, a, lfd, b = connected_pair(port=7000)
    link.call(link.b, "close", b)
    link.call(link.b, "close", lfd)
    link.deliver()
    link.call(link.a, "close", a)
    link.deliver()
    assert [t.state for t in link.b.tcp.conns.values()] == [State.TIME_WAIT]
    fresh = stream(link.b)
    assert link.b.bind(fresh, ("0.0.0.0", 7000)).errno == errno.EADDRINUSE
    link.b.setsockopt(fresh, SOL_SOCKET, SO_REUSEADDR, 1)
    assert link.b.bind(fresh, ("0.0.0.0", 7000)).ok


def test_accept_and_connect_errnos() -> None:
    s = make_stack()
    lfd = stream(s)
    assert s.accept(lfd).errno == errno.EINVAL  # not listening
    s.bind(lfd, ("0.0.0.0", 80))
    s.listen(lfd, 1)
    assert s.accept(lfd).errno == errno.EAGAIN
    assert s.connect(lfd, ("198.18.0.11", 1), 0.0).errno == errno.EINVAL
    c = stream(s)
    res = s.connect(c, ("198.18.0.11", 1), 0.0)
    assert res.errno == errno.EINPROGRESS
    assert [x.flags for x in tcp_of(res.reaction)] == [SYN]  # the SYN is in the result
    assert s.connect(c, ("198.18.0.11", 1), 0.0).errno == errno.EALREADY
    assert s.send(c, b"x", 0.0).errno == errno.EAGAIN


def test_connection_refused_via_rst() -> None:
    link = Link()
    fd = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.a, "connect", fd, ("198.18.0.11", 9))  # nothing listens on b
    link.deliver()
    assert link.call(link.a, "connect", fd, ("198.18.0.11", 9)).errno == errno.ECONNREFUSED


def test_recv_send_on_unconnected_and_closed() -> None:
    s = make_stack()
    fd = stream(s)
    assert s.recv(fd, 1, 0.0).errno == errno.ENOTCONN
    assert s.send(fd, b"x", 0.0).errno == errno.ENOTCONN
    assert s.shutdown(fd, 1, 0.0).errno == errno.ENOTCONN
    link, a, _, b = connected_pair()
    assert link.call(link.a, "recv", a, 10).errno == errno.EAGAIN
    link.call(link.a, "shutdown", a, 1)
    assert link.call(link.a, "send", a, b"late").errno == errno.EPIPE


def test_peer_reset_then_send_is_econnreset_then_epipe() -> None:
    link, a, _, b = connected_pair()
    link.call(link.b, "setsockopt", b, SOL_SOCKET, SO_LINGER, (1, 0))
    res = link.call(link.b, "close", b)
    assert [x.flags & RST for x in tcp_of(res.reaction)] == [RST]
    link.deliver()
    assert link.call(link.a, "send", a, b"x").errno == errno.ECONNRESET
    assert link.call(link.a, "send", a, b"x").errno == errno.EPIPE


def test_close_with_unread_data_sends_rst() -> None:
    link, a, _, b = connected_pair()
    link.call(link.a, "send", a, b"unread")
    link.deliver()
    res = link.call(link.b, "close", b)
    assert "RFC1122-4.2.2.13-SHOULD-rst-on-close-with-data" in res.reaction.rules()
    assert tcp_of(res.reaction)[0].flags & RST


@pytest.mark.parametrize("profile,factor", [(LINUX, 2), (RFC, 1)], ids=["linux", "rfc"])
def test_buffer_options(profile, factor) -> None:
    s = make_stack(profile)
    fd = stream(s)
    assert s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4096).ok
    assert s.getsockopt(fd, SOL_SOCKET, SO_RCVBUF).value == 4096 * factor
    s.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 8192)
    assert s.getsockopt(fd, SOL_SOCKET, SO_SNDBUF).value == 8192 * factor


def test_tcp_options_and_unknown_option() -> None:
    s = make_stack()
    fd = stream(s)
    assert s.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY).value == 0
    s.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1)
    assert s.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY).value == 1
    assert s.setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, 10).errno == errno.EINVAL
    assert s.setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, 1000).ok
    res = s.connect(fd, ("198.18.0.11", 80), 0.0)
    assert tcp_of(res.reaction)[0].mss == 1000  # TCP_MAXSEG clamps the advertised MSS
    assert s.setsockopt(fd, SOL_SOCKET, 12345, 1).errno == errno.ENOPROTOOPT
    assert s.getsockopt(fd, SOL_SOCKET, SO_ERROR).value == 0


def test_backlog_overflow_drops_syn() -> None:
    link = Link()
    lfd = link.call(link.b, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.b, "bind", lfd, ("0.0.0.0", 80))
    link.call(link.b, "listen", lfd, 0)
    fds = []
    for _ in range(2):
        fd = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
        link.call(link.a, "connect", fd, ("198.18.0.11", 80))
        link.deliver()
        fds.append(fd)
    assert link.a.tcp_state(fds[0]) is State.ESTABLISHED
    assert link.a.tcp_state(fds[1]) is State.SYN_SENT  # second SYN dropped: queue full


def test_udp_connected_socket_gets_econnrefused() -> None:
    link = Link()
    fd = link.call(link.a, "socket", AF_INET, SOCK_DGRAM).value
    assert link.call(link.a, "connect", fd, ("198.18.0.11", 9)).ok
    assert link.call(link.a, "send", fd, b"anyone?").value == 7
    link.deliver()
    assert link.call(link.a, "recv", fd, 100).errno == errno.ECONNREFUSED
