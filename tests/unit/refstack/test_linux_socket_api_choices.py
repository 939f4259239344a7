"""The linux profile's socket-API choices against the rfc profile (issue 12): each flag of
reference_stack/profiles.py changes what the oracle answers, and records its LINUX- rule."""

import select
import socket

from reference_stack.profiles import LINUX, RFC
from reference_stack.socket_api import AF_INET, SOCK_STREAM
from reference_stack.wire.addr import ip4_str
from tests.unit.refstack.harness import IP_B, Link, make_stack, tcp_of


def _refused_connect(profile):
    """A connect refused by the peer's RST: the socket's poll answer and the stack."""
    link = Link(profile)
    a = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
    link.call(link.a, "connect", a, (ip4_str(IP_B), 9))  # nobody listens on b:9: RST
    link.deliver()
    return link.a.poll_fd(a)


def test_linux_polls_pollout_beside_pollhup_once_the_send_side_is_shut():
    linux, rfc = _refused_connect(LINUX), _refused_connect(RFC)
    hup = select.POLLHUP | select.POLLERR
    assert linux.value & hup == hup and rfc.value & hup == hup
    assert linux.value & select.POLLOUT and not rfc.value & select.POLLOUT
    assert "LINUX-tcp_poll-pollout-when-shut" in linux.reaction.rules()
    assert "LINUX-tcp_poll-pollout-when-shut" not in rfc.reaction.rules()


def _synack_after_rcvbuf(profile, rcvbuf):
    from tests.unit.refstack.harness import RawPeer, syn_options

    stack = make_stack(profile)
    fd = stack.socket(AF_INET, SOCK_STREAM).value
    stack.setsockopt(fd, socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    stack.bind(fd, ("0.0.0.0", 80))
    stack.listen(fd, 4)
    peer = RawPeer(stack)
    reaction = peer.send(peer.tcp(40000, 80, 0x02, 1000, 0, b"", 65535, syn_options()))
    return tcp_of(reaction)[0], reaction


def test_linux_offers_half_the_doubled_rcvbuf_and_clamps_the_window_scale():
    linux, reaction = _synack_after_rcvbuf(LINUX, 4096)
    rfc, rfc_reaction = _synack_after_rcvbuf(RFC, 4096)
    assert (linux.window, linux.window_scale) == (2896, 0)  # 4096 rounded to 2 * 1448
    assert (rfc.window, rfc.window_scale) == (4096, RFC.window_scale)  # the buffer, unclamped
    assert "LINUX-tcp_select_initial_window-rcvbuf-lock" in reaction.rules()
    assert "LINUX-tcp_select_initial_window-rcvbuf-lock" not in rfc_reaction.rules()


def _reset_in_close_wait(profile):
    from reference_stack.tcp.state import State
    from reference_stack.wire.tcp import ACK, RST
    from tests.unit.refstack.conn import bring_to

    c = bring_to(State.CLOSE_WAIT, profile)
    tcb = c.tcb()
    reaction = c.seg(RST | ACK)
    return tcb.error, reaction


def test_linux_reports_epipe_for_a_reset_in_close_wait():
    import errno

    linux, reaction = _reset_in_close_wait(LINUX)
    rfc, _ = _reset_in_close_wait(RFC)
    assert (linux, rfc) == (errno.EPIPE, errno.ECONNRESET)
    assert "LINUX-tcp_reset-close-wait-epipe" in reaction.rules()


def _user_timeout_run(profile, ms):
    """Data never acknowledged with TCP_USER_TIMEOUT = ms: (when the connection was given up,
    the error, the rules recorded on the way)."""
    import errno

    from reference_stack.sockopt import TCP_USER_TIMEOUT
    from reference_stack.tcp.state import State
    from tests.unit.refstack.conn import bring_to

    c = bring_to(State.ESTABLISHED, profile)
    tcb = c.tcb()
    c.stack.setsockopt(c.fd, socket.IPPROTO_TCP, TCP_USER_TIMEOUT, ms, 0.0)
    c.stack.send(c.fd, b"lost", 0.0)
    rules = []
    now = 0.0
    while tcb.state is not State.CLOSED and now < 60:
        now = c.stack.poll_at()
        rules += c.stack.poll(now).rules()
    assert tcb.error == errno.ETIMEDOUT
    return now, rules


def test_user_timeout_gives_up_on_time_only_where_linux_cuts_the_rto():
    linux_at, linux_rules = _user_timeout_run(LINUX, 1500)
    rfc_at, rfc_rules = _user_timeout_run(RFC, 1500)
    assert "RFC1122-4.2.3.5-MUST-r2-settable" in linux_rules
    assert "RFC1122-4.2.3.5-MUST-r2-settable" in rfc_rules
    assert "LINUX-tcp_clamp_rto_to_user_timeout" in linux_rules
    assert "LINUX-tcp_clamp_rto_to_user_timeout" not in rfc_rules
    # linux: at the first retransmission's time + 1.5 s exactly; rfc: at a later full RTO
    assert rfc_at > linux_at
