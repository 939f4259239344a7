"""The stateful engine's pacing around the oracle's timers (fuzz.session.clear_of_timer): a
step never lands while the target may be firing its copy of the oracle's next timer on the
case's connection."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import pytest

import fuzz.session as session_module
from conformance.judge.oracle import oracle_setup
from fuzz.frames import tcp_ports
from fuzz.seqspace import PortMap
from fuzz.session import TIMER_RACE_EARLY_S, TIMER_RACE_LATE_S, DifferentialSession
from fuzz.stateful import ConnectionDriver, active_open_steps
from fuzz.targets import build_target
from reference_stack.profiles import LINUX

ORACLE_IP = b"\xc6\x12\x00\x01"
TESTER_IP = b"\xc6\x12\x00\x02"
PORTS = PortMap(40000, 1025, 80, 81)


class FakeTimers:
    def __init__(self, due: float | None) -> None:
        self.due = due

    def earliest(self) -> float | None:
        return self.due


def _session(due: float | None, now: float, slept: list[float],
             oow: float | None = None) -> SimpleNamespace:
    clock = {"now": now}
    tcb = SimpleNamespace(timers=FakeTimers(due), last_oow_ack=oow)
    key = (ORACLE_IP, PORTS.dut, TESTER_IP, PORTS.actual)
    fake = SimpleNamespace(oracle=SimpleNamespace(ip=ORACLE_IP, profile=LINUX,
                                                  tcp=SimpleNamespace(conns={key: tcb})),
                           addrs=SimpleNamespace(tester_ip=TESTER_IP, dut_ip=ORACLE_IP),
                           now=lambda: clock["now"], fired=0)
    fake._deadlines = lambda tcb: DifferentialSession._deadlines(fake, tcb)

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    def run_oracle_timers() -> None:
        fake.fired += 1
        tcb.timers.due = None  # the oracle's timer fired (nothing re-armed)

    fake.sleep = sleep
    fake.link = SimpleNamespace(watch=sleep)  # the wait reads the link meanwhile
    fake.run_oracle_timers = run_oracle_timers
    return fake


@pytest.mark.parametrize("offset,waits", [
    (-1.0, False),  # long past: both stacks fired it
    (-TIMER_RACE_LATE_S / 2, True),  # just past: the target's copy may still be due
    (TIMER_RACE_EARLY_S / 2, True),  # just ahead: the target's copy may already have fired
    (1.0, False),  # well ahead: neither fired it
])
def test_a_step_waits_out_a_timer_due_around_it(monkeypatch, offset, waits) -> None:
    slept: list[float] = []
    now = 10.0
    fake = _session(now + offset, now, slept)
    monkeypatch.setattr(session_module.time, "sleep", lambda s: pytest.fail("slept unread"))
    DifferentialSession.clear_of_timer(fake, PORTS)
    assert bool(slept) is waits
    if waits:  # until the target's copy has surely fired, the oracle's fired then
        assert fake.now() == pytest.approx(now + offset + TIMER_RACE_LATE_S)
        assert fake.fired == 1


@pytest.mark.parametrize("offset,waits", [
    (-1.0, False), (-TIMER_RACE_LATE_S / 2, True), (TIMER_RACE_EARLY_S / 2, True), (1.0, False),
])
def test_a_step_waits_out_the_end_of_the_ack_rate_limit_around_it(monkeypatch, offset, waits):
    """RFC 5961 7's limit ends LINUX.oow_ack_interval after the last challenge ACK: a step at
    that boundary may be answered by one stack and not the other (Linux counts in jiffies)."""
    slept: list[float] = []
    now = 10.0
    fake = _session(None, now, slept, oow=now + offset - LINUX.oow_ack_interval)
    monkeypatch.setattr(session_module.time, "sleep", lambda s: pytest.fail("slept unread"))
    DifferentialSession.clear_of_timer(fake, PORTS)
    assert bool(slept) is waits
    if waits:
        assert fake.now() == pytest.approx(now + offset + TIMER_RACE_LATE_S)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (netns)")


def _retransmission_after_a_wait(session: DifferentialSession, wait) -> list[bytes]:
    """Active open, 7 octets, shutdown (data and FIN in flight, unacknowledged), then
    ``wait`` across the loss probe (the FIN again) and the RTO; the target's TCP segments."""
    driver = ConnectionDriver(session, "active")
    try:
        for step in active_open_steps(session):
            driver.step(step)
        driver.step({"call": "send", "data": "aa" * 7})
        driver.step({"call": "shutdown"})
        wait(0.6)
        return [f for f in session.barrier() if tcp_ports(f) is not None]
    finally:
        driver.finish()


@needs_root
def test_linux_merges_the_fin_into_the_rto_retransmission_whether_or_not_the_tester_read():
    """Why the tester link receives through a ring (conformance.fabric.packet_ring): with the
    plain packet socket it had before, a stall of the harness across the loss probe and the
    RTO (a plain sleep, nothing read) made Linux retransmit the data alone (the probe's FIN
    unread: tcp_can_collapse, skb_cloned), where with the frames read as they came it merged
    the FIN in (this test's earlier form measured both). The ring copies each frame as it
    arrives: the data and the FIN go together as the oracle predicts (RFC 9293 3.8.1 lets a
    retransmission repacketize) however late the harness reads."""
    target = build_target("linux")
    target.start()
    try:
        bed = target.begin_test("fuzz-collapse")
        try:
            session = DifferentialSession(bed, oracle_setup(target).profile)
            session.link.read_promptly = lambda: None  # nothing reads while the steps wait
            stalled = _retransmission_after_a_wait(session, time.sleep)
            read = _retransmission_after_a_wait(session, session.link.watch)
        finally:
            target.end_test(bed)
    finally:
        target.stop()
    fin, psh = 0x01, 0x08

    def data_retransmissions(frames: list[bytes]) -> list[int]:
        """FIN and PSH of each segment carrying the data again (the loss probe sent the FIN
        alone before, the RTO, and under load perhaps its backoff, resend the data)."""
        flags = []
        for f in frames:
            tcp = 14 + (f[14] & 0x0F) * 4
            if len(f) > tcp + (f[tcp + 12] >> 4) * 4 and f[tcp + 13] & psh:
                flags.append(f[tcp + 13] & (fin | psh))
        return flags

    assert data_retransmissions(read)[:1] == [fin | psh], read
    assert data_retransmissions(stalled)[:1] == [fin | psh], stalled


def test_the_oracle_acts_at_the_time_the_target_was_asked_not_after_a_stall():
    """A harness stalled while the target takes a frame (a loaded machine) must not start the
    oracle's timers late: the judge allows a target's timer frame only TIMER_EARLY_S early."""
    clock = {"now": 5.0}
    seen: list[float] = []

    def stalled_send(frame: bytes) -> None:
        clock["now"] += 0.3

    fake = SimpleNamespace(now=lambda: clock["now"], link=SimpleNamespace(send=stalled_send),
                           oracle=SimpleNamespace(receive=lambda f, t: seen.append(t)))
    DifferentialSession.send_both(fake, b"\x00" * 60, b"\x00" * 60)
    assert seen == [5.0]
