"""The reference stack as a real peer of the Linux kernel over a veth: it takes the tester's
place (address, MAC) and talks TCP to Linux in the DUT namespace. Handshake, data both ways
with window scaling and timestamps, orderly close from either side."""

import errno
import socket

import pytest

from conformance.dut.stack_driver import LiveDriver
from conformance.fabric import naming
from conformance.fabric.namespaces import DutConfig
from conformance.fabric.pcap import Recorder
from conformance.targets.linux import LinuxTarget
from conformance.targets.reference import dut_packet_socket
from reference_stack.profiles import LINUX
from reference_stack.stack import ReferenceStack
from reference_stack.tcp.state import State
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.frame import dissect

PORT = 7000


class RecordingSocket:
    """Wraps the reference's packet socket to keep every frame it sends."""

    def __init__(self, sock, recorder):
        self.sock, self.recorder = sock, recorder

    def send(self, frame):
        self.recorder.add("out", frame)
        return self.sock.send(frame)

    def __getattr__(self, name):
        return getattr(self.sock, name)


@pytest.fixture
def pair():
    """(Linux DUT API, reference driver, frames the reference sent, frames Linux sent)."""
    plan = naming.WorkerPlan(naming.new_run_id(), naming.worker_index())
    target = LinuxTarget(plan, DutConfig(), pool_size=0)
    target.start()
    bed = target.begin_test("reference-peer")
    sent = Recorder()
    try:
        stack = ReferenceStack(LINUX, mac(plan.tester_mac), ip4(plan.tester_ipv4),
                               plan.ipv4_prefix_len, rng_seed=7)
        stack.add_neighbor(ip4(plan.dut_ipv4), mac(plan.dut_mac))
        raw = dut_packet_socket(plan.tester_netns, bed.link.ifname)
        driver = LiveDriver(stack, RecordingSocket(raw, sent))
        try:
            yield bed.dut, driver, sent, plan
        finally:
            driver.stop()
    finally:
        target.end_test(bed)
        target.stop()


def connect(dut, driver, plan):
    lfd = dut.socket(socket.AF_INET, socket.SOCK_STREAM)
    dut.bind(lfd, (plan.dut_ipv4, PORT))
    dut.listen(lfd, 4)
    fd = driver.call(lambda now: driver.stack.socket(socket.AF_INET, socket.SOCK_STREAM)).value
    res = driver.call(lambda now: driver.stack.connect(fd, (plan.dut_ipv4, PORT), now))
    assert res.errno == errno.EINPROGRESS
    assert driver.wait_until(lambda: driver.stack.tcp_state(fd) == State.ESTABLISHED, 3.0)
    lin_fd, peer = dut.accept(lfd)
    assert peer[0] == plan.tester_ipv4
    return fd, lin_fd


def ref_recv(driver, fd, n=65536):
    out = []

    def ready():
        r = driver.stack.recv(fd, n, driver.now())
        if r.errno == errno.EAGAIN:
            return False
        out.append(r)
        return True

    assert driver.wait_until(ready, 3.0), "the reference received nothing"
    return out[0]


def test_handshake_and_data_both_ways_with_wscale_and_timestamps(pair):
    dut, driver, sent, plan = pair
    fd, lin_fd = connect(dut, driver, plan)
    syn = dissect(sent.frames[0].data).tcp
    assert syn.flags == tcpw.SYN and syn.window_scale is not None and syn.timestamps
    payload = bytes(range(256)) * 200  # 51,200 bytes: many segments, window scaling in use
    res = driver.call(lambda now: driver.stack.send(fd, payload, now))
    assert res.ok and res.value > 0
    got = b""
    while len(got) < res.value:
        got += dut.recv(lin_fd, 65536)
    assert got == payload[: res.value]
    dut.send(lin_fd, b"answer from linux")
    assert ref_recv(driver, fd).value == b"answer from linux"
    data_segments = [dissect(f.data).tcp for f in sent.frames[1:]]
    assert all(s.timestamps for s in data_segments if s is not None)


def test_orderly_close_from_the_reference(pair):
    dut, driver, sent, plan = pair
    fd, lin_fd = connect(dut, driver, plan)
    driver.call(lambda now: driver.stack.close(fd, now))
    assert dut.recv(lin_fd, 100) == b""
    dut.close(lin_fd)
    assert driver.wait_until(
        lambda: driver.stack.tcp_state(fd) in (State.TIME_WAIT, State.CLOSED, None), 3.0)


def test_orderly_close_from_linux(pair):
    dut, driver, sent, plan = pair
    fd, lin_fd = connect(dut, driver, plan)
    dut.close(lin_fd)
    assert ref_recv(driver, fd).value == b""  # end of data
    driver.call(lambda now: driver.stack.close(fd, now))
    assert driver.wait_until(lambda: driver.stack.tcp_state(fd) in (State.CLOSED, None), 3.0)
