"""The send buffer of the pytcp, lwip and gvisor profiles against the rfc profile (issues
12/16; suites/tcp/test_send_buffer.py): pytcp's buffer has no bound, lwIP's is 65535 octets
with POLLOUT only above TCP_SNDLOWAT and no SO_SNDBUF, gVisor's is 1 MiB and a listener's
SO_SNDBUF does not reach the connections it accepts."""

from __future__ import annotations

import errno
import select

import pytest

from reference_stack.profiles import GVISOR, LWIP, PYTCP, RFC
from reference_stack.socket_api import SO_RCVBUF, SO_SNDBUF, SOL_SOCKET
from reference_stack.sockopt import MSG_DONTWAIT
from reference_stack.tcp.state import State
from reference_stack.wire.tcp import ACK
from tests.unit.refstack.conn import bring_to

BIG = 200_000


def closed_window(profile):
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.seg(ACK, window=0))
    return c


def send(c, n: int):
    return c.stack.send(c.fd, b"x" * n, 0.0, MSG_DONTWAIT)


def pollout(c) -> bool:
    return bool(c.stack.poll_events(c.fd) & select.POLLOUT)


@pytest.mark.parametrize("profile, taken", [(RFC, 16384), (LWIP, 65535), (GVISOR, BIG),
                                            (PYTCP, BIG)], ids=["rfc", "lwip", "gvisor", "pytcp"])
def test_a_closed_window_takes_the_buffer_the_profile_names(profile, taken) -> None:
    c = closed_window(profile)
    assert send(c, BIG).value == taken
    second = send(c, 1000)
    if profile is PYTCP:  # session.py TcpSession.send: no bound, never EAGAIN
        assert second.value == 1000 and pollout(c)
    elif profile is GVISOR:  # 1 MiB: room left
        assert second.value == 1000
    else:
        assert second.errno == errno.EAGAIN and not pollout(c)


@pytest.mark.parametrize("profile", [RFC, LWIP], ids=["rfc", "lwip"])
def test_pollout_comes_back_above_the_low_water_mark(profile) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    c.note(c.seg(ACK, window=0))
    buffer = c.tcb().send.capacity
    assert send(c, buffer).value == buffer and not pollout(c)
    # the peer opens its window and acknowledges until a quarter of the buffer is free
    c.note(c.seg(ACK, window=65535))
    while c.tcb().send.free() < buffer // 4:
        c.note(c.seg(ACK, ack=c.rcv_nxt, window=65535))
    assert c.tcb().send.free() <= LWIP.pollout_low_water
    assert pollout(c) is (profile is RFC)  # lwIP: tcp_sndbuf <= TCP_SNDLOWAT, no SENDPLUS
    while c.tcb().send.free() <= profile.pollout_low_water:
        c.note(c.seg(ACK, ack=c.rcv_nxt, window=65535))
    assert pollout(c)


@pytest.mark.parametrize("profile, sndbuf, rcvbuf", [
    (RFC, 0, 0), (LWIP, errno.ENOPROTOOPT, 0),
    (PYTCP, errno.ENOPROTOOPT, errno.ENOPROTOOPT)], ids=["rfc", "lwip", "pytcp"])
def test_buffer_options_the_interface_lacks(profile, sndbuf, rcvbuf) -> None:
    c = bring_to(State.ESTABLISHED, profile)
    for name, err in ((SO_SNDBUF, sndbuf), (SO_RCVBUF, rcvbuf)):
        assert c.stack.setsockopt(c.fd, SOL_SOCKET, name, 4096, 0.0).errno == err
        assert c.stack.getsockopt(c.fd, SOL_SOCKET, name, 0.0).errno == err


@pytest.mark.parametrize("profile", [RFC, GVISOR], ids=["rfc", "gvisor"])
def test_a_listeners_sndbuf_reaches_its_connections_or_not(profile) -> None:
    c = bring_to(State.SYN_RECEIVED, profile)
    lfd = c.listen_fd
    assert c.stack.setsockopt(lfd, SOL_SOCKET, SO_SNDBUF, 4608, 0.0).ok
    c.note(c.seg(ACK, window=0))
    fd = c.stack.accept(lfd).value[0]
    got = c.stack.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, 0.0).value
    taken = c.stack.send(fd, b"x" * BIG, 0.0, MSG_DONTWAIT).value
    if profile is GVISOR:  # accept.go createConnectingEndpoint: newEndpoint's 1 MiB
        assert got == 1 << 20 and taken == BIG
    else:
        assert got == 4608
