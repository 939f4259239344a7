"""RFC 1122 4.2.3.6 (and RFC 9293 3.8.4): keep-alives MUST default to off, and when an
application turns them on, the idle interval MUST default to no less than two hours."""

import socket

import pytest

from conformance.author.needs import at_least

from .states import reach

pytestmark = pytest.mark.families()

TWO_HOURS_S = 2 * 60 * 60


@pytest.mark.requirement("RFC1122-4.2.3.6-MUST-keepalive-default-off")
@pytest.mark.parametrize("side", ["passive", "active"])
def test_keepalive_is_off_by_default(ex, dut, endpoints, side):
    if side == "passive":
        fd = reach("ESTABLISHED", ex, dut, endpoints).fd
    else:
        fd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert dut.getsockopt(fd, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


@pytest.mark.requirement("RFC1122-4.2.3.6-MUST-keepalive-interval-two-hours")
# (the interval MUST be configurable: a DUT configured shorter, net.ipv4.tcp_keepalive_time,
# has no default of its own left to check)
@pytest.mark.needs(keepalive_idle=at_least(TWO_HOURS_S))
def test_keepalive_idle_interval_defaults_to_two_hours(ex, dut, endpoints):
    peer = reach("ESTABLISHED", ex, dut, endpoints)
    dut.setsockopt(peer.fd, socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    idle = dut.getsockopt(peer.fd, socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)
    assert idle >= TWO_HOURS_S, f"keep-alive idle interval {idle} s"
    peer.conn.expect_nothing()  # and no keep-alive probe right away
