"""Socket options as values through the DUT APIs and the lockstep replay (issue 12 item 1):
``struct linger`` bytes, as a kernel takes them, no longer break the replay; values and bytes
mean the same to the oracle; getsockopt, getsockname, getpeername and poll are replayed and
compared."""

import errno
import socket
import struct

import pytest

from conformance.author.exchange import Exchange
from conformance.fabric import naming
from conformance.fabric.namespaces import DutConfig
from conformance.judge.call_values import value_diffs
from conformance.judge.timeline import RecordingDutApi, check_bed
from conformance.targets.reference import InprocReferenceTarget
from reference_stack.profiles import LINUX
from reference_stack.sockopt import TCP_INFO, Linger
from reference_stack.tcp.info import TcpInfo, blank
from reference_stack.tcp.state import State

PORT = 8080


def linger_close(linger_value):
    """Handshake, SO_LINGER set as given, close: (the lockstep result, the bed's frames)."""
    target = InprocReferenceTarget(naming.WorkerPlan("0000", 0), DutConfig(), profile=LINUX)
    bed = target.begin_test("linger")
    bed.dut = RecordingDutApi(bed.dut)
    bed.oracle_profile = LINUX
    try:
        ex = Exchange(bed)
        dut = bed.dut
        lfd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
        dut.bind(lfd, (bed.endpoints.dut_ipv4, PORT))
        dut.listen(lfd, 4)
        conn = ex.tcp(dut_port=PORT)
        conn.handshake()
        fd, _ = dut.accept(lfd)
        dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_LINGER, linger_value)
        assert dut.getsockopt(fd, socket.SOL_SOCKET, socket.SO_LINGER) == Linger(1, 0)
        assert dut.getsockname(fd) == (bed.endpoints.dut_ipv4, PORT)
        assert dut.getpeername(fd) == (bed.endpoints.tester_ipv4, conn.tester_port)
        info = dut.getsockopt(fd, socket.IPPROTO_TCP, TCP_INFO)
        assert info.state == "ESTABLISHED"
        dut.close(fd)
        conn.expect(flags="RA")
        ex.settle()
        return check_bed(bed), bed.dut.calls
    finally:
        target.end_test(bed)


@pytest.mark.parametrize("value", [struct.pack("ii", 1, 0), (1, 0), Linger(1, 0)],
                         ids=["struct-linger-bytes", "tuple", "Linger"])
def test_linger_zero_replays_in_every_form(value):
    outcome, calls = linger_close(value)
    assert outcome.divergence_dicts() == []
    replayed = {c.name for c in calls}
    assert {"getsockopt_with_errno", "getsockname_with_errno",
            "getpeername_with_errno"} <= replayed


def test_getsockopt_value_difference_is_a_divergence():
    diffs = value_diffs("getsockopt", (3, socket.SOL_SOCKET, socket.SO_ERROR, 0),
                        errno.ECONNRESET, errno.ECONNREFUSED)
    assert diffs == [("SO_ERROR", errno.ECONNREFUSED, errno.ECONNRESET)]


def test_tcp_info_compared_only_on_the_fields_the_model_fixes():
    oracle = blank(State.ESTABLISHED, snd_mss=1448, unacked=2, rtt=100)
    same_but_clock = blank(State.ESTABLISHED, snd_mss=1448, unacked=2, rtt=3777)
    other_cwnd = blank(State.ESTABLISHED, snd_mss=1448, unacked=4, rtt=100)
    args = (3, socket.IPPROTO_TCP, TCP_INFO, 0)
    assert value_diffs("getsockopt", args, same_but_clock, oracle) == []
    assert value_diffs("getsockopt", args, other_cwnd, oracle) == [("TCP_INFO.unacked", 2, 4)]
    # raw bytes a test asked for by size are decoded before comparing
    raw_args = (3, socket.IPPROTO_TCP, TCP_INFO, TcpInfo.SIZE)
    assert value_diffs("getsockopt", raw_args, other_cwnd.to_bytes(), oracle) == [
        ("TCP_INFO.unacked", 2, 4)]


def test_poll_compares_the_requested_events_and_errors_only():
    import select

    args = (3, select.POLLIN, 1.0)
    assert value_diffs("poll", args, select.POLLIN | select.POLLRDNORM, select.POLLIN) == []
    assert value_diffs("poll", args, select.POLLIN | select.POLLERR, select.POLLIN) != []


def test_link_mtu_on_the_timeline_moves_the_oracles_mtu():
    from conformance.judge.timeline import DutCall, Lockstep
    from conformance.targets.base import Endpoints

    ls = Lockstep(LINUX, Endpoints("02:00:00:00:00:02", "198.18.0.2", "02:00:00:00:00:01",
                                   "198.18.0.1", "", "", 24))
    ls.dut_call(DutCall(0.0, "set_link_mtu", (9000,), (None, 0)), 0.0)
    assert ls.stack.profile.mtu == 9000 and ls.stack.profile.mss == 8960


def test_a_pending_call_replays_at_its_start_or_its_return():
    from conformance.judge.timeline import DutCall

    close = DutCall(2.0, "close_with_errno", (3,), (0, 0), started=1.0)
    recv = DutCall(2.0, "recv_with_errno", (3, 10, 5.0, 0), (b"x", 0), started=1.0)
    assert (close.replay_at, recv.replay_at) == (1.0, 2.0)
    assert DutCall(2.0, "close_with_errno", (3,), (0, 0)).replay_at == 2.0  # (older records)
