"""A SEND into a full send buffer (RFC 9293 3.10.2; issue 12 item 3): with the peer's window
closed the data stays queued; a non-blocking send takes what fits, then fails with EAGAIN; poll()
says POLLOUT again once acknowledgments free room; a blocking send stays pending until they do
and returns its whole count. How much fits is the implementation's (RFC 9293 3.8.6): the
lockstep oracle follows the target's profile (Linux's skb accounting, which it bounds:
reference_stack/tcp/send_buffer.py). A send in CLOSE-WAIT is a SEND like any (3.10.2); after
the peer's reset it fails (3.10.7.4: "connection reset", then the sending side is shut).

Waits: the DUT's zero-window probes (its persist timer, about 0.2 s, then doubling) may come
while the window is closed; the tester ignores them."""

import errno
import select
import socket
import time

import pytest

from conformance.author.needs import other_than
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import dissect

from ..ipv4.dut_sysctl import set_dut_sysctl
from .states import LISTEN_PORT, listen, reach

FULL = "RFC9293-3.10.2-MAY-send-buffer-full"
SEND = "RFC9293-3.10.2-MUST-send-data"
BIG = 200_000
SOL = socket.SOL_SOCKET


def closed_window(ex, dut, endpoints, sndbuf=4608):
    """A passive open whose handshake's last ACK closes the window, SO_SNDBUF set on the
    listener first (the connection inherits it; a target without the option keeps its own
    buffer): (the tester's connection, the DUT's fd)."""
    listener = listen(dut, endpoints, family=ex.family)
    dut.setsockopt_with_errno(listener, SOL, socket.SO_SNDBUF, sndbuf)
    conn = ex.tcp(dut_port=LISTEN_PORT)
    conn.send(flags="S")
    conn.expect(flags="SA", ack=conn.snd_nxt)
    conn.window = 0
    conn.send(flags="A")
    fd, _ = dut.accept(listener)
    return conn, fd


def fill(dut, fd, chunk=700, limit=1000):
    """Non-blocking sends of ``chunk`` octets until one fails: (octets taken, its errno)."""
    taken = 0
    for _ in range(limit):
        value, err = dut.send_with_errno(fd, b"f" * chunk, socket.MSG_DONTWAIT)
        if err:
            return taken, err
        taken += value
    return taken, 0


def window_field(conn, octets: int) -> int:
    """The tester's window field that offers ``octets``: in the unit of the shift its SYN
    sent, where the DUT's SYN,ACK had Window Scale too (RFC 7323 2.2), else at most 65535 (a
    DUT with net.ipv4.tcp_window_scaling=0)."""
    shift = 0
    if conn.their_wscale is not None:
        shift = next((o.shift for o in conn.syn_options
                      if isinstance(o, tcpw.TcpOptWindowScale)), 0)
    return min(0xFFFF, octets >> shift)


def receive(ex, conn, total, window=None, timeout=3.0):
    """The tester opens its window (``window``, in its scaled unit; by default 64 KiB) and
    acknowledges each flight the DUT sends (all it sent up to a barrier) until ``total`` octets
    came, for at most ``timeout`` s (a blocked sender writes more when it wakes); zero-window
    probes (no payload) are ignored. Returns the octets received."""
    conn.window = window_field(conn, 65536) if window is None else window
    conn.send(flags="A")
    got = 0
    deadline = time.monotonic() + timeout
    while got < total and time.monotonic() < deadline:
        flight = 0
        for frame in ex.settle():
            seg = dissect(frame).tcp
            if (seg is None or seg.src_port != conn.dut_port or seg.dst_port != conn.tester_port
                    or not seg.payload):
                continue
            conn._learn(seg)
            flight += len(seg.payload)
        got += flight
        if flight:
            conn.send(flags="A")
        else:
            time.sleep(0.01)
    ex.settle()  # the target has taken the last ACK (a barrier): its buffer is freed now
    return got


def steady(bed):
    """Reno and no tail loss probes in a kernel DUT, as flight.py's bulk transfers: a host
    default such as BBR paces its segments (conformance/judge/sysctls.py: not modelled), and
    on a microsecond link a probe races the tester's ACKs."""
    if bed.set_dut_sysctl is not None:
        set_dut_sysctl(bed, "net.ipv4.tcp_congestion_control", "reno")
        set_dut_sysctl(bed, "net.ipv4.tcp_early_retrans", "0")


def pollout(dut, fd):
    return bool(dut.poll(fd, select.POLLOUT, 0) & select.POLLOUT)


@pytest.mark.families()
@pytest.mark.requirement(FULL)
@pytest.mark.parametrize("sndbuf", [4608, 40000], ids=["4608", "40000"])
def test_nonblocking_send_into_a_closed_window_takes_what_fits(ex, dut, endpoints, sndbuf):
    conn, fd = closed_window(ex, dut, endpoints, sndbuf)
    taken, err = dut.send_with_errno(fd, b"x" * BIG, socket.MSG_DONTWAIT)
    assert err == 0 and 0 < taken < BIG, (taken, err)
    assert dut.send_with_errno(fd, b"y" * 1000, socket.MSG_DONTWAIT)[1] == errno.EAGAIN


@pytest.mark.families()
@pytest.mark.requirement(FULL)
def test_small_sends_fill_the_buffer_then_eagain(ex, dut, endpoints):
    conn, fd = closed_window(ex, dut, endpoints)
    taken, err = fill(dut, fd)
    assert err == errno.EAGAIN and taken > 0, (taken, err)
    assert not pollout(dut, fd)


@pytest.mark.families()
@pytest.mark.requirement(FULL, "RFC9293-3.9.1.10-MAY-status")
@pytest.mark.needs(mtu_probing=other_than(2))  # full-sized segments (RFC 4821 aside)
def test_pollout_once_acknowledgments_free_the_buffer(ex, dut, endpoints, bed):
    steady(bed)
    conn, fd = closed_window(ex, dut, endpoints)
    taken, err = dut.send_with_errno(fd, b"x" * BIG, socket.MSG_DONTWAIT)
    assert err == 0
    assert dut.send_with_errno(fd, b"y", socket.MSG_DONTWAIT)[1] == errno.EAGAIN
    assert not pollout(dut, fd)
    assert receive(ex, conn, taken) == taken
    assert pollout(dut, fd)
    value, err = dut.send_with_errno(fd, b"z" * 1000, socket.MSG_DONTWAIT)
    assert (value, err) == (1000, 0)
    conn.expect(b"z" * 1000, flags=None)


@pytest.mark.families()
@pytest.mark.requirement(FULL, SEND)
@pytest.mark.needs(mtu_probing=other_than(2))  # full-sized segments (RFC 4821 aside)
def test_blocking_send_waits_for_room_and_returns_its_count(ex, dut, endpoints, bed):
    steady(bed)
    conn, fd = closed_window(ex, dut, endpoints)
    size = 100_000
    pending = dut.start("send_with_errno", fd, b"b" * size, 0, 5.0)
    time.sleep(0.3)
    assert not pending.done(), f"send returned {pending.wait(0)!r} into a closed window"
    assert receive(ex, conn, size) == size
    assert pending.wait(5.0) == (size, 0)


@pytest.mark.requirement(FULL)
def test_blocking_send_gives_up_after_its_timeout(ex, dut, endpoints):
    conn, fd = closed_window(ex, dut, endpoints)
    dut.send_with_errno(fd, b"x" * BIG, socket.MSG_DONTWAIT)  # the buffer is full
    value, err = dut.send_with_errno(fd, b"y" * 1000, 0, 0.3)
    assert (value, err) == (None, errno.EAGAIN)


@pytest.mark.requirement(FULL)
def test_a_send_buffer_the_user_did_not_size_is_the_stacks(ex, dut, endpoints):
    # (Linux grows it at ESTABLISHED, tcp_init_buffer_space -> tcp_sndbuf_expand: 69120 with
    # BBR; the lockstep compares the value with the profile's)
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    assert dut.getsockopt(peer.fd, SOL, socket.SO_SNDBUF) > 0


@pytest.mark.families()
@pytest.mark.requirement(SEND)
def test_send_in_close_wait_is_sent(ex, dut, endpoints):
    peer = reach("CLOSE-WAIT", ex, dut, endpoints)
    assert dut.send(peer.fd, b"after your FIN") == len(b"after your FIN")
    peer.conn.expect(b"after your FIN", flags=None, seq=peer.dut_snd_nxt)


@pytest.mark.families()
@pytest.mark.requirement("RFC9293-3.10.7.4-MUST-rst-reset")
@pytest.mark.parametrize("state", ["ESTABLISHED", "CLOSE-WAIT"])
def test_send_after_the_peers_reset_fails(ex, dut, endpoints, state):
    peer = reach(state, ex, dut, endpoints)
    peer.send(flags="RA", seq=peer.conn.snd_nxt)
    ex.settle()
    # "connection reset" (ECONNRESET; Linux says EPIPE in CLOSE-WAIT), then the connection is
    # gone: EPIPE (lwIP says ENOTCONN); the lockstep compares each with the target's profile
    first = dut.send_with_errno(peer.fd, b"x")[1]
    assert first in (errno.ECONNRESET, errno.EPIPE)
    assert dut.send_with_errno(peer.fd, b"x")[1] in (errno.EPIPE, errno.ENOTCONN)
